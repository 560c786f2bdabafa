"""Core records: what goes into an index (Document), what asks (Query), and what comes out (Run)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple


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
        """Rank each query's {doc_id: score} by score, ties broken by doc id (descending, as trec_eval)."""
        run = cls(name=name)
        for qid, doc_scores in scores.items():
            ranked = sorted(doc_scores.items(), key=lambda item: (item[1], item[0]), reverse=True)
            run[qid] = [Hit(doc, float(s), r) for r, (doc, s) in enumerate(ranked[:k], start=1)]
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
