"""Answer metrics. MIRAGE's correctness label is EM_loose: some lowercased answer alias is a
substring of the lowercased output, with no other normalisation (Park et al., 2025)."""

from __future__ import annotations

from collections.abc import Sequence


def em_loose(output: str, answers: Sequence[str]) -> int:
    text = output.lower()
    return int(any(answer.lower() in text for answer in answers))
