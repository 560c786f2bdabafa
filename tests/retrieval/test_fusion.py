import pytest

from retrieval.fusion import reciprocal_rank_fusion, weighted_sum
from retrieval.types import Run

BM25 = Run.from_scores({"q": {"a": 12.0, "b": 9.0, "c": 3.0}})
DENSE = Run.from_scores({"q": {"b": 0.9, "d": 0.8, "a": 0.5}})


def test_rrf_by_hand():
    fused = reciprocal_rank_fusion([BM25, DENSE], k=60)
    # a: 1/61 + 1/63, b: 1/62 + 1/61, c: 1/63, d: 1/62
    expected = {"b": 1 / 62 + 1 / 61, "a": 1 / 61 + 1 / 63, "d": 1 / 62, "c": 1 / 63}
    assert [h.doc_id for h in fused["q"]] == ["b", "a", "d", "c"]
    for hit in fused["q"]:
        assert hit.score == pytest.approx(expected[hit.doc_id], abs=1e-15)


def test_rrf_weights_and_depth():
    fused = reciprocal_rank_fusion([BM25, DENSE], k=1, weights=[2.0, 1.0], depth=1)
    # depth 1: only a (bm25, 2/(1+1) = 1.0) and b (dense, 1/(1+1) = 0.5)
    assert [(h.doc_id, h.score) for h in fused["q"]] == [("a", 1.0), ("b", 0.5)]


def test_minmax_weighted_sum_by_hand():
    fused = weighted_sum([BM25, DENSE], weights=[0.5, 0.5], method="minmax")
    # bm25 min-max: a 1, b 6/9, c 0; dense: b 1, d 0.75, a 0; missing -> 0
    expected = {"a": 0.5, "b": 0.5 * 6 / 9 + 0.5, "c": 0.0, "d": 0.375}
    assert {h.doc_id: h.score for h in fused["q"]} == pytest.approx(expected, abs=1e-12)
    assert [h.doc_id for h in fused["q"]] == ["b", "a", "d", "c"]


def test_zscore_weighted_sum_by_hand():
    fused = weighted_sum([BM25, DENSE], method="zscore")
    # bm25 mean 8, std sqrt(14): a 4/√14, b 1/√14, c -5/√14; dense mean 0.7333.., std 0.1700..
    import numpy as np

    z_bm25 = dict(zip("abc", (np.array([12, 9, 3]) - 8) / np.sqrt(14), strict=True))
    dense = np.array([0.9, 0.8, 0.5])
    z_dense = dict(zip("bda", (dense - dense.mean()) / dense.std(), strict=True))
    expected = {d: z_bm25.get(d, min(z_bm25.values())) + z_dense.get(d, min(z_dense.values())) for d in "abcd"}
    assert {h.doc_id: h.score for h in fused["q"]} == pytest.approx(expected, abs=1e-12)


def test_unknown_normalisation():
    with pytest.raises(ValueError, match="'minmax' or 'zscore'"):
        weighted_sum([BM25], method="rank")
