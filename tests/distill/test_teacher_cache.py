import json

import numpy as np
import pytest

from distill import teacher as teacher_module
from distill.teacher import CrossEncoderTeacher
from retrieval import embedding_cache

QUERIES = ["capital of norway", "music film"]
CANDIDATES = [["oslo is the capital city of norway", "paris is the capital of france", "the river in the city"],
              ["music and film and science", "the river in the city"]]


@pytest.fixture(scope="module")
def cross_encoder(tiny_bi_encoder_dir):
    from sentence_transformers import CrossEncoder

    return CrossEncoder(str(tiny_bi_encoder_dir.parent / "hf"), num_labels=1, device="cpu")


def counting(teacher):
    calls = []
    predict = teacher._predict

    def wrapped(pairs):
        calls.append(len(pairs))
        return predict(pairs)

    teacher._predict = wrapped
    return calls


def test_scores_are_logits_in_candidate_order(cross_encoder):
    import torch

    teacher = CrossEncoderTeacher(cross_encoder, show_progress_bar=False)
    scores = teacher.score_pools(QUERIES, CANDIDATES)
    expected = cross_encoder.predict([(QUERIES[0], c) for c in CANDIDATES[0]], activation_fn=torch.nn.Identity())
    assert [len(s) for s in scores] == [3, 2] and scores[0].dtype == np.float32
    np.testing.assert_allclose(scores[0], expected, atol=1e-6)
    np.testing.assert_allclose(teacher.score(QUERIES[1], CANDIDATES[1]), scores[1], atol=1e-6)
    with pytest.raises(ValueError, match="2 queries and 1 candidate lists"):
        teacher.score_pools(QUERIES, CANDIDATES[:1])


def test_cache_returns_the_same_scores_without_calling_the_model(cross_encoder, tmp_path):
    teacher = CrossEncoderTeacher(cross_encoder, cache_dir=tmp_path, show_progress_bar=False)
    calls = counting(teacher)
    queries, candidates = [*QUERIES, QUERIES[0]], [*CANDIDATES, CANDIDATES[0][:1]]  # one pair asked twice
    first = teacher.score_pools(queries, candidates)
    assert calls == [5] and first[2][0] == first[0][0]  # 6 pairs, 5 distinct: each scored once
    again = CrossEncoderTeacher(cross_encoder, cache_dir=tmp_path, show_progress_bar=False)
    again_calls = counting(again)
    second = again.score_pools(queries, candidates)
    assert again_calls == [] and all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


def test_killed_write_leaves_a_usable_cache_and_resumes(cross_encoder, tmp_path, monkeypatch):
    uncached = CrossEncoderTeacher(cross_encoder, show_progress_bar=False).score_pools(QUERIES, CANDIDATES)
    real_save, saves = np.save, []

    def dying_save(handle, array):
        saves.append(len(array))
        if len(saves) == 2:  # the second shard: half its bytes reach the disk, then the process dies
            handle.write(b"\x93NUMPY half a file")
            raise KeyboardInterrupt("killed mid-write")
        real_save(handle, array)

    monkeypatch.setattr(embedding_cache.np, "save", dying_save)
    teacher = CrossEncoderTeacher(cross_encoder, cache_dir=tmp_path, block_size=2, show_progress_bar=False)
    with pytest.raises(KeyboardInterrupt):
        teacher.score_pools(QUERIES, CANDIDATES)
    monkeypatch.setattr(embedding_cache.np, "save", real_save)
    resumed = CrossEncoderTeacher(cross_encoder, cache_dir=tmp_path, block_size=2, show_progress_bar=False)
    assert len(resumed.cache) == 2  # the first shard survived whole; the half-written one never appeared
    calls = counting(resumed)
    scores = resumed.score_pools(QUERIES, CANDIDATES)
    assert calls == [2, 1]  # only the 3 pairs not cached
    for got, want in zip(scores, uncached, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-6)


def test_train_cli_runs_end_to_end_on_a_tiny_model(tiny_bi_encoder_dir, data_dir, tmp_path, monkeypatch):
    from indexes import bm25

    monkeypatch.setattr(bm25, "BM25S_BACKEND", "numpy")  # same results; skips numba's JIT compile (~10 s)
    out = tmp_path / "teacher"
    argv = ["train", "--out", str(out), "--backbone", str(tiny_bi_encoder_dir), "--limit", "2", "--languages",
            "en,de", "--negatives", "1", "--batch-size", "4", "--max-length", "32", "--rerank-depth", "3",
            "--eval-limit", "4", "--compare-with", str(tiny_bi_encoder_dir), "--data", str(data_dir), "--device", "cpu"]
    assert teacher_module.main(argv) == 0
    report = json.loads((out / "training_report.json").read_text())
    assert report["train_pairs"] == 2 * 2 * 2 and set(report["ndcg_at_10"]) == {"en", "de"}
    assert 0.0 <= report["ndcg_at_10_mean"] <= 1.0 and report["eval_limit"] == 4
    assert set(report["ndcg_at_10_mean_baselines"]) == {"bm25", str(tiny_bi_encoder_dir)}
    assert set(report["split"]["train_articles"]).isdisjoint(report["split"]["eval_articles"])
    scores = CrossEncoderTeacher(out, show_progress_bar=False, device="cpu").score("capital", ["oslo", "music"])
    assert scores.shape == (2,) and np.isfinite(scores).all()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder left behind
    with pytest.raises(SystemExit):  # refuses to overwrite without --overwrite
        teacher_module.main(argv)
