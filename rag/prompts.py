"""Prompt templates; MIRAGE's (Park et al., Findings of NAACL 2025) are the defaults."""

from __future__ import annotations

from dataclasses import dataclass

# As MIRAGE's config.yaml writes them (YAML block scalars: each ends in a newline), and as its
# Preset_prompt/base.json holds them.
SYSTEM_PROMPT = "You are a helpful assistant.\n"
BASE_TEMPLATE = "Question: {question}\n\nAnswer : \n"
RAG_TEMPLATE = "Question : {question}\n\nContext : {context}\n\nAnswer :\n"


@dataclass(frozen=True)
class PromptTemplate:
    system: str = SYSTEM_PROMPT
    base: str = BASE_TEMPLATE
    rag: str = RAG_TEMPLATE
    chunk_separator: str = ""  # MIRAGE's code writes "1. {chunk}2. {chunk}..." with nothing between

    def closed_book(self, question: str) -> list[dict]:
        return self._messages(self.base.format(question=question))

    def with_context(self, question: str, chunks: list[str]) -> list[dict]:
        """Chunks numbered ``1. ...`` and joined as MIRAGE's code joins them (``chunk_separator``)."""
        context = self.chunk_separator.join(f"{i}. {chunk}" for i, chunk in enumerate(chunks, start=1))
        return self._messages(self.rag.format(question=question, context=context))

    def _messages(self, user: str) -> list[dict]:
        return [{"role": "system", "content": self.system}, {"role": "user", "content": user}]


MIRAGE_PROMPTS = PromptTemplate()
