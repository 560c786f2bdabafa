"""Core records: what goes into an index (Document), what asks (Query), and what comes out (Run)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

import numpy as np


@dataclass(frozen=True)
class Document:
    """A retrievable unit of text. ``id`` is unique within a corpus."""

    id: str
    text: str
    title: str = ""
    language: str | None = None
    metadata: Mapping = field(default_factory=dict)


@dataclass(frozen=True)
class Query:
    id: str
    text: str
    language: str | None = None
    metadata: Mapping = field(default_factory=dict)


class Hit(NamedTuple):
    doc_id: str
    score: float
    rank: int  # 1-based


class Run(dict):
    """Ranked results: query id -> list of Hit, best first. ``name`` is the TREC run tag."""

    def __init__(self, hits: Mapping[str, list[Hit]] | None = None, name: str = "polyrag"):
        super().__init__(hits or {})
        self.name = name

    @classmethod
    def from_scores(cls, scores: Mapping[str, Mapping[str, float]], name: str = "polyrag",
                    k: int | None = None) -> Run:
        """Rank each query's {doc_id: score} as trec_eval does: score compared as a 32-bit float,
        descending, ties broken by doc id descending."""
        run = cls(name=name)
        for qid, doc_scores in scores.items():
            doc_ids, values = list(doc_scores), [float(v) for v in doc_scores.values()]
            as_float32 = np.asarray(values, dtype=np.float32).tolist()
            order = sorted(range(len(doc_ids)), key=lambda i: (as_float32[i], doc_ids[i]), reverse=True)
            run[qid] = [Hit(doc_ids[i], values[i], r) for r, i in enumerate(order[:k], start=1)]
        return run

    def to_scores(self) -> dict[str, dict[str, float]]:
        """The {qid: {doc_id: score}} shape that pytrec_eval and ir_measures take."""
        return {qid: {h.doc_id: h.score for h in hits} for qid, hits in self.items()}

    def top(self, k: int) -> Run:
        return Run({qid: hits[:k] for qid, hits in self.items()}, name=self.name)


class Qrels(dict):
    """Relevance judgements: query id -> {doc id: grade}."""

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]], grade: int = 1) -> Qrels:
        qrels = cls()
        for qid, doc_id in pairs:
            qrels.setdefault(qid, {})[doc_id] = grade
        return qrels


class Retriever(Protocol):
    """Anything that ranks documents for queries: dense, BM25, hybrid, reranking."""

    def search(self, queries: list[Query], k: int) -> Run: ...
