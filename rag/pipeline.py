"""RAGPipeline: retrieve the top-k chunks for each question, prompt with them, generate."""

from __future__ import annotations

from collections.abc import Mapping

from retrieval.types import Document, Query, Retriever, Run

from .generator import Generator
from .prompts import MIRAGE_PROMPTS, PromptTemplate


class RAGPipeline:
    def __init__(self, retriever: Retriever, generator: Generator, documents: Mapping[str, Document] | list[Document],
                 reranker=None, k: int = 5, prompts: PromptTemplate = MIRAGE_PROMPTS, rerank_depth: int = 50):
        """``reranker``: a CrossEncoder (or a registry name) re-scoring the first stage's top ``rerank_depth``."""
        self.documents = documents if isinstance(documents, Mapping) else {d.id: d for d in documents}
        if reranker is not None:
            from retrieval.rerank import RerankingRetriever

            retriever = RerankingRetriever(retriever, reranker, self.documents, depth=rerank_depth)
        self.retriever, self.generator, self.k, self.prompts = retriever, generator, k, prompts

    def retrieve(self, queries: list[Query]) -> Run:
        return self.retriever.search(queries, self.k)

    def conversations(self, queries: list[Query], run: Run) -> list[list[dict]]:
        return [self.prompts.with_context(q.text, [self.documents[h.doc_id].text for h in run.get(q.id, [])[: self.k]])
                for q in queries]

    def answer(self, queries: list[Query], **sampling) -> tuple[list[str], Run]:
        run = self.retrieve(queries)
        return self.generator.generate(self.conversations(queries, run), **sampling), run
