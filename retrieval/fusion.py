"""Rank fusion of several runs into one.

- ``reciprocal_rank_fusion``: sum of 1/(k + rank), k = 60 (Cormack, Clarke and Büttcher, SIGIR 2009).
- ``weighted_sum``: each run's scores normalised per query (``minmax`` or ``zscore``), then a
  weighted sum; a document missing from a run gets that run's minimum normalised score
  (0 for min-max), the usual convention (ranx, pyserini's hybrid).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .types import Run


def reciprocal_rank_fusion(runs: Sequence[Run], k: int = 60, weights: Sequence[float] | None = None,
                           depth: int | None = None) -> Run:
    weights = weights or [1.0] * len(runs)
    fused: dict[str, dict[str, float]] = {}
    for run, weight in zip(runs, weights, strict=True):
        for qid, hits in run.items():
            scores = fused.setdefault(qid, {})
            for rank, hit in enumerate(hits[:depth], start=1):
                scores[hit.doc_id] = scores.get(hit.doc_id, 0.0) + weight / (k + rank)
    return Run.from_scores(fused, name="rrf")


def _normalise(values: np.ndarray, method: str) -> np.ndarray:
    if method == "minmax":
        low, span = values.min(), np.ptp(values)
        return (values - low) / span if span > 0 else np.ones_like(values)
    if method == "zscore":
        std = values.std()
        return (values - values.mean()) / std if std > 0 else np.zeros_like(values)
    raise ValueError(f"normalisation must be 'minmax' or 'zscore', not {method!r}")


def weighted_sum(runs: Sequence[Run], weights: Sequence[float] | None = None, method: str = "minmax",
                 depth: int | None = None) -> Run:
    weights = weights or [1.0] * len(runs)
    fused: dict[str, dict[str, float]] = {}
    queries = {qid for run in runs for qid in run}
    for qid in queries:
        per_run = []
        for run in runs:
            hits = run.get(qid, [])[:depth]
            values = _normalise(np.array([h.score for h in hits], dtype=np.float64), method) if hits else []
            per_run.append(({h.doc_id: float(v) for h, v in zip(hits, values, strict=True)},
                            float(np.min(values)) if len(values) else 0.0))
        docs = {doc for scores, _ in per_run for doc in scores}
        fused[qid] = {doc: sum(w * scores.get(doc, floor) for (scores, floor), w in zip(per_run, weights, strict=True))
                      for doc in docs}
    return Run.from_scores(fused, name=f"weighted-{method}")
