"""RerankingRetriever: a first-stage retriever's top-k re-scored by a sentence-transformers CrossEncoder."""

from __future__ import annotations

from collections.abc import Mapping

from .types import Document, Query, Retriever, Run


class RerankingRetriever:
    def __init__(self, retriever: Retriever, cross_encoder, documents: Mapping[str, Document] | list[Document],
                 depth: int = 100, batch_size: int = 32, show_progress_bar: bool = False):
        """``cross_encoder``: a CrossEncoder, or a name/path the model registry resolves."""
        if isinstance(cross_encoder, str):
            from sentence_transformers import CrossEncoder

            from .models import resolve

            cross_encoder = CrossEncoder(str(resolve(cross_encoder)))
        self.retriever, self.cross_encoder = retriever, cross_encoder
        self.documents = documents if isinstance(documents, Mapping) else {d.id: d for d in documents}
        self.depth, self.batch_size, self.show_progress_bar = depth, batch_size, show_progress_bar

    def search(self, queries: list[Query], k: int = 10) -> Run:
        return self.rerank(queries, self.retriever.search(queries, self.depth), k)

    def rerank(self, queries: list[Query], first: Run, k: int = 10) -> Run:
        """Re-score each query's top ``depth`` hits of an existing run (say, one fused elsewhere)."""
        pairs, owners = [], []
        for q in queries:
            for hit in first.get(q.id, [])[:self.depth]:
                pairs.append((q.text, self.documents[hit.doc_id].text))
                owners.append((q.id, hit.doc_id))
        scores = self.cross_encoder.predict(pairs, batch_size=self.batch_size,
                                            show_progress_bar=self.show_progress_bar) if pairs else []
        reranked: dict[str, dict[str, float]] = {q.id: {} for q in queries}
        for (qid, doc_id), score in zip(owners, scores, strict=True):
            reranked[qid][doc_id] = float(score)
        return Run.from_scores(reranked, name="reranked", k=k)
