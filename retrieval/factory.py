"""Retrievers from short specs, as command lines name them: ``bm25``, ``dense:MODEL``, ``hybrid:MODEL``."""

from __future__ import annotations

from pathlib import Path


def build_retriever(spec: str, index_dirs: list[str] | None = None, factory: str = "Flat",
                    tokenizer: str = "multilingual", cache: Path | None = None, bm25_backend: str = "bm25s"):
    """``bm25``, ``dense:MODEL`` or ``hybrid:MODEL`` (BM25 + dense, RRF); loaded from ``index_dirs`` when given."""
    from .bm25 import BM25Retriever

    kind, _, model = spec.partition(":")
    if kind == "bm25":
        return BM25Retriever.load(index_dirs[0]) if index_dirs else BM25Retriever(tokenizer=tokenizer,
                                                                                   backend=bm25_backend)
    if kind not in ("dense", "hybrid") or not model:
        raise SystemExit(f"unknown retriever {spec!r}: use bm25, dense:MODEL or hybrid:MODEL")
    from .dense import DenseRetriever
    from .encoders import SentenceTransformerEncoder
    from .hybrid import HybridRetriever

    encoder = SentenceTransformerEncoder(model)
    if kind == "dense":
        return (DenseRetriever.load(index_dirs[0], encoder, cache_dir=cache) if index_dirs
                else DenseRetriever(encoder, factory=factory, cache_dir=cache))
    if not index_dirs:
        return HybridRetriever([BM25Retriever(tokenizer=tokenizer, backend=bm25_backend),
                                DenseRetriever(encoder, factory=factory, cache_dir=cache)])
    if len(index_dirs) != 2:
        raise SystemExit("hybrid search needs --index BM25_DIR,DENSE_DIR")
    return HybridRetriever([BM25Retriever.load(index_dirs[0]),
                            DenseRetriever.load(index_dirs[1], encoder, cache_dir=cache)])
