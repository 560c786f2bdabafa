"""Distillation losses from teacher scores: listwise KL divergence and MarginMSE, on a query's sampled candidates.

Each loss is a sentence-transformers loss (columns ``query, passage_0, ..., passage_{n-1}``, label = the n teacher
scores, the positive first) whose ``forward`` embeds the columns and delegates to a plain function on scores, so
tests can check the numbers by hand. The classes subclass sentence-transformers' ``DistillKLDivLoss`` and
``MarginMSELoss`` (their init, temperature checks, embedding pass and citations) and only route the arithmetic
through the functions here. Used for the KD experiments of Jang et al. (SIGIR 2026).
"""

from __future__ import annotations

import torch
from sentence_transformers.sentence_transformer.losses import DistillKLDivLoss, MarginMSELoss
from sentence_transformers.util import check_teacher_targets
from torch import Tensor


def listwise_kl(student_scores: Tensor, teacher_scores: Tensor, student_temperature: float = 1.0,
                teacher_temperature: float = 1.0) -> Tensor:
    """KL(softmax(teacher / T_t) || softmax(student / T_s)) per query, averaged over queries, times T_s**2.

    Rows are queries, columns candidates. The T_s**2 factor (Hinton et al.) keeps gradient sizes comparable across
    temperatures; it is the same scaling as sentence-transformers' ``DistillKLDivLoss``.
    """
    if student_scores.shape != teacher_scores.shape or student_scores.dim() != 2:
        raise ValueError(f"student and teacher scores must both be (queries, candidates); got "
                         f"{tuple(student_scores.shape)} and {tuple(teacher_scores.shape)}")
    student_log_probs = torch.log_softmax(student_scores / student_temperature, dim=1)
    teacher_probs = torch.softmax(teacher_scores.detach().to(student_scores.dtype) / teacher_temperature, dim=1)
    kl = torch.nn.functional.kl_div(student_log_probs, teacher_probs, reduction="batchmean")
    return kl * student_temperature ** 2


def margin_mse(student_scores: Tensor, teacher_scores: Tensor) -> Tensor:
    """MarginMSE (Hofstätter et al., 2020): mean squared error between student and teacher margins
    ``score(positive) - score(candidate_i)``; column 0 is the positive."""
    if student_scores.shape != teacher_scores.shape or student_scores.dim() != 2 or student_scores.shape[1] < 2:
        raise ValueError(f"student and teacher scores must both be (queries, candidates >= 2); got "
                         f"{tuple(student_scores.shape)} and {tuple(teacher_scores.shape)}")
    teacher_scores = teacher_scores.detach().to(student_scores.dtype)
    student_margins = student_scores[:, :1] - student_scores[:, 1:]
    teacher_margins = teacher_scores[:, :1] - teacher_scores[:, 1:]
    return torch.nn.functional.mse_loss(student_margins, teacher_margins)


def _student_scores(similarity_fct, embeddings: list[Tensor], labels: Tensor, loss_name: str) -> Tensor:
    """(batch, n) student scores of the query column against each of the n candidate columns."""
    query, candidates = embeddings[0], embeddings[1:]
    if len(candidates) < 2 or labels.shape != (query.shape[0], len(candidates)):
        raise ValueError(f"{loss_name} needs a query column, at least 2 candidate columns and one teacher score "
                         f"per candidate: got {len(candidates)} candidate columns and labels of shape "
                         f"{tuple(labels.shape)}")
    return torch.stack([similarity_fct(query, candidate) for candidate in candidates], dim=1)


class KLDistillLoss(DistillKLDivLoss):
    """Listwise KL distillation with separate student and teacher temperatures (``listwise_kl``).

    Reuses sentence-transformers' ``DistillKLDivLoss`` whole (it already takes both temperatures); only the
    arithmetic is routed through ``listwise_kl`` so it has one, testable definition here.
    """

    def compute_loss_from_embeddings(self, embeddings: list[Tensor], labels: Tensor) -> Tensor:
        student = _student_scores(self.similarity_fct, embeddings, labels, type(self).__name__)
        if not self._checked_teacher_scale:  # once: NaN teacher scores, or a temperature that underflows
            self._checked_teacher_scale = True
            check_teacher_targets(torch.softmax(labels.detach() / self.teacher_temperature, dim=1), labels,
                                  self.teacher_temperature, type(self).__name__)
        return listwise_kl(student, labels, self.student_temperature, self.teacher_temperature)


class MarginMSEDistillLoss(MarginMSELoss):
    """MarginMSE on raw teacher scores (positive first), via ``margin_mse``; sentence-transformers' ``MarginMSELoss``
    provides the rest and computes the same value."""

    def compute_loss_from_embeddings(self, embeddings: list[Tensor], labels: Tensor) -> Tensor:
        student = _student_scores(self.similarity_fct, embeddings, labels, type(self).__name__)
        return margin_mse(student, labels)
