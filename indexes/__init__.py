"""Index structures and their files: FAISS, BM25 postings, doc stores (see DESIGN.md)."""
