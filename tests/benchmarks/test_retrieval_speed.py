"""The benchmark's measuring functions on small inputs: they run, and what they compare is comparable."""

import numpy as np
import pytest

from benchmarks.report import write_report
from benchmarks.retrieval_speed import ann_sweep, bm25_lucene_agreement, bm25_parity, bm25_speed, faiss_overhead
from indexes.lucene import available as lucene_available

TEXTS = ["the cat sat on the mat", "a dog and a cat", "stock markets fell sharply", "the court ruled today",
         "rain is expected tomorrow", "a new film about music", "cats and dogs are pets", "markets and stocks"]
QUERIES = ["cat on mat", "stock markets", "music film", "dogs"]


def test_bm25_parity_on_a_toy_corpus_is_exact():
    ids = [f"d{i}" for i in range(len(TEXTS))]
    parity = bm25_parity(ids, TEXTS, QUERIES)
    assert parity["max_abs_score_diff"] < 1e-9 and parity["same_top_ids_share"] == 1.0


def test_bm25_speed_reports_every_peer():
    result = bm25_speed([f"d{i}" for i in range(len(TEXTS))], TEXTS, QUERIES * 5, rank_bm25_queries=4)
    assert {"ours_qps", "bm25s_qps", "bm25s_same_tokens_qps", "rank_bm25_qps", "pyserini_qps"} <= set(result)
    assert all(result[key] > 0 for key in result if key != "pyserini_qps" or lucene_available() is None)


@pytest.mark.skipif(lucene_available() is not None, reason="no Lucene here: pip install -e .[lucene]")
def test_lucene_agreement_on_short_documents_is_exact_bar_rounding():
    agreement = bm25_lucene_agreement([f"d{i}" for i in range(len(TEXTS))], TEXTS, QUERIES)
    assert agreement["top_k_overlap"] == 1.0 and agreement["max_rel_score_diff"] < 1e-3  # lengths < 24: exact


def test_faiss_measures_and_ann_rows():
    rng = np.random.default_rng(0)
    docs = rng.standard_normal((500, 16)).astype(np.float32)
    queries = rng.standard_normal((20, 16)).astype(np.float32)
    assert faiss_overhead(docs, queries)["ratio"] > 0
    rows = ann_sweep(docs, queries)
    assert rows[0] == {**rows[0], "index": "Flat", "recall_at_10": 1.0}
    assert {r["param"] for r in rows} >= {"ef_search=64", "nprobe=16"}
    assert all(0.0 <= r["recall_at_10"] <= 1.0 for r in rows)


def test_report_shape(tmp_path):
    write_report(tmp_path, "t", {"a_figure": 1.5}, {"Table": [{"x": 1, "y": 0.25}]})
    import json

    report = json.loads((tmp_path / "report.json").read_text())
    assert set(report) == {"command", "environment", "figures", "tables"} and report["figures"] == {"a_figure": 1.5}
    assert "| a_figure | 1.5000 |" in (tmp_path / "report.md").read_text()
