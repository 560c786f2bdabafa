"""HybridRetriever: fuse several retrievers' top lists (typically BM25 and dense)."""

from __future__ import annotations

from collections.abc import Sequence

from .fusion import reciprocal_rank_fusion, weighted_sum
from .types import Query, Retriever, Run


class HybridRetriever:
    def __init__(self, retrievers: Sequence[Retriever], fusion: str = "rrf", weights: Sequence[float] | None = None,
                 depth: int = 100, rrf_k: int = 60):
        if fusion not in ("rrf", "minmax", "zscore"):
            raise ValueError(f"fusion must be 'rrf', 'minmax' or 'zscore', not {fusion!r}")
        self.retrievers, self.fusion, self.weights = list(retrievers), fusion, weights
        self.depth, self.rrf_k = depth, rrf_k

    def add(self, documents) -> HybridRetriever:
        for retriever in self.retrievers:
            retriever.add(documents)
        return self

    def fuse(self, runs: Sequence[Run], k: int) -> Run:
        if self.fusion == "rrf":
            fused = reciprocal_rank_fusion(runs, k=self.rrf_k, weights=self.weights, depth=self.depth)
        else:
            fused = weighted_sum(runs, weights=self.weights, method=self.fusion, depth=self.depth)
        return fused.top(k)

    def search(self, queries: list[Query], k: int = 10) -> Run:
        return self.fuse([r.search(queries, max(k, self.depth)) for r in self.retrievers], k)
