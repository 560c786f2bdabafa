"""Cross-lingual retrieval scenarios over parallel data, and the metrics that show English inclination.

Hong et al., "Improving Semantic Proximity in Information Retrieval through Cross-Lingual Alignment"
(ICLR 2026): in a pool where English documents sit beside documents in the query's language, many
multilingual retrievers rank unrelated English documents above the relevant same-language one. A
query's relevant documents are the parallel versions of its paragraph in every language of the pool;
Max@R (the rank needed to retrieve all of them) and Complete@k catch a failure in either direction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .datasets.xquad import XQuAD
from .metrics import evaluate
from .types import Document, Qrels, Query, Run

SCENARIOS = ("monolingual", "crosslingual", "mixed", "mixed_english_queries")


@dataclass
class Scenario:
    """One pool, one query set. Ids carry the language (``de:xquad-03p1``), so parallel texts differ."""

    name: str
    language: str  # the target (non-English) language
    documents: list[Document]
    queries: list[Query]
    qrels: Qrels

    @property
    def doc_language(self) -> dict[str, str]:
        return {d.id: d.language for d in self.documents}


def build_scenarios(xquad: Mapping[str, XQuAD], language: str, articles=None, pivot: str = "en") -> dict[str, Scenario]:
    """The four pools for one target language, over the given articles (all when None):
    ``monolingual`` (target queries, target pool), ``crosslingual`` (target queries, English pool),
    ``mixed`` (target queries, English + target pool) and ``mixed_english_queries`` (English queries, same pool)."""
    if language == pivot:
        raise ValueError(f"the target language must differ from the pivot {pivot!r}")
    missing = [lang for lang in (language, pivot) if lang not in xquad]
    if missing:
        raise ValueError(f"no XQuAD data loaded for {', '.join(missing)}; loaded: {', '.join(xquad)}")
    parts = {lang: xquad[lang] if articles is None else xquad[lang].subset(articles) for lang in (language, pivot)}
    if not parts[language].questions:
        raise ValueError(f"no XQuAD questions in articles {sorted(articles)}")

    def documents(lang):
        return [Document(f"{lang}:{d.id}", d.text, title=d.title, language=lang) for d in parts[lang].paragraphs]

    def queries(lang):
        return [Query(f"{lang}:{q.id}", q.question, language=lang) for q in parts[lang].questions]

    def qrels(query_lang, pool_langs):
        return Qrels.from_pairs((f"{query_lang}:{q.id}", f"{lang}:{q.paragraph_id}")
                                for q in parts[query_lang].questions for lang in pool_langs)

    mixed = documents(language) + documents(pivot)
    return {
        "monolingual": Scenario("monolingual", language, documents(language), queries(language),
                                qrels(language, [language])),
        "crosslingual": Scenario("crosslingual", language, documents(pivot), queries(language),
                                 qrels(language, [pivot])),
        "mixed": Scenario("mixed", language, mixed, queries(language), qrels(language, [language, pivot])),
        "mixed_english_queries": Scenario("mixed_english_queries", language, mixed, queries(pivot),
                                          qrels(pivot, [language, pivot])),
    }


def _pessimistic_ranks(hits) -> dict[str, int]:
    """Rank of each retrieved document when a tie never helps: a document tied with others takes the last
    of their ranks. Scores compare as 32-bit floats, as trec_eval compares them."""
    scores = np.asarray([h.score for h in hits], dtype=np.float32)
    order = np.sort(scores)
    # number of scores >= s = len - (index of the first score >= s in ascending order)
    at_or_above = len(scores) - np.searchsorted(order, scores, side="left")
    return {h.doc_id: int(r) for h, r in zip(hits, at_or_above, strict=True)}


def max_at_r(run: Run, qrels: Mapping[str, Mapping[str, int]], n_docs: int | None = None) -> dict[str, float]:
    """Max@R per query: the rank needed to retrieve all of its relevant documents (lower is better;
    1 relevant document at rank 1 gives 1, 2 parallel ones at ranks 1 and 2 give 2).

    A relevant document missing from a truncated run gets rank ``n_docs`` (the pool's size: where it
    could at worst be) when given, else one past the run's last rank (the least it can be)."""
    values = {}
    for qid, relevant in qrels.items():
        relevant = [d for d, grade in relevant.items() if grade > 0]
        if not relevant:
            continue
        hits = run.get(qid, [])
        ranks = _pessimistic_ranks(hits)
        missing = n_docs if n_docs is not None else len(hits) + 1
        values[qid] = float(max(ranks.get(d, missing) for d in relevant))
    return values


def complete_at_k(run: Run, qrels: Mapping[str, Mapping[str, int]], k: int) -> dict[str, float]:
    """1 where all of a query's relevant documents are in its top k (ties counted against it), else 0."""
    return {qid: float(value <= k) for qid, value in max_at_r(run, qrels).items()}


def outranked_rate(run: Run, qrels: Mapping[str, Mapping[str, int]], doc_language: Mapping[str, str],
                   unrelated_language: str, relevant_language: str) -> dict[str, float]:
    """Per query, 1 where some unrelated document in ``unrelated_language`` scores strictly above the
    query's relevant document in ``relevant_language``, else 0. English preference of a German query:
    unrelated "en" over relevant "de"; its mirror (same-language preference): unrelated "de" over relevant "en".
    A relevant document missing from a truncated run is outranked by any retrieved unrelated one."""
    values = {}
    for qid, judged in qrels.items():
        targets = [d for d, grade in judged.items() if grade > 0 and doc_language.get(d) == relevant_language]
        if not targets:
            continue
        scores = {h.doc_id: np.float32(h.score) for h in run.get(qid, [])}
        rivals = [s for d, s in scores.items() if doc_language.get(d) == unrelated_language and judged.get(d, 0) <= 0]
        best_rival = max(rivals, default=None)
        worst_target = min((scores.get(d) for d in targets), key=lambda s: -np.inf if s is None else s)
        values[qid] = float(best_rival is not None and (worst_target is None or best_rival > worst_target))
    return values


def scenario_metrics(run: Run, scenario: Scenario, k: int = 10, pivot: str = "en") -> dict[str, float]:
    """Means over the scenario's queries: Max@R, Complete@k, nDCG@k, and in mixed pools the two preference rates."""
    n_docs = len(scenario.documents)
    figures = {"Max@R": float(np.mean(list(max_at_r(run, scenario.qrels, n_docs).values()))),
               f"Complete@{k}": float(np.mean(list(complete_at_k(run, scenario.qrels, k).values())))}
    figures.update(evaluate(run, scenario.qrels, [f"nDCG@{k}"]))
    if scenario.name == "mixed":
        languages = scenario.doc_language
        figures["english_preference_rate"] = float(np.mean(list(outranked_rate(
            run, scenario.qrels, languages, unrelated_language=pivot, relevant_language=scenario.language).values())))
        figures["same_language_preference_rate"] = float(np.mean(list(outranked_rate(
            run, scenario.qrels, languages, unrelated_language=scenario.language, relevant_language=pivot).values())))
    return figures
