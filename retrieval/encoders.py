"""Encoders: text in, float32 vectors out (the Encoder protocol of DESIGN.md)."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from .models import load_sentence_transformer, spec_for


class Encoder(Protocol):
    name: str
    dim: int

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_documents(self, texts: list[str]) -> np.ndarray: ...


class SentenceTransformerEncoder:
    """A sentence-transformers bi-encoder, with the model's own query/document prefixes (e5's
    ``query: ``/``passage: ``) taken from the registry, the model folder's saved prompts, or given here."""

    def __init__(self, name: str, device: str | None = None, batch_size: int = 64,
                 query_prompt: str | None = None, document_prompt: str | None = None,
                 normalize: bool = True, max_seq_length: int | None = None):
        spec = spec_for(name)
        self.name = spec.name if spec else name
        self.model = load_sentence_transformer(name, device=device)
        if max_seq_length is not None:  # truncate inputs (tokens) harder than the model's own limit
            self.model.max_seq_length = max_seq_length
        dimension = getattr(self.model, "get_embedding_dimension", None) or \
            self.model.get_sentence_embedding_dimension  # renamed in sentence-transformers 6
        self.dim = int(dimension())
        self.batch_size = batch_size
        self.normalize = normalize
        saved = getattr(self.model, "prompts", None) or {}  # a fine-tuned copy carries its prompts with it
        self.query_prompt = query_prompt if query_prompt is not None else (
            spec.query_prompt if spec else saved.get("query") or "")
        self.document_prompt = document_prompt if document_prompt is not None else (
            spec.document_prompt if spec else saved.get("document") or "")

    @property
    def cache_tag(self) -> str:
        """What decides a vector besides the text and prompt: the model and its truncation length."""
        return f"{self.name}@{self.model.max_seq_length}"

    def _encode(self, texts: list[str], prompt: str, show_progress_bar: bool) -> np.ndarray:
        vectors = self.model.encode(list(texts), prompt=prompt, batch_size=self.batch_size,
                                    show_progress_bar=show_progress_bar, convert_to_numpy=True,
                                    normalize_embeddings=self.normalize)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)

    def encode_queries(self, texts: list[str], show_progress_bar: bool = False) -> np.ndarray:
        return self._encode(texts, self.query_prompt, show_progress_bar)

    def encode_documents(self, texts: list[str], show_progress_bar: bool = False) -> np.ndarray:
        return self._encode(texts, self.document_prompt, show_progress_bar)
