"""Answer metrics and MIRAGE's RAG-adaptability metrics (Park et al., Findings of NAACL 2025),
following the rules of MIRAGE's published evaluation code:

- EM_loose (MIRAGE's correctness label): some lowercased answer alias is a substring of the
  lowercased output. EM_strict: some lowercased alias equals the lowercased output. No other
  normalisation (no punctuation or article stripping, unlike SQuAD's EM).
- Token F1: whitespace tokens of the lowercased output as a set, against the set of tokens of all
  the aliases together.
- Per question, with b, m, o the base, mix and oracle labels, checked in this order: m=0 and o=1 is
  noise vulnerability; else m=1 and o=1 context acceptability; else b=0 and o=0 context
  insensitivity; else b=1 and o=0 context misinterpretation. Shares are rounded to 5 digits, and
  the 8-cell table counts "b_m_o".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple


def em_loose(output: str, answers: Sequence[str]) -> int:
    text = output.lower()
    return int(any(answer.lower() in text for answer in answers))


def em_strict(output: str, answers: Sequence[str]) -> int:
    text = output.lower()
    return int(any(answer.lower() == text for answer in answers))


def token_f1(output: str, answers: Sequence[str]) -> float:
    predicted = set(output.lower().split())
    gold = {token for answer in answers for token in answer.lower().split()}
    overlap = len(predicted & gold)
    precision = overlap / len(predicted) if predicted else 0.0
    recall = overlap / len(gold) if gold else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0


class MirageScores(NamedTuple):
    noise_vulnerability: float
    context_acceptability: float
    context_insensitivity: float
    context_misinterpretation: float
    cells: dict  # "b_m_o" -> count, all 8 cells
    total: int


def mirage_scores(base: Sequence[int], mix: Sequence[int], oracle: Sequence[int], digits: int = 5) -> MirageScores:
    """The four metrics and the 8-cell table from per-question EM_loose labels (same question order)."""
    if not len(base) == len(mix) == len(oracle):
        raise ValueError(f"label lists differ in length: base {len(base)}, mix {len(mix)}, oracle {len(oracle)}")
    if not base:
        raise ValueError("no labels to score")
    cells = {f"{b}_{m}_{o}": 0 for b in (0, 1) for m in (0, 1) for o in (0, 1)}
    counts = [0, 0, 0, 0]
    for b, m, o in zip(base, mix, oracle, strict=True):
        b, m, o = int(b), int(m), int(o)
        cells[f"{b}_{m}_{o}"] += 1
        if m == 0 and o == 1:
            counts[0] += 1
        elif m == 1 and o == 1:
            counts[1] += 1
        elif b == 0 and o == 0:
            counts[2] += 1
        elif b == 1 and o == 0:
            counts[3] += 1
    total = len(base)
    return MirageScores(*(round(c / total, digits) for c in counts), cells=cells, total=total)


def retrieval_at_k(relevances: Sequence[int], n_relevant: int, k: int) -> dict[str, float]:
    """MIRAGE's retrieval scores for one question from the 0/1 relevance of its retrieved chunks, best first.

    ``ndcg_mirage`` takes its ideal DCG from the retrieved list itself (as MIRAGE's code does);
    ``ndcg`` is the standard one, whose ideal ranking holds all ``n_relevant`` relevant chunks.
    """
    top = list(relevances[:k])
    hits = sum(top)
    precision = hits / k
    recall = hits / n_relevant if n_relevant else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    def dcg(gains):
        return sum(g / math.log2(rank + 1) for rank, g in enumerate(gains[:k], start=1))

    ideal_retrieved = dcg(sorted(relevances, reverse=True))
    ideal_all = dcg([1] * n_relevant)
    return {"precision": precision, "recall": recall, "f1": f1,
            "ndcg_mirage": dcg(top) / ideal_retrieved if ideal_retrieved else 0.0,
            "ndcg": dcg(top) / ideal_all if ideal_all else 0.0}
