"""Student training: a bi-encoder learns the teacher's scores over each query's sampled candidates.

The pipeline of Jang et al. (SIGIR 2026): teacher-score a candidate pool per query (``CrossEncoderTeacher``),
sample n candidates (``distill.sampling``), and train with a KD loss (``distill.losses``) through
sentence-transformers' ``SentenceTransformerTrainer``.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from indexes.folder import atomic_folder
from retrieval.models import resolve, spec_for
from retrieval.training import freeze_word_embeddings

from .losses import KLDistillLoss, MarginMSEDistillLoss
from .sampling import CandidatePool

LOSSES = {"kl": KLDistillLoss, "margin_mse": MarginMSEDistillLoss}


@dataclass(frozen=True)
class DistillExample:
    """One query, its sampled passages (the positive first) and the teacher's score for each."""

    query: str
    passages: tuple[str, ...]
    teacher_scores: tuple[float, ...]


def distill_examples(queries, candidates: Mapping[str, Sequence[str]], documents, qrels: Mapping, teacher,
                     sampler, n: int) -> list[DistillExample]:
    """Teacher-score each query's candidate ids (its positive added if missing), sample ``n`` with ``sampler``
    and pair the texts with their scores. Queries without a positive in ``qrels`` are skipped (MarginMSE needs one).
    ``documents``: {doc id: Document} or a list of Documents; ``queries``: retrieval ``Query`` records."""
    documents = documents if isinstance(documents, Mapping) else {d.id: d for d in documents}
    kept, pools = [], []
    for query in queries:
        positives = [doc_id for doc_id, grade in qrels.get(query.id, {}).items() if grade > 0]
        if not positives:
            continue
        ids = list(dict.fromkeys([*positives, *candidates.get(query.id, ())]))
        missing = next((doc_id for doc_id in ids if doc_id not in documents), None)
        if missing is not None:
            raise ValueError(f"query {query.id!r}: candidate {missing!r} is not among the documents")
        kept.append(query)
        pools.append((ids, positives))
    scores = teacher.score_pools([q.text for q in kept], [[documents[i].text for i in ids] for ids, _ in pools])
    examples = []
    for query, (ids, positives), pool_scores in zip(kept, pools, scores, strict=True):
        sample = sampler.sample(CandidatePool(ids, pool_scores, positives), n)
        examples.append(DistillExample(query.text, tuple(documents[i].text for i in sample.ids), sample.scores))
    return examples


def build_dataset(examples: Sequence[DistillExample]):
    """A ``datasets.Dataset`` with columns ``query, passage_0, ..., passage_{n-1}, label`` (label: n teacher scores),
    the layout sentence-transformers' distillation losses read. Every example must have the same n."""
    from datasets import Dataset

    if not examples:
        raise ValueError("no distillation examples were given")
    width = len(examples[0].passages)
    for example in examples:
        if len(example.passages) != width or len(example.teacher_scores) != width:
            raise ValueError(f"every example needs the same number of passages and scores ({width}); query "
                             f"{example.query!r} has {len(example.passages)} passages and "
                             f"{len(example.teacher_scores)} scores (was its pool smaller than n?)")
    if width < 2:
        raise ValueError(f"distillation needs at least 2 passages per query, not {width}")
    columns = {"query": [e.query for e in examples]}
    for i in range(width):
        columns[f"passage_{i}"] = [e.passages[i] for e in examples]
    columns["label"] = [[float(s) for s in e.teacher_scores] for e in examples]
    return Dataset.from_dict(columns)


def resolve_prompts(name: str | None, model, query_prompt: str | None = None,
                    document_prompt: str | None = None) -> tuple[str, str]:
    """(query prompt, passage prompt): given ones, else the registry's (e5: ``query: ``/``passage: ``), else the
    model folder's own ``query``/``document`` prompts, else none."""
    spec = spec_for(name) if name else None
    own = getattr(model, "prompts", None) or {}
    if query_prompt is None:
        query_prompt = spec.query_prompt if spec and spec.query_prompt else own.get("query", "")
    if document_prompt is None:
        document_prompt = spec.document_prompt if spec and spec.document_prompt else own.get("document", "")
    return query_prompt, document_prompt


def _pairwise_similarity(model):
    from sentence_transformers import util

    functions = {"cosine": util.pairwise_cos_sim, "dot": util.pairwise_dot_score,
                 "euclidean": util.pairwise_euclidean_sim, "manhattan": util.pairwise_manhattan_sim}
    return functions[str(getattr(model.similarity_fn_name, "value", model.similarity_fn_name))]


def train_student(model_or_path, examples: Sequence[DistillExample], loss: str = "kl", epochs: int = 1,
                  batch_size: int = 16, lr: float = 2e-5, seed: int = 0, out_dir: str | Path | None = None,
                  student_temperature: float = 1.0, teacher_temperature: float = 1.0, warmup_ratio: float = 0.1,
                  query_prompt: str | None = None, document_prompt: str | None = None, overwrite: bool = False,
                  freeze_embeddings: bool = True, device: str | None = None, show_progress_bar: bool = True):
    """Distil the teacher's scores into a bi-encoder (a ``SentenceTransformer``, or a name/path the registry
    resolves) with ``loss`` "kl" (listwise KL; for cosine students try ``student_temperature`` ~0.05) or
    "margin_mse". The student scores with its own similarity function. Prompts as ``resolve_prompts``. Writes
    ``out_dir`` (the model and ``distillation.json``) atomically when given; returns the trained model.
    ``freeze_embeddings``: leave the word-embedding table as it is (``retrieval.training``)."""
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from transformers import set_seed

    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}, not {loss!r}")
    for value, label in ((epochs, "epochs"), (batch_size, "batch_size")):
        if value < 1:
            raise ValueError(f"{label} must be at least 1, not {value}")
    if not 0 <= warmup_ratio < 1:  # transformers reads warmup_steps >= 1 as a step count
        raise ValueError(f"warmup_ratio must be in [0, 1), not {warmup_ratio}")
    if out_dir is not None and Path(out_dir).expanduser().exists() and not overwrite:
        raise FileExistsError(f"{out_dir} already exists; pass overwrite=True to replace it")
    dataset = build_dataset(examples)
    set_seed(seed)
    name = str(model_or_path) if isinstance(model_or_path, (str, Path)) else None
    model = SentenceTransformer(str(resolve(name)), device=device) if name else model_or_path
    if freeze_embeddings:
        freeze_word_embeddings(model)
    queries, passages = resolve_prompts(name, model, query_prompt, document_prompt)
    columns = {column: passages for column in dataset.column_names if column.startswith("passage_")}
    prompts = {column: prompt for column, prompt in {"query": queries, **columns}.items() if prompt}
    loss_kwargs = {"student_temperature": student_temperature, "teacher_temperature": teacher_temperature} \
        if loss == "kl" else {}
    objective = LOSSES[loss](model, similarity_fct=_pairwise_similarity(model), **loss_kwargs)
    with tempfile.TemporaryDirectory(prefix="polyrag-student-") as scratch:
        args = SentenceTransformerTrainingArguments(
            output_dir=scratch, num_train_epochs=epochs, per_device_train_batch_size=batch_size, learning_rate=lr,
            warmup_steps=warmup_ratio, seed=seed, data_seed=seed, report_to="none", save_strategy="no",
            logging_steps=50, prompts=prompts or None, disable_tqdm=not show_progress_bar, use_cpu=device == "cpu")
        result = SentenceTransformerTrainer(model=model, args=args, train_dataset=dataset, loss=objective).train()
    model.eval()
    if out_dir is not None:
        record = {"student": name or "(model object)", "loss": loss, "epochs": epochs, "batch_size": batch_size,
                  "learning_rate": lr, "seed": seed, "warmup_ratio": warmup_ratio, "examples": len(dataset),
                  "candidates_per_query": len(examples[0].passages), "student_temperature": student_temperature,
                  "teacher_temperature": teacher_temperature, "prompts": prompts,
                  "freeze_embeddings": freeze_embeddings,
                  "similarity": str(model.similarity_fn_name), "train_loss": result.training_loss,
                  "steps": result.global_step}
        with atomic_folder(out_dir) as tmp:
            model.save(str(tmp))
            (tmp / "distillation.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return model
