"""Retrieval-augmented generation: prompts, generators, the RAG pipeline, answer and MIRAGE metrics."""
