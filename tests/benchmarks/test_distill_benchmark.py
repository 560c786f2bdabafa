"""The distillation benchmark end to end on tiny models: every figure the issue names, a resumable run, and a
missing teacher named with the command that trains one."""

import json

import pytest

from benchmarks import distill as benchmark

SAMPLERS = ("topk", "random", "stratified")
MODELS = ("teacher", "untrained", *SAMPLERS)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def teacher_dir(tiny_bi_encoder_dir, tmp_path_factory):
    """A tiny, untrained cross-encoder saved as a folder, as ``python -m distill.teacher train`` writes one."""
    import torch
    from sentence_transformers import CrossEncoder

    torch.manual_seed(0)
    out = tmp_path_factory.mktemp("tiny-teacher") / "teacher"
    CrossEncoder(str(tiny_bi_encoder_dir.parent / "hf"), num_labels=1, max_length=32, device="cpu").save_pretrained(
        str(out))
    return out


def test_tiny_run_reports_every_figure_and_resumes(tiny_bi_encoder_dir, teacher_dir, data_dir, tmp_path,
                                                  monkeypatch):
    monkeypatch.setenv("POLYRAG_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "out"
    argv = ["--teacher", str(teacher_dir), "--student", str(tiny_bi_encoder_dir), "--data", str(data_dir),
            "--out", str(out), "--seeds", "0", "--languages", "en,de", "--ood-languages", "el", "--limit", "8",
            "--eval-limit", "12", "--n", "4", "--pool-depth", "6", "--batch-size", "4", "--rerank-depth", "5",
            "--max-seq-length", "32", "--cache", str(tmp_path / "scores"), "--device", "cpu"]
    benchmark.main(argv)
    figures = json.loads((out / "report.json").read_text())["figures"]
    for domain in ("in_domain", "out_of_domain"):
        for model in MODELS:
            assert 0.0 <= figures[f"ndcg_at_10_{domain}_{model}"] <= 1.0
            assert figures[f"ndcg_at_10_{domain}_{model}_std"] == 0.0  # one seed
    for stat in ("variance", "entropy", "coverage"):
        assert all(figures[f"score_{stat}_{s}"] >= 0.0 for s in SAMPLERS)
    assert figures["score_coverage_topk"] <= 1.0 and figures["train_queries"] == 8
    assert (out / "teacher_scores_kept.png").stat().st_size > 0
    assert len(list((out / "seeds").glob("seed-0-*.json"))) == len(SAMPLERS)

    def no_training(*args, **kwargs):
        raise AssertionError("a finished seed was trained again")

    monkeypatch.setattr(benchmark, "train_student", no_training)
    benchmark.main(argv)  # every student is cached: the report is rebuilt without training
    assert json.loads((out / "report.json").read_text())["figures"]["ndcg_at_10_in_domain_topk"] == \
        figures["ndcg_at_10_in_domain_topk"]


def test_missing_teacher_names_the_path_and_the_training_command(tmp_path):
    missing = tmp_path / "no-teacher"
    with pytest.raises(SystemExit, match=rf"no trained teacher at {missing}.*python -m distill.teacher train "
                                         rf"--out {missing}"):
        benchmark.main(["--teacher", str(missing), "--out", str(tmp_path / "out")])


def test_teacher_trained_on_the_evaluated_articles_is_refused(tmp_path):
    teacher = tmp_path / "teacher"
    teacher.mkdir()
    (teacher / "config.json").write_text("{}")
    (teacher / "training_report.json").write_text(json.dumps({"split": {"train_articles": list(range(48))}}))
    with pytest.raises(SystemExit, match="trained on articles this benchmark evaluates on"):
        benchmark.main(["--teacher", str(teacher), "--out", str(tmp_path / "out")])
