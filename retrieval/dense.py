"""DenseRetriever: an Encoder plus a FaissIndex, with an on-disk embedding cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from indexes.faiss_index import FaissIndex

from .embedding_cache import EmbeddingCache, encode_with_cache
from .encoders import Encoder
from .types import Document, Query, Run


class DenseRetriever:
    def __init__(self, encoder: Encoder, index: FaissIndex | None = None, factory: str = "Flat",
                 cache_dir: str | Path | None = None, show_progress_bar: bool = True):
        self.encoder = encoder
        self.index = index if index is not None else FaissIndex(encoder.dim, factory, model=encoder.name)
        if self.index.dim != encoder.dim:
            raise ValueError(f"index dimension {self.index.dim} != encoder {encoder.name!r} dimension {encoder.dim}")
        tag = getattr(encoder, "cache_tag", encoder.name)
        self.cache = EmbeddingCache(cache_dir, tag, encoder.dim) if cache_dir else None
        self.show_progress_bar = show_progress_bar

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        prompt = getattr(self.encoder, "document_prompt", "")
        return encode_with_cache(self.encoder.encode_documents, texts, prompt, self.cache, desc="encode documents",
                                 show_progress_bar=self.show_progress_bar)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        prompt = getattr(self.encoder, "query_prompt", "")
        return encode_with_cache(self.encoder.encode_queries, texts, prompt, self.cache, desc="encode queries",
                                 show_progress_bar=self.show_progress_bar)

    def add(self, documents: list[Document]) -> DenseRetriever:
        if not documents:
            raise ValueError("no documents to index (the corpus is empty)")
        self.index.add([d.id for d in documents], self.encode_documents([d.text for d in documents]),
                       show_progress_bar=self.show_progress_bar)
        return self

    def search(self, queries: list[Query], k: int = 10) -> Run:
        ids, scores = self.index.search(self.encode_queries([q.text for q in queries]), k)
        scores_by_query = {q.id: dict(zip(doc_ids, doc_scores.tolist(), strict=True))
                           for q, doc_ids, doc_scores in zip(queries, ids, scores, strict=True)}
        return Run.from_scores(scores_by_query, name=f"dense:{self.encoder.name}")

    def save(self, folder: str | Path) -> Path:
        return self.index.save(folder)

    @classmethod
    def load(cls, folder: str | Path, encoder: Encoder, mmap: bool = False, **kwargs) -> DenseRetriever:
        index = FaissIndex.load(folder, mmap=mmap, model=encoder.name, dim=encoder.dim)
        return cls(encoder, index, **kwargs)

