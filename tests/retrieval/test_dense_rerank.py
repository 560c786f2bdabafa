import numpy as np
import pytest

from indexes.faiss_index import IndexMismatchError
from retrieval import embedding_cache
from retrieval.dense import DenseRetriever
from retrieval.embedding_cache import EmbeddingCache, encode_with_cache
from retrieval.encoders import SentenceTransformerEncoder
from retrieval.hybrid import HybridRetriever
from retrieval.rerank import RerankingRetriever
from retrieval.types import Document, Query, Run

DOCS = [Document("d1", "oslo is the capital city of norway"), Document("d2", "paris is the capital of france"),
        Document("d3", "seoul is the capital city of korea"), Document("d4", "the river in the city"),
        Document("d5", "music and film and science")]
QUERIES = [Query("q1", "capital of norway"), Query("q2", "music film")]


@pytest.fixture(scope="module")
def encoder(tiny_bi_encoder_dir):
    return SentenceTransformerEncoder(str(tiny_bi_encoder_dir))


def test_dense_search_equals_brute_force(encoder):
    retriever = DenseRetriever(encoder, show_progress_bar=False).add(DOCS)
    run = retriever.search(QUERIES, k=3)
    docs, queries = encoder.encode_documents([d.text for d in DOCS]), encoder.encode_queries([q.text for q in QUERIES])
    scores = queries @ docs.T
    for q, row in zip(QUERIES, scores, strict=True):
        expected = [DOCS[i].id for i in np.argsort(-row)[:3]]
        assert [h.doc_id for h in run[q.id]] == expected
        assert [h.score for h in run[q.id]] == pytest.approx(sorted(row, reverse=True)[:3], abs=1e-5)


def test_cache_skips_done_work_and_resumes(encoder, tmp_path, monkeypatch):
    calls = []

    def counting(texts):
        calls.append(len(texts))
        if len(calls) == 2:
            raise KeyboardInterrupt("killed during the second block")
        return encoder.encode_documents(texts)

    texts = [d.text for d in DOCS]
    cache = EmbeddingCache(tmp_path, encoder.name, encoder.dim)
    with pytest.raises(KeyboardInterrupt):
        encode_with_cache(counting, texts, "", cache, block_size=2, show_progress_bar=False)
    assert calls == [2, 2] and len(EmbeddingCache(tmp_path, encoder.name, encoder.dim)) == 2
    calls.clear()
    resumed = EmbeddingCache(tmp_path, encoder.name, encoder.dim)
    vectors = encode_with_cache(lambda t: (calls.append(len(t)), encoder.encode_documents(t))[1], texts, "",
                                resumed, block_size=2, show_progress_bar=False)
    assert calls == [2, 1]  # only the three texts not cached were encoded
    np.testing.assert_allclose(vectors, encoder.encode_documents(texts), atol=1e-6)
    assert embedding_cache.text_key("query: ", "x") != embedding_cache.text_key("passage: ", "x")


def test_saved_dense_index_refuses_another_encoder(encoder, tmp_path):
    DenseRetriever(encoder, show_progress_bar=False).add(DOCS).save(tmp_path / "idx")
    loaded = DenseRetriever.load(tmp_path / "idx", encoder, show_progress_bar=False)
    assert loaded.search(QUERIES, 2) == DenseRetriever(encoder, show_progress_bar=False).add(DOCS).search(QUERIES, 2)

    class Other:
        name, dim = "org/other-model", encoder.dim

    with pytest.raises(IndexMismatchError, match="org/other-model"):
        DenseRetriever.load(tmp_path / "idx", Other())


@pytest.fixture(scope="module")
def tiny_cross_encoder(tiny_bi_encoder_dir):
    from sentence_transformers import CrossEncoder

    return CrossEncoder(str(tiny_bi_encoder_dir.parent / "hf"), num_labels=1, device="cpu")


def test_reranker_reorders_first_stage_by_cross_encoder(encoder, tiny_cross_encoder):
    first = DenseRetriever(encoder, show_progress_bar=False).add(DOCS)
    reranked = RerankingRetriever(first, tiny_cross_encoder, DOCS, depth=4).search(QUERIES, k=3)
    first_run = first.search(QUERIES, 4)
    for q in QUERIES:
        candidates = [h.doc_id for h in first_run[q.id]]
        scores = tiny_cross_encoder.predict([(q.text, next(d.text for d in DOCS if d.id == c)) for c in candidates])
        expected = [candidates[i] for i in np.argsort(-scores, kind="stable")[:3]]
        assert [h.doc_id for h in reranked[q.id]] == expected


def test_rerank_rescores_only_the_top_depth_of_a_given_run(encoder, tiny_cross_encoder):
    first_run = DenseRetriever(encoder, show_progress_bar=False).add(DOCS).search(QUERIES, 4)
    reranked = RerankingRetriever(None, tiny_cross_encoder, DOCS, depth=2).rerank(QUERIES, first_run, k=10)
    for q in QUERIES:
        top_two = [h.doc_id for h in first_run[q.id][:2]]
        assert sorted(h.doc_id for h in reranked[q.id]) == sorted(top_two)  # depth 2: nothing below is kept


def test_hybrid_fuses_its_parts():
    class Fixed:
        def __init__(self, run):
            self.run = run

        def search(self, queries, k):
            return self.run

    a = Run.from_scores({"q1": {"d1": 3.0, "d2": 2.0}})
    b = Run.from_scores({"q1": {"d2": 0.9, "d3": 0.1}})
    run = HybridRetriever([Fixed(a), Fixed(b)], fusion="rrf").search([Query("q1", "x")], k=2)
    assert [h.doc_id for h in run["q1"]] == ["d2", "d1"]
    with pytest.raises(ValueError, match="fusion must be"):
        HybridRetriever([], fusion="max")
