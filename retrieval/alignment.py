"""Cross-lingual alignment training: InfoNCE relevance plus a Jensen-Shannon term that makes a query's
similarity distribution over a batch's documents the same in the query's language and in English.

After Hong et al., "Improving Semantic Proximity in Information Retrieval through Cross-Lingual Alignment"
(ICLR 2026), trained on at most 2,800 XQuAD samples from articles kept apart from evaluation.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from indexes.folder import atomic_folder

from .datasets.xquad import XQuAD
from .training import freeze_word_embeddings

PIVOT = "en"


def jensen_shannon(logits_a: Tensor, logits_b: Tensor) -> Tensor:
    """Mean over rows of JS(softmax(a) || softmax(b)) in nats (0 when equal, at most ln 2)."""
    log_p, log_q = F.log_softmax(logits_a, dim=-1), F.log_softmax(logits_b, dim=-1)
    log_m = torch.logsumexp(torch.stack([log_p, log_q]), dim=0) - torch.log(torch.tensor(2.0))
    kl_pm = F.kl_div(log_m, log_p, log_target=True, reduction="none").sum(-1)
    kl_qm = F.kl_div(log_m, log_q, log_target=True, reduction="none").sum(-1)
    return (0.5 * (kl_pm + kl_qm)).mean()


def alignment_loss(queries: Tensor, docs_target: Tensor, docs_pivot: Tensor, temperature: float = 0.05,
                   jsd_weight: float = 1.0) -> tuple[Tensor, Tensor, Tensor]:
    """(total, infonce, jsd) for a batch where row i of each tensor is one sample: a query, its paragraph
    in the query's language, and the parallel English paragraph (embeddings; cosine similarity is used).

    InfoNCE runs over the mixed pool of all 2B documents: each relevant document (target, then English)
    against every unrelated document of both languages, its parallel twin left out of the denominator.
    Softmax is blind to a shift that lifts every English score alike, so per-language InfoNCE and the JSD
    term alone could not see English inclination; the mixed pool does."""
    q, t, p = (F.normalize(x, dim=-1) for x in (queries, docs_target, docs_pivot))
    scores_target, scores_pivot = q @ t.T / temperature, q @ p.T / temperature
    n = q.size(0)
    eye = torch.eye(n, dtype=torch.bool, device=q.device)
    labels = torch.arange(n, device=q.device)
    # positive = target paragraph: candidates are all target paragraphs + the unrelated English ones
    with_target = torch.cat([scores_target, scores_pivot.masked_fill(eye, float("-inf"))], dim=1)
    with_pivot = torch.cat([scores_pivot, scores_target.masked_fill(eye, float("-inf"))], dim=1)
    infonce = 0.5 * (F.cross_entropy(with_target, labels) + F.cross_entropy(with_pivot, labels))
    jsd = jensen_shannon(scores_target, scores_pivot)
    return infonce + jsd_weight * jsd, infonce, jsd


class CrossLingualAlignmentLoss(nn.Module):
    """sentence-transformers loss over (query, positive, positive_pivot) columns; see ``alignment_loss``."""

    def __init__(self, model, temperature: float = 0.05, jsd_weight: float = 1.0):
        super().__init__()
        self.model, self.temperature, self.jsd_weight = model, temperature, jsd_weight

    def forward(self, sentence_features, labels=None) -> Tensor:
        queries, target, pivot = (self.model(features)["sentence_embedding"] for features in sentence_features)
        return alignment_loss(queries, target, pivot, self.temperature, self.jsd_weight)[0]

    def get_config_dict(self) -> dict:
        return {"temperature": self.temperature, "jsd_weight": self.jsd_weight}


def alignment_samples(xquad: Mapping[str, XQuAD], articles, languages, max_samples: int = 2800,
                      seed: int = 0) -> dict[str, list[dict]]:
    """Training rows per target language, {query, positive, positive_pivot}, drawn from ``articles`` only,
    split evenly over the languages (at most ``max_samples`` in all), seeded."""
    languages = [lang for lang in languages if lang != PIVOT]
    if not languages:
        raise ValueError("no target language besides the pivot 'en'")
    articles = set(articles)
    pivot_text = {d.id: d.text for d in xquad[PIVOT].paragraphs if d.metadata["article"] in articles}
    rng = random.Random(seed)
    per_language = max_samples // len(languages)
    samples = {}
    for lang in languages:
        text = {d.id: d.text for d in xquad[lang].paragraphs if d.metadata["article"] in articles}
        questions = [q for q in xquad[lang].questions if q.article in articles]
        if not questions:
            raise ValueError(f"no {lang} questions in articles {sorted(articles)}")
        chosen = rng.sample(questions, min(per_language, len(questions)))
        samples[lang] = [{"query": q.question, "positive": text[q.paragraph_id],
                          "positive_pivot": pivot_text[q.paragraph_id]} for q in chosen]
    return samples


class CrossLingualAligner:
    """Fine-tunes a sentence-transformers encoder with ``CrossLingualAlignmentLoss``, one target language per
    batch (so a batch's two document sets are parallel), no paragraph twice in a batch."""

    def __init__(self, model: str | Path, temperature: float = 0.05, jsd_weight: float = 1.0, batch_size: int = 32,
                 epochs: float = 1.0, learning_rate: float = 2e-5, max_seq_length: int | None = 256,
                 freeze_embeddings: bool = True, seed: int = 0, device: str | None = None):
        from .models import load_sentence_transformer, spec_for

        spec = spec_for(str(model))
        self.name = spec.name if spec else str(model)
        self.model = load_sentence_transformer(str(model), device=device)
        if max_seq_length is not None:
            self.model.max_seq_length = max_seq_length
        self.query_prompt = spec.query_prompt if spec else ""
        self.document_prompt = spec.document_prompt if spec else ""
        if freeze_embeddings:
            freeze_word_embeddings(self.model)
        self.loss = CrossLingualAlignmentLoss(self.model, temperature, jsd_weight)
        self.batch_size, self.epochs, self.learning_rate, self.seed = batch_size, epochs, learning_rate, seed

    def fit(self, samples: Mapping[str, list[dict]], out_dir: str | Path, show_progress_bar: bool = True) -> Path:
        """Train on {language: rows} and save the model folder atomically; return it."""
        from datasets import Dataset, DatasetDict
        from sentence_transformers import SentenceTransformerTrainer, SentenceTransformerTrainingArguments
        from sentence_transformers.training_args import BatchSamplers, MultiDatasetBatchSamplers

        train = DatasetDict({lang: Dataset.from_list(rows) for lang, rows in samples.items() if rows})
        if not train:
            raise ValueError("no training samples")
        out_dir = Path(out_dir)
        with atomic_folder(out_dir) as tmp:
            args = SentenceTransformerTrainingArguments(
                output_dir=str(tmp / "checkpoints"), num_train_epochs=self.epochs,
                per_device_train_batch_size=self.batch_size, learning_rate=self.learning_rate, warmup_steps=0.1,
                seed=self.seed, data_seed=self.seed, batch_sampler=BatchSamplers.NO_DUPLICATES,
                multi_dataset_batch_sampler=MultiDatasetBatchSamplers.PROPORTIONAL,
                prompts={"query": self.query_prompt, "positive": self.document_prompt,
                         "positive_pivot": self.document_prompt},
                save_strategy="no", report_to="none", logging_steps=10, disable_tqdm=not show_progress_bar,
                use_cpu=not torch.cuda.is_available())
            trainer = SentenceTransformerTrainer(model=self.model, args=args, train_dataset=train, loss=self.loss)
            trainer.train()
            self.model.prompts = {"query": self.query_prompt, "document": self.document_prompt}  # saved with it
            self.model.save(str(tmp / "model"))
            self.history = [entry for entry in trainer.state.log_history if "loss" in entry]
        return out_dir / "model"
