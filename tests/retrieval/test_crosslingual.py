import pytest

from retrieval.crosslingual import (
    build_scenarios,
    complete_at_k,
    max_at_r,
    outranked_rate,
    scenario_metrics,
)
from retrieval.datasets import load_xquad_parallel
from retrieval.types import Qrels, Run

LANG = {"de:1": "de", "de:2": "de", "de:3": "de", "en:1": "en", "en:2": "en", "en:3": "en"}
QRELS = Qrels({"q": {"de:1": 1, "en:1": 1}})


def run_of(scores: dict[str, float]) -> Run:
    return Run.from_scores({"q": scores})


def test_max_at_r_is_the_rank_of_the_last_relevant_document():
    run = run_of({"de:1": 0.9, "en:2": 0.8, "en:1": 0.7, "de:2": 0.6})
    assert max_at_r(run, QRELS) == {"q": 3.0}
    assert max_at_r(run_of({"en:1": 0.9, "de:1": 0.8, "en:2": 0.1}), QRELS) == {"q": 2.0}  # the best case


def test_max_at_r_ties_never_help():
    # en:1 ties with en:2 and de:2 at 0.5: all three take rank 4, the last of the tied ranks
    run = run_of({"de:1": 0.9, "de:3": 0.7, "en:2": 0.5, "en:1": 0.5, "de:2": 0.5})
    assert max_at_r(run, QRELS) == {"q": 5.0}
    # the two relevant documents tied at the top: both need rank 2
    assert max_at_r(run_of({"de:1": 0.9, "en:1": 0.9, "en:2": 0.1}), QRELS) == {"q": 2.0}


def test_max_at_r_with_a_missing_document():
    run = run_of({"de:1": 0.9, "en:2": 0.8, "de:2": 0.6})  # en:1 was not retrieved (run cut at 3)
    assert max_at_r(run, QRELS) == {"q": 4.0}  # at least one past the end of the run
    assert max_at_r(run, QRELS, n_docs=6) == {"q": 6.0}  # at worst the last of the pool
    assert complete_at_k(run, QRELS, 3) == {"q": 0.0}


def test_complete_at_k_needs_every_parallel_document():
    run = run_of({"de:1": 0.9, "en:2": 0.8, "en:3": 0.75, "en:1": 0.7, "de:2": 0.6})
    assert complete_at_k(run, QRELS, 3) == {"q": 0.0}
    assert complete_at_k(run, QRELS, 4) == {"q": 1.0}
    tied = run_of({"de:1": 0.9, "en:2": 0.8, "en:1": 0.8})
    assert complete_at_k(tied, QRELS, 2) == {"q": 0.0}  # en:1 shares rank 3 with en:2


def test_english_preference_and_its_mirror():
    # an unrelated English document above the relevant German one: English preference, not the mirror
    run = run_of({"en:2": 0.9, "de:1": 0.8, "en:1": 0.7, "de:2": 0.1})
    english = outranked_rate(run, QRELS, LANG, unrelated_language="en", relevant_language="de")
    same = outranked_rate(run, QRELS, LANG, unrelated_language="de", relevant_language="en")
    assert english == {"q": 1.0} and same == {"q": 0.0}
    # the mirror: an unrelated German document above the relevant English one
    run = run_of({"de:1": 0.9, "de:2": 0.8, "en:1": 0.7, "en:2": 0.1})
    assert outranked_rate(run, QRELS, LANG, "en", "de") == {"q": 0.0}
    assert outranked_rate(run, QRELS, LANG, "de", "en") == {"q": 1.0}
    # a tie is not outranking; a missing relevant document is outranked by any retrieved rival
    assert outranked_rate(run_of({"en:2": 0.8, "de:1": 0.8, "en:1": 0.1}), QRELS, LANG, "en", "de") == {"q": 0.0}
    assert outranked_rate(run_of({"en:2": 0.8, "en:1": 0.7}), QRELS, LANG, "en", "de") == {"q": 1.0}


def test_scenarios_over_parallel_xquad(data_dir):
    xquad = load_xquad_parallel(["en", "de"], data_dir)
    scenarios = build_scenarios(xquad, "de", articles=[0, 5])
    n_paragraphs = sum(d.metadata["article"] in (0, 5) for d in xquad["de"].paragraphs)
    mixed = scenarios["mixed"]
    assert len(mixed.documents) == 2 * n_paragraphs and {d.language for d in mixed.documents} == {"de", "en"}
    assert all(q.language == "de" for q in mixed.queries)
    assert all(q.language == "en" for q in scenarios["mixed_english_queries"].queries)
    qid = mixed.queries[0].id
    paragraph = next(q.paragraph_id for q in xquad["de"].questions if f"de:{q.id}" == qid)
    assert mixed.qrels[qid] == {f"de:{paragraph}": 1, f"en:{paragraph}": 1}
    assert scenarios["crosslingual"].qrels[qid] == {f"en:{paragraph}": 1}
    assert scenarios["monolingual"].qrels[qid] == {f"de:{paragraph}": 1}
    with pytest.raises(ValueError, match="pivot"):
        build_scenarios(xquad, "en")
    with pytest.raises(ValueError, match="no XQuAD data loaded for zh"):
        build_scenarios(xquad, "zh")


def test_scenario_metrics_on_a_perfect_and_an_english_inclined_ranking(data_dir):
    xquad = load_xquad_parallel(["en", "de"], data_dir)
    mixed = build_scenarios(xquad, "de", articles=[0])["mixed"]
    perfect = Run.from_scores({qid: {d: 1.0 if d in rel else 0.0 for d in mixed.doc_language}
                               for qid, rel in mixed.qrels.items()})
    figures = scenario_metrics(perfect, mixed)
    assert figures["Max@R"] == pytest.approx(2.0) and figures["Complete@10"] == 1.0
    assert figures["nDCG@10"] == pytest.approx(1.0)
    assert figures["english_preference_rate"] == 0.0 and figures["same_language_preference_rate"] == 0.0
    # every English document above every German one: the relevant German paragraph comes after all English ones
    n_en = sum(lang == "en" for lang in mixed.doc_language.values())
    inclined = Run.from_scores({qid: {d: (2.0 if lang == "en" else 0.0) + (1.0 if d in rel else 0.0)
                                      for d, lang in mixed.doc_language.items()} for qid, rel in mixed.qrels.items()})
    figures = scenario_metrics(inclined, mixed)
    assert figures["Max@R"] == pytest.approx(n_en + 1) and figures["english_preference_rate"] == 1.0
    assert figures["same_language_preference_rate"] == 0.0
