"""Candidate samplers for cross-encoder distillation: which of a query's teacher-scored candidates the student sees.

Jang et al., "Beyond Hard Negatives: The Importance of Score Distribution in Knowledge Distillation for Dense
Retrieval" (SIGIR 2026): sampling candidates across the whole teacher-score range (stratified) keeps the variance
and entropy of the teacher's scores, which top-K (hard negatives) and random draws lose. Hand-written: no library
offers score-stratified negative sampling.

Every sampler keeps the query's positive(s) first, then fills the remaining ``n - len(positives)`` slots from the
other candidates. A pool with fewer than ``n`` candidates is returned whole (positives first, the rest by teacher
score, best first): a sampler never invents candidates, and callers that need a fixed width check ``len(sample)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np


@dataclass(frozen=True)
class CandidatePool:
    """A query's candidates with their teacher scores, and which of them are positive (relevant)."""

    ids: Sequence[str]
    scores: Sequence[float] | np.ndarray
    positives: Sequence[str] = ()

    def __post_init__(self):
        ids = tuple(self.ids)
        positives = (self.positives,) if isinstance(self.positives, str) else tuple(self.positives)
        scores = np.asarray(self.scores, dtype=np.float64).reshape(-1)
        if len(ids) != len(scores):
            raise ValueError(f"the pool has {len(ids)} candidate ids but {len(scores)} teacher scores")
        if len(set(ids)) != len(ids):
            twice = next(i for i in ids if ids.count(i) > 1)
            raise ValueError(f"candidate {twice!r} appears twice in the pool")
        if not np.isfinite(scores).all():
            bad = ids[int(np.flatnonzero(~np.isfinite(scores))[0])]
            raise ValueError(f"candidate {bad!r} has a non-finite teacher score")
        known = set(ids)
        for positive in positives:
            if positive not in known:
                raise ValueError(f"positive {positive!r} is not in the candidate pool ({len(ids)} candidates)")
        object.__setattr__(self, "ids", ids)
        object.__setattr__(self, "scores", scores)
        object.__setattr__(self, "positives", tuple(dict.fromkeys(positives)))

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class Sample:
    """The chosen candidates, positives first, and their teacher scores (same order)."""

    ids: tuple[str, ...]
    scores: tuple[float, ...] = field(repr=False)

    def __len__(self) -> int:
        return len(self.ids)


def _check_n(n) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"sample size n must be a positive integer, not {n!r}")
    return int(n)


def _split(pool: CandidatePool, n: int) -> tuple[list[int], np.ndarray, int] | None:
    """(positive indices, other indices, free slots), or None when the whole pool fits in ``n``."""
    n = _check_n(n)
    if len(pool.positives) > n:
        raise ValueError(f"sample size n={n} cannot keep all {len(pool.positives)} positives of the pool")
    if len(pool) <= n:
        return None
    index = {cid: i for i, cid in enumerate(pool.ids)}
    positive = [index[p] for p in pool.positives]
    taken = set(positive)
    others = np.array([i for i in range(len(pool)) if i not in taken], dtype=np.int64)
    return positive, others, n - len(positive)


def _by_score(pool: CandidatePool, indices) -> list[int]:
    indices = np.asarray(indices, dtype=np.int64)
    return indices[np.argsort(-pool.scores[indices], kind="stable")].tolist()


def _sample(pool: CandidatePool, positive: list[int], chosen) -> Sample:
    order = positive + _by_score(pool, chosen)
    return Sample(tuple(pool.ids[i] for i in order), tuple(pool.scores[order].tolist()))


def _whole(pool: CandidatePool) -> Sample:
    positive = [pool.ids.index(p) for p in pool.positives]
    taken = set(positive)
    rest = [i for i in range(len(pool)) if i not in taken]
    return _sample(pool, positive, rest)


class TopKSampler:
    """The teacher's highest-scored non-positive candidates: the usual hard-negative baseline."""

    def sample(self, pool: CandidatePool, n: int) -> Sample:
        split = _split(pool, n)
        if split is None:
            return _whole(pool)
        positive, others, free = split
        return _sample(pool, positive, _by_score(pool, others)[:free])


class RandomSampler:
    """A uniform random draw of the non-positive candidates (seeded: a run is reproducible call by call)."""

    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng(seed)

    def sample(self, pool: CandidatePool, n: int) -> Sample:
        split = _split(pool, n)
        if split is None:
            return _whole(pool)
        positive, others, free = split
        return _sample(pool, positive, self.rng.choice(others, size=free, replace=False))


def spread_evenly(count: int, among: int) -> list[int]:
    """``count`` distinct positions out of ``range(among)`` spaced evenly, both ends included when count > 1."""
    if count <= 0:
        return []
    if count == 1:
        return [0]
    return [math.floor(x + 0.5) for x in np.linspace(0, among - 1, count)]


def allocate(sizes: Sequence[int], slots: int) -> list[int]:
    """Spread ``slots`` over strata of the given sizes as evenly as possible, never beyond a stratum's size.

    Each round gives every stratum with room ``slots // open`` draws; the ``slots % open`` leftovers go one each to
    strata spread evenly over the score range (top and bottom stratum first, then evenly between: ``spread_evenly``),
    so the extra draws favour neither end. A stratum that runs out of candidates hands its surplus to the next round.
    """
    taken = [0] * len(sizes)
    while slots > 0:
        room = [s for s, size in enumerate(sizes) if taken[s] < size]
        if not room:
            break
        share, extra = divmod(slots, len(room))
        lucky = {room[p] for p in spread_evenly(extra, len(room))}
        for s in room:
            give = min(share + (s in lucky), sizes[s] - taken[s])
            taken[s] += give
            slots -= give
    return taken


class StratifiedSampler:
    """Candidates drawn across the teacher-score range (Jang et al., SIGIR 2026).

    The non-positive candidates are cut into ``n_strata`` strata, best scores first: ``by="range"`` cuts the score
    range into equal-width bins, ``by="quantile"`` cuts the candidates ranked by score into equal-count groups.
    The free slots are spread over the non-empty strata by ``allocate`` and drawn at random within each stratum.
    """

    def __init__(self, n_strata: int = 10, by: str = "range", seed: int = 0):
        if isinstance(n_strata, bool) or not isinstance(n_strata, (int, np.integer)) or n_strata < 1:
            raise ValueError(f"n_strata must be a positive integer, not {n_strata!r}")
        if by not in ("range", "quantile"):
            raise ValueError(f"by must be 'range' or 'quantile', not {by!r}")
        self.n_strata, self.by = int(n_strata), by
        self.rng = np.random.default_rng(seed)

    def strata(self, scores: np.ndarray) -> list[np.ndarray]:
        """Positions into ``scores`` per stratum, highest-scoring stratum first; empty strata included."""
        scores = np.asarray(scores, dtype=np.float64)
        if self.by == "quantile":
            return np.array_split(np.argsort(-scores, kind="stable"), self.n_strata)
        low, high = float(scores.min()), float(scores.max())
        if high == low:  # one score for all: a single stratum
            return [np.arange(len(scores))] + [np.array([], dtype=np.int64)] * (self.n_strata - 1)
        # bin b holds [edge_b, edge_b+1); the top score joins the last bin; flip so stratum 0 holds the best
        bins = np.minimum(((scores - low) / (high - low) * self.n_strata).astype(np.int64), self.n_strata - 1)
        return [np.flatnonzero(bins == b) for b in reversed(range(self.n_strata))]

    def sample(self, pool: CandidatePool, n: int) -> Sample:
        split = _split(pool, n)
        if split is None:
            return _whole(pool)
        positive, others, free = split
        strata = [others[s] for s in self.strata(pool.scores[others]) if len(s)]
        counts = allocate([len(s) for s in strata], free)
        chosen = [self.rng.choice(s, size=c, replace=False) for s, c in zip(strata, counts, strict=True) if c]
        return _sample(pool, positive, np.concatenate(chosen) if chosen else [])


class SampleStatistics(NamedTuple):
    variance: float  # population variance of the sampled teacher scores
    entropy: float  # entropy (nats) of softmax(scores / temperature)
    coverage: float  # sample score range / pool score range; nan without a pool


def sample_statistics(scores, temperature: float = 1.0, pool_scores=None) -> SampleStatistics:
    """The score-distribution properties Jang et al. (SIGIR 2026) tie to distillation quality."""
    from scipy.special import softmax
    from scipy.stats import entropy

    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if len(scores) == 0:
        raise ValueError("sample_statistics needs at least one score, got none")
    if not temperature > 0 or not math.isfinite(temperature):
        raise ValueError(f"temperature must be a positive finite number, not {temperature!r}")
    coverage = math.nan
    if pool_scores is not None:
        pool_scores = np.asarray(pool_scores, dtype=np.float64).reshape(-1)
        pool_range = float(np.ptp(pool_scores)) if len(pool_scores) else 0.0
        coverage = float(np.ptp(scores)) / pool_range if pool_range > 0 else 1.0
    return SampleStatistics(float(np.var(scores)), float(entropy(softmax(scores / temperature))), coverage)
