"""The cross-lingual benchmark end to end on a tiny encoder: every figure the issue names, the heatmap, and a
resumed run that trains nothing again."""

import json

import pytest

from benchmarks import clir as benchmark

FIGURES = ("max_at_r_mixed", "complete_at_10_mixed", "english_preference_rate_mixed", "monolingual_ndcg_at_10")


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_tiny_run_reports_every_figure_and_resumes(tiny_bi_encoder_dir, data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("POLYRAG_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "out"
    argv = ["--model", str(tiny_bi_encoder_dir), "--data", str(data_dir), "--out", str(out), "--seeds", "0,1",
            "--languages", "de,zh", "--max-samples", "16", "--batch-size", "8", "--max-seq-length", "32",
            "--cache", str(tmp_path / "embeddings")]
    benchmark.main(argv)
    report = json.loads((out / "report.json").read_text())
    figures = report["figures"]
    for name in FIGURES:
        for model in ("baseline", "aligned"):
            assert figures[f"{name}_{model}_std"] >= 0.0
        assert figures[f"{name}_change"] == pytest.approx(figures[f"{name}_aligned"] - figures[f"{name}_baseline"])
    assert figures["max_at_r_mixed_baseline"] >= 2.0  # two relevant documents per query in a mixed pool
    assert 0.0 <= figures["english_preference_rate_mixed_aligned"] <= 1.0
    assert figures["n_seeds"] == 2 and figures["n_languages"] == 2 and figures["train_samples"] == 16
    rows = report["tables"]["Per language and scenario (mean over seeds)"]
    assert {(r["language"], r["scenario"]) for r in rows} == {(lang, s) for lang in ("de", "zh")
                                                              for s in benchmark.SCENARIOS}
    assert (out / "clir_heatmap.png").stat().st_size > 0

    def no_training(*args, **kwargs):
        raise AssertionError("a finished seed was trained again")

    monkeypatch.setattr(benchmark.CrossLingualAligner, "fit", no_training)
    benchmark.main(argv)
    assert json.loads((out / "report.json").read_text())["figures"]["max_at_r_mixed_aligned"] == \
        figures["max_at_r_mixed_aligned"]


def test_unknown_language_is_named(tmp_path):
    with pytest.raises(SystemExit, match=r"unknown target language.*xx"):
        benchmark.main(["--languages", "de,xx", "--out", str(tmp_path / "out")])
