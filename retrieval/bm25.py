"""BM25Retriever: Documents and Queries over an indexes.BM25Index."""

from __future__ import annotations

from pathlib import Path

from indexes.bm25 import BM25Index

from .types import Document, Hit, Query, Run


class BM25Retriever:
    def __init__(self, index: BM25Index | None = None, **index_options):
        """``index_options`` (tokenizer, k1, b, method, backend) build a new BM25Index when none is given."""
        self.index = index if index is not None else BM25Index(**index_options)

    def add(self, documents: list[Document], with_title: bool = False) -> BM25Retriever:
        texts = [f"{d.title}\n{d.text}" if with_title and d.title else d.text for d in documents]
        self.index.index([d.id for d in documents], texts)
        return self

    def search(self, queries: list[Query], k: int = 10) -> Run:
        results = self.index.search([q.text for q in queries], k)
        return Run({q.id: [Hit(doc_id, score, rank) for rank, (doc_id, score) in enumerate(hits, start=1)]
                    for q, hits in zip(queries, results, strict=True)}, name="bm25")

    def save(self, folder: str | Path) -> Path:
        return self.index.save(folder)

    @classmethod
    def load(cls, folder: str | Path, mmap: bool = False) -> BM25Retriever:
        return cls(BM25Index.load(folder, mmap=mmap))
