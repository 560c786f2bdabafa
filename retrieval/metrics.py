"""trec_eval-exact IR measures under the field's names: nDCG@k, R@k, P@k, RR@k (alias MRR@k), AP, AP@k, Success@k.

Hand-written because we need per-query values with trec_eval's exact semantics and the field's measure names without
a C dependency at runtime; pytrec_eval (trec_eval 9 compiled in) is the reference the tests compare against.

Semantics, as in trec_eval's form_res_rels.c and m_{ndcg_cut,recall,P,recip_rank,map,map_cut,success}.c:

- Each query's results are re-sorted by score descending, ties broken by doc id descending; given ranks are ignored.
  trec_eval stores scores as C ``float``, so scores equal in 32-bit precision tie (1.0 + 1e-12 ties with 1.0).
- Relevant means grade >= 1 (relevance_level 1). nDCG's gain is the raw grade (grades <= 0 gain nothing), discounted
  by log2(rank + 1); the ideal DCG sorts all the query's judged positive grades descending and cuts at k as well.
- P@k divides by k even when fewer than k documents were retrieved. R@k, AP and AP@k divide by all relevant documents
  of the query, retrieved or not (AP@k too: trec_eval's map_cut). RR@k is 1 / rank of the first relevant in the top k.
- A query judged in qrels but with no relevant document scores 0 on every measure and still counts in the mean:
  pytrec_eval returns it with zeros rather than skipping it. A query in qrels but absent from the run scores 0 too
  (means are over all qrels queries, as ``trec_eval -c``). Run queries without judgements are ignored, and so is a
  qrels entry with an empty judgement dict (a qrels file cannot express one; pytrec_eval drops it).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import NamedTuple

import numpy as np

from .types import Hit

KNOWN_MEASURES = ("nDCG@k", "R@k", "P@k", "RR@k", "MRR@k", "RR", "AP", "AP@k", "Success@k")
_KINDS = {"nDCG": "ndcg", "R": "recall", "P": "precision", "RR": "rr", "MRR": "rr", "AP": "ap", "Success": "success"}
_CUTOFF_OPTIONAL = {"rr", "ap"}  # RR and AP are also defined over the whole ranking


class Measure(NamedTuple):
    name: str  # canonical, e.g. "RR@10" for "MRR@10"
    kind: str  # ndcg | recall | precision | rr | ap | success
    cutoff: int | None  # None: the whole ranking


def parse_measure(name: str) -> Measure:
    """``"nDCG@10"`` -> ``Measure("nDCG@10", "ndcg", 10)``; a ValueError names the known measures otherwise."""
    match = re.fullmatch(r"([A-Za-z]+)(?:@([0-9]+))?", name)
    kind = _KINDS.get(match.group(1)) if match else None
    if kind is None:
        known = ", ".join(KNOWN_MEASURES)
        raise ValueError(f"unknown measure {name!r}; known measures: {known} (k a positive integer)")
    head, cutoff = match.group(1), match.group(2)
    if cutoff is None and kind not in _CUTOFF_OPTIONAL:
        raise ValueError(f"measure {name!r} needs a cutoff, e.g. {head}@10")
    if cutoff is not None and int(cutoff) < 1:
        raise ValueError(f"measure {name!r}: the cutoff must be a positive integer")
    head = "RR" if kind == "rr" else head
    return Measure(head if cutoff is None else f"{head}@{int(cutoff)}", kind, None if cutoff is None else int(cutoff))


def trec_ranking(hits: Mapping[str, float] | Iterable[Hit], qid: str = "?") -> list[str]:
    """Doc ids in trec_eval's order: 32-bit float score descending, then doc id descending (form_res_rels.c)."""
    pairs = list(hits.items()) if isinstance(hits, Mapping) else [(hit.doc_id, hit.score) for hit in hits]
    doc_ids = [doc_id for doc_id, _ in pairs]
    if len(set(doc_ids)) != len(doc_ids):
        twice = next(doc_id for doc_id, count in Counter(doc_ids).items() if count > 1)
        raise ValueError(f"query {qid!r}: document {twice!r} appears twice (trec_eval refuses such a run)")
    scores32 = np.asarray([score for _, score in pairs], dtype=np.float32).tolist()
    return [doc_id for _, doc_id in sorted(zip(scores32, doc_ids, strict=True), reverse=True)]


def _dcg(gains: Iterable[int]) -> float:
    return sum(gain / math.log2(rank + 1) for rank, gain in enumerate(gains, start=1) if gain > 0)


def _value(measure: Measure, grades: list[int], judged: Mapping[str, int], num_rel: int) -> float:
    """One measure for one query; ``grades`` are the judged grades of its ranking (unjudged = 0), best first."""
    k = measure.cutoff
    top = grades if k is None else grades[:k]
    if measure.kind == "precision":
        return sum(grade >= 1 for grade in top) / k
    if num_rel == 0:
        return 0.0
    if measure.kind == "recall":
        return sum(grade >= 1 for grade in top) / num_rel
    if measure.kind == "success":
        return float(any(grade >= 1 for grade in top))
    if measure.kind == "rr":
        return next((1.0 / rank for rank, grade in enumerate(top, start=1) if grade >= 1), 0.0)
    if measure.kind == "ap":
        ranks = [rank for rank, grade in enumerate(top, start=1) if grade >= 1]
        return sum(hits / rank for hits, rank in enumerate(ranks, start=1)) / num_rel
    ideal = sorted((grade for grade in judged.values() if grade > 0), reverse=True)[:k]
    return _dcg(top) / _dcg(ideal)  # ndcg_cut; num_rel > 0 so the ideal DCG is positive


def evaluate_per_query(run: Mapping, qrels: Mapping[str, Mapping[str, int]],
                       measures: Iterable[str]) -> dict[str, dict[str, float]]:
    """measure name (as given) -> qid -> value, for every qrels query with judgements (0 where the run lacks it).

    ``run`` is a Run (qid -> list of Hit) or a plain {qid: {doc_id: score}} dict; ``qrels`` a Qrels or plain dict.
    """
    parsed = {name: parse_measure(name) for name in measures}
    per_query: dict[str, dict[str, float]] = {name: {} for name in parsed}
    for qid, judged in qrels.items():
        if not judged:
            continue
        grades = [judged.get(doc_id, 0) for doc_id in trec_ranking(run.get(qid, {}), qid)]
        num_rel = sum(grade >= 1 for grade in judged.values())
        for name, measure in parsed.items():
            per_query[name][qid] = _value(measure, grades, judged, num_rel)
    return per_query


def evaluate(run: Mapping, qrels: Mapping[str, Mapping[str, int]], measures: Iterable[str]) -> dict[str, float]:
    """measure name -> mean over all judged qrels queries (``trec_eval -c``: queries missing from the run count 0)."""
    if not any(qrels.values()):
        raise ValueError("qrels hold no judged query; there is nothing to average over")
    per_query = evaluate_per_query(run, qrels, measures)
    return {name: sum(values.values()) / len(values) for name, values in per_query.items()}


__all__ = ["KNOWN_MEASURES", "Measure", "evaluate", "evaluate_per_query", "parse_measure", "trec_ranking"]
