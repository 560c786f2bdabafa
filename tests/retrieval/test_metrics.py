"""retrieval.metrics: hand-computed values, and pytrec_eval (trec_eval 9) as the reference to 1e-9."""

from __future__ import annotations

import math

import numpy as np
import pytest
import pytrec_eval

from retrieval.metrics import Measure, evaluate, evaluate_per_query, parse_measure
from retrieval.trec import read_qrels, read_run
from retrieval.types import Hit, Qrels, Run

CUTOFFS = (1, 5, 10, 100)
ALL_MEASURES = [f"{head}@{k}" for head in ("nDCG", "R", "P", "RR", "MRR", "AP", "Success") for k in CUTOFFS]
ALL_MEASURES += ["AP", "RR"]

QRELS = Qrels({
    "q1": {"d1": 2, "d2": 1, "d3": 0, "d4": 1, "d9": 1},  # 4 relevant; d9 is never retrieved
    "q2": {"d7": 1},  # absent from the run
    "q3": {"d1": 0, "d2": 0},  # judged, but nothing relevant
    "q5": {"x": 1},
})
SCORES = {
    # trec_eval order: d3, d2 (0.9 tie: "d3" > "d2"), d5, d1 (0.5 tie: "d5" > "d1"), d4 -> grades 0, 1, 0, 2, 1
    "q1": {"d1": 0.5, "d2": 0.9, "d3": 0.9, "d4": 0.1, "d5": 0.5},
    "q3": {"d1": 1.0, "d2": 0.5},
    "q4": {"d1": 1.0},  # not judged: ignored
    "q5": {"x": 2.0, "y": 1.0},  # grades 1, 0
}

# q1: relevant at ranks 2, 4, 5; DCG gains 1, 2, 1 at ranks 2, 4, 5; ideal grades 2, 1, 1, 1 (d3's 0 gains nothing).
IDEAL_Q1 = 2 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4) + 1 / math.log2(5)
Q1_EXPECTED = {
    "P@1": 0.0,
    "P@5": 3 / 5,
    "P@10": 3 / 10,  # only 5 retrieved, still divided by 10
    "R@1": 0.0,
    "R@5": 3 / 4,  # d9 never retrieved
    "R@10": 3 / 4,
    "RR@1": 0.0,
    "RR@2": 1 / 2,
    "MRR@10": 1 / 2,
    "RR": 1 / 2,
    "AP": (1 / 2 + 2 / 4 + 3 / 5) / 4,  # = 0.4: precision at each relevant retrieved, over all 4 relevant
    "AP@2": (1 / 2) / 4,  # = 0.125: map_cut still divides by all relevant
    "AP@5": (1 / 2 + 2 / 4 + 3 / 5) / 4,
    "Success@1": 0.0,
    "Success@2": 1.0,
    "nDCG@1": 0.0,
    "nDCG@3": (1 / math.log2(3)) / (2 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)),
    "nDCG@5": (1 / math.log2(3) + 2 / math.log2(5) + 1 / math.log2(6)) / IDEAL_Q1,  # = 1.879136 / 3.561606
    "nDCG@10": (1 / math.log2(3) + 2 / math.log2(5) + 1 / math.log2(6)) / IDEAL_Q1,
}


def trec_top(doc_scores: dict[str, float], k: int | None) -> dict[str, float]:
    """The top k in trec_eval's order (float32 score desc, doc id desc), written independently of the module."""
    ranked = sorted(doc_scores.items(), key=lambda item: (np.float32(item[1]), item[0]), reverse=True)
    return dict(ranked[:k])


def pytrec_per_query(scores, qrels, name: str) -> dict[str, float]:
    """pytrec_eval's per-query values for one of our measure names, over the queries it evaluates."""
    measure = parse_measure(name)
    k = measure.cutoff
    if measure.kind == "rr":  # recip_rank takes no cutoff: truncate the run in trec_eval's order first
        scores, key = {qid: trec_top(docs, k) for qid, docs in scores.items()}, "recip_rank"
    else:
        key = {"ndcg": f"ndcg_cut_{k}", "recall": f"recall_{k}", "precision": f"P_{k}", "success": f"success_{k}",
               "ap": "map" if k is None else f"map_cut_{k}"}[measure.kind]
    result = pytrec_eval.RelevanceEvaluator(qrels, {key}).evaluate(scores)
    return {qid: values[key] for qid, values in result.items()}


def assert_matches_pytrec_eval(scores, qrels) -> None:
    ours = evaluate_per_query(scores, qrels, ALL_MEASURES)
    means = evaluate(scores, qrels, ALL_MEASURES)
    judged = [qid for qid, docs in qrels.items() if docs]
    for name in ALL_MEASURES:
        reference = pytrec_per_query(scores, qrels, name)
        assert set(reference) == set(judged) & set(scores), name  # pytrec_eval keeps no-relevant queries
        assert set(ours[name]) == set(judged), name
        for qid in judged:  # queries missing from the run are 0 in ours (trec_eval -c)
            assert ours[name][qid] == pytest.approx(reference.get(qid, 0.0), abs=1e-9), (name, qid)
        assert means[name] == pytest.approx(sum(reference.values()) / len(judged), abs=1e-9), name


def test_parse_measure_names_aliases_and_errors():
    assert parse_measure("nDCG@10") == Measure("nDCG@10", "ndcg", 10)
    assert parse_measure("R@100") == Measure("R@100", "recall", 100)
    assert parse_measure("MRR@10") == Measure("RR@10", "rr", 10)
    assert parse_measure("AP") == Measure("AP", "ap", None)
    assert parse_measure("Success@5") == Measure("Success@5", "success", 5)
    with pytest.raises(ValueError, match=r"unknown measure 'MAP'; known measures: nDCG@k, R@k, P@k"):
        parse_measure("MAP")
    with pytest.raises(ValueError, match="unknown measure 'ndcg_cut_10'"):
        parse_measure("ndcg_cut_10")
    with pytest.raises(ValueError, match="needs a cutoff"):
        parse_measure("P")
    with pytest.raises(ValueError, match="positive"):
        parse_measure("nDCG@0")
    with pytest.raises(ValueError, match="unknown measure"):
        evaluate(SCORES, QRELS, ["P@5", "F1"])


def test_hand_computed_values_with_ties_grades_and_short_ranking():
    per_query = evaluate_per_query(SCORES, QRELS, list(Q1_EXPECTED))
    for name, expected in Q1_EXPECTED.items():
        assert per_query[name]["q1"] == pytest.approx(expected, abs=1e-12), name
    assert Q1_EXPECTED["nDCG@5"] == pytest.approx(0.527609, abs=1e-6)


def test_missing_and_unjudged_queries_and_trec_eval_c_means():
    names = ["P@1", "P@5", "AP", "RR@10", "nDCG@5", "Success@1"]
    per_query = evaluate_per_query(SCORES, QRELS, names)
    for name in names:
        assert set(per_query[name]) == {"q1", "q2", "q3", "q5"}  # q4 is not judged
        assert per_query[name]["q2"] == 0.0  # absent from the run
        assert per_query[name]["q3"] == 0.0  # retrieved, nothing relevant
    # q5 ranks x (relevant), y: P@1 = 1, P@5 = 1/5, AP = RR = nDCG = Success = 1. Means over q1, q2, q3, q5:
    assert evaluate(SCORES, QRELS, names) == pytest.approx({
        "P@1": (0 + 0 + 0 + 1) / 4,
        "P@5": (0.6 + 0 + 0 + 0.2) / 4,  # = 0.2
        "AP": (0.4 + 0 + 0 + 1) / 4,  # = 0.35
        "RR@10": (0.5 + 0 + 0 + 1) / 4,  # = 0.375
        "nDCG@5": (Q1_EXPECTED["nDCG@5"] + 0 + 0 + 1) / 4,
        "Success@1": (0 + 0 + 0 + 1) / 4,
    }, abs=1e-12)


def test_run_ranks_are_ignored_and_run_equals_plain_dict():
    shuffled = Run({qid: [Hit(doc, score, rank) for rank, (doc, score) in enumerate(sorted(docs.items()), start=1)]
                    for qid, docs in SCORES.items()})
    plain = evaluate(SCORES, QRELS, ALL_MEASURES)
    assert evaluate(shuffled, QRELS, ALL_MEASURES) == plain
    assert evaluate(Run.from_scores(SCORES), dict(QRELS), ALL_MEASURES) == plain


def test_scores_tie_in_float32_as_in_trec_eval():
    # trec_eval keeps scores as C float: 1.0 + 1e-12 equals 1.0, so the doc id breaks the tie and "b" ranks first.
    qrels = {"q": {"a": 1}}
    for scores, expected in [({"q": {"a": 1.0 + 1e-12, "b": 1.0}}, 0.5), ({"q": {"a": 1.0 + 1e-6, "b": 1.0}}, 1.0)]:
        assert evaluate(scores, qrels, ["RR"])["RR"] == expected
        assert pytrec_per_query(scores, qrels, "RR") == {"q": expected}


def test_duplicate_document_and_empty_qrels_are_refused():
    with pytest.raises(ValueError, match="query 'q': document 'a' appears twice"):
        evaluate(Run({"q": [Hit("a", 1.0, 1), Hit("a", 0.5, 2)]}), {"q": {"a": 1}}, ["P@1"])
    with pytest.raises(ValueError, match="no judged query"):
        evaluate({"q": {"a": 1.0}}, {"q": {}}, ["P@1"])


def test_hand_fixture_matches_pytrec_eval():
    assert_matches_pytrec_eval(SCORES, QRELS)


def test_seeded_random_run_matches_pytrec_eval():
    rng = np.random.default_rng(20240607)
    docs = [f"d{i:03d}" for i in range(200)]
    scores, qrels = {}, {}
    for q in range(50):
        qid = f"q{q:02d}"
        if q % 10 != 3:  # q03, q13, ... are judged but missing from the run
            retrieved = rng.choice(docs, size=int(rng.integers(1, 160)), replace=False)  # often fewer than 100
            values = rng.integers(0, 24, size=len(retrieved)) / 4  # quarter steps: many exact ties
            values[rng.random(len(retrieved)) < 0.2] += 1e-9  # ties in float32 only, as trec_eval sees them
            scores[qid] = dict(zip(retrieved.tolist(), values.tolist(), strict=True))
        judged = rng.choice(docs, size=int(rng.integers(1, 40)), replace=False)
        grades = rng.choice([0, 0, 0, 1, 1, 2, 3], size=len(judged))
        if q % 10 == 7:  # q07, q17, ...: judged, nothing relevant
            grades[:] = 0
        qrels[qid] = dict(zip(judged.tolist(), grades.tolist(), strict=True))
    for q in range(50, 53):  # retrieved but never judged
        scores[f"q{q}"] = {docs[0]: 1.0}
    assert_matches_pytrec_eval(scores, qrels)


RUN_FILE = """\
301 Q0 Oslo#0 1 17.4213 bm25
301 Q0 Oslo#2 2 15.0920 bm25
301 Q0 Norway#5 3 15.0920 bm25
301 Q0 Bergen#1 4 9.8811 bm25
302 Q0 Seoul#0 1 21.0034 bm25
302 Q0 Korea#3 2 11.2500 bm25
302 Q0 Busan#0 3 4.1001 bm25
303 Q0 Paris#4 1 8.7500 bm25
303 Q0 Seine#0 2 8.2500 bm25
"""
QRELS_FILE = """\
301 0 Oslo#0 1
301 0 Norway#5 2
302 0 Busan#0 1
302 0 Korea#9 2
303 0 Lyon#0 1
"""


def test_small_trec_files_match_pytrec_eval(tmp_path):
    (tmp_path / "run.trec").write_text(RUN_FILE)
    (tmp_path / "qrels.txt").write_text(QRELS_FILE)
    run, qrels = read_run(tmp_path / "run.trec"), read_qrels(tmp_path / "qrels.txt")
    per_query = evaluate_per_query(run, qrels, ["nDCG@10", "RR@10", "AP"])
    # 301: Oslo#0 (1), then the 15.0920 tie Oslo#2 > Norway#5 by doc id, so Norway#5 (2) is 3rd.
    assert per_query["nDCG@10"]["301"] == pytest.approx(
        (1 + 2 / math.log2(4)) / (2 + 1 / math.log2(3)), abs=1e-12)
    assert per_query["AP"]["301"] == pytest.approx((1 / 1 + 2 / 3) / 2, abs=1e-12)
    # 302: Busan#0 at rank 3, Korea#9 never retrieved.
    assert per_query["RR@10"]["302"] == pytest.approx(1 / 3, abs=1e-12)
    assert per_query["AP"]["302"] == pytest.approx((1 / 3) / 2, abs=1e-12)
    assert per_query["nDCG@10"]["303"] == 0.0
    assert_matches_pytrec_eval(run.to_scores(), qrels)
