"""The retrieval benchmark's quality table on real XQuAD with tiny models: the reranked row is scored only on
held-out articles' questions, beside every other retriever on the same questions."""

import pytest

from benchmarks.retrieval import quality
from indexes.lucene import available as lucene_available
from retrieval.datasets import load_xquad_parallel, split_articles
from retrieval.encoders import SentenceTransformerEncoder


@pytest.fixture(scope="module")
def tiny_cross_encoder(tiny_bi_encoder_dir):
    from sentence_transformers import CrossEncoder

    return CrossEncoder(str(tiny_bi_encoder_dir.parent / "hf"), num_labels=1, device="cpu")


def test_reranked_rows_cover_held_out_questions_only(tiny_bi_encoder_dir, tiny_cross_encoder, data_dir, tmp_path,
                                                     monkeypatch):
    from indexes import bm25

    monkeypatch.setattr(bm25, "BM25S_BACKEND", "numpy")  # same results; skips numba's JIT compile
    xquad = load_xquad_parallel(["en"], data_dir)
    encoder = SentenceTransformerEncoder(str(tiny_bi_encoder_dir), device="cpu")
    rows = quality(xquad, ["en"], {"e5": encoder}, tmp_path / "cache", tiny_cross_encoder, rerank_depth=5,
                   rerank_queries=7)
    scopes = {(r["scope"], r["retriever"]) for r in rows}
    assert ("en", "reranked") not in scopes and ("pooled", "reranked") not in scopes
    held_out = {r["retriever"]: r for r in rows if r["scope"] == "en held-out"}
    lucene = {"bm25_lucene"} if lucene_available() is None else set()  # Lucene's BM25 beside ours, where Java is
    assert set(held_out) == {"bm25", "e5", "hybrid", "hybrid_zscore", "reranked"} | lucene
    # the reranker keeps only the hybrid's top 5: it cannot find more than the hybrid's top 100 holds
    assert held_out["reranked"]["R@100"] <= held_out["hybrid_zscore"]["R@100"]
    assert all(0.0 <= r[m] <= 1.0 for r in rows for m in ("nDCG@10", "R@100", "RR@10"))
    full = {r["retriever"]: r for r in rows if r["scope"] == "en"}
    eval_articles = set(split_articles(48, 0.5, seed=0)[1])
    assert 0 < len([q for q in xquad["en"].questions if q.article in eval_articles]) < len(xquad["en"].questions)
    assert full["bm25"]["nDCG@10"] != held_out["bm25"]["nDCG@10"]  # another question set
