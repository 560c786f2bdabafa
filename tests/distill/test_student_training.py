import json

import numpy as np
import pytest
import torch

from distill.losses import listwise_kl, margin_mse
from distill.sampling import StratifiedSampler, TopKSampler
from distill.train import DistillExample, build_dataset, distill_examples, resolve_prompts, train_student
from retrieval.types import Document, Query

EXAMPLES = [
    DistillExample("capital of norway", ("oslo is the capital city of norway", "paris is the capital of france",
                                         "the river in the city", "music and film"), (6.0, 2.0, 0.0, -3.0)),
    DistillExample("music film", ("music and film and science", "the war of the king", "the river in the city",
                                  "seoul is the capital of korea"), (5.0, -1.0, -2.0, -4.0)),
    DistillExample("the king of france", ("the king of france was in paris", "the queen of korea", "film and music",
                                          "water and fire"), (7.0, 3.0, -2.0, -5.0)),
    DistillExample("river in korea", ("the river in seoul korea", "the river in paris", "the court of law",
                                      "science of water"), (4.0, 2.5, -1.0, -2.0)),
]
TEACHER = torch.tensor([e.teacher_scores for e in EXAMPLES])


def student_scores(model, document_prompt="the "):
    """Cosine scores, as the loss computes them (the tiny model's similarity is cosine), with training's prompt."""
    queries = model.encode([e.query for e in EXAMPLES], convert_to_tensor=True, normalize_embeddings=True)
    rows = [model.encode(list(e.passages), prompt=document_prompt, convert_to_tensor=True,
                         normalize_embeddings=True) @ q for e, q in zip(EXAMPLES, queries, strict=True)]
    return torch.stack(rows).cpu()


@pytest.fixture
def student(tiny_bi_encoder_dir):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(tiny_bi_encoder_dir), device="cpu")


def test_build_dataset_lays_out_columns_for_the_losses():
    dataset = build_dataset(EXAMPLES)
    assert dataset.column_names == ["query", "passage_0", "passage_1", "passage_2", "passage_3", "label"]
    assert dataset[0]["label"] == [6.0, 2.0, 0.0, -3.0]
    uneven = [EXAMPLES[0], DistillExample("q", ("a", "b"), (1.0, 0.0))]
    with pytest.raises(ValueError, match="query 'q' has 2 passages"):
        build_dataset(uneven)


@pytest.mark.parametrize(("loss", "measure"), [("kl", lambda s, t: listwise_kl(s, t, 0.1, 1.0)),
                                               ("margin_mse", margin_mse)])
def test_one_step_moves_the_student_toward_the_teacher(student, tmp_path, loss, measure):
    before = measure(student_scores(student), TEACHER).item()
    trained = train_student(student, EXAMPLES, loss=loss, epochs=1, batch_size=len(EXAMPLES), lr=1e-3, seed=0,
                            warmup_ratio=0.0, student_temperature=0.1, out_dir=tmp_path / "student",
                            query_prompt="", document_prompt="the ", device="cpu", show_progress_bar=False)
    after = measure(student_scores(trained), TEACHER).item()
    assert after < before, (before, after)
    record = json.loads((tmp_path / "student" / "distillation.json").read_text())
    assert record["steps"] == 1 and record["loss"] == loss and record["examples"] == 4
    assert record["prompts"] == {f"passage_{i}": "the " for i in range(4)}  # the trainer prefixes passage columns
    with pytest.raises(FileExistsError, match="already exists"):
        train_student(trained, EXAMPLES, out_dir=tmp_path / "student")


def test_bad_loss_is_named():
    with pytest.raises(ValueError, match="not 'mse'"):
        train_student("unused", EXAMPLES, loss="mse")


def test_prompts_follow_the_registry_then_the_model():
    class Plain:
        prompts = None

    class Prompted:
        def __init__(self):
            self.prompts = {"query": "q> ", "document": "d> "}

    assert resolve_prompts("intfloat/multilingual-e5-small", Plain()) == ("query: ", "passage: ")
    assert resolve_prompts("e5", Plain(), query_prompt="") == ("", "passage: ")
    assert resolve_prompts("/some/folder", Prompted()) == ("q> ", "d> ")
    assert resolve_prompts(None, Plain()) == ("", "")


def test_distill_examples_scores_samples_and_keeps_the_positive():
    class FakeTeacher:
        def score_pools(self, queries, candidates):
            return [np.array([float(len(text)) for text in texts]) for texts in candidates]

    docs = [Document(f"d{i}", "x" * (i + 1)) for i in range(10)]
    queries = [Query("q1", "first"), Query("q2", "no positive")]
    qrels = {"q1": {"d0": 1}}
    examples = distill_examples(queries, {"q1": [f"d{i}" for i in range(1, 10)]}, docs, qrels, FakeTeacher(),
                                TopKSampler(), 3)
    assert examples == [DistillExample("first", ("x", "x" * 10, "x" * 9), (1.0, 10.0, 9.0))]
    stratified = distill_examples(queries, {"q1": [f"d{i}" for i in range(1, 10)]}, docs, qrels, FakeTeacher(),
                                  StratifiedSampler(n_strata=2), 3)
    assert stratified[0].passages[0] == "x" and len(stratified[0].passages) == 3
    with pytest.raises(ValueError, match="candidate 'nope' is not among the documents"):
        distill_examples(queries, {"q1": ["nope"]}, docs, qrels, FakeTeacher(), TopKSampler(), 2)
