"""Retrieval core: records, TREC/JSONL I/O, the offline model registry, encoders, dataset loaders."""

from .types import Document, Hit, Qrels, Query, Run

__all__ = ["Document", "Hit", "Qrels", "Query", "Run"]
