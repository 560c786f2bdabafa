import math

import numpy as np
import pytest

from distill.sampling import (
    CandidatePool,
    RandomSampler,
    StratifiedSampler,
    TopKSampler,
    allocate,
    sample_statistics,
    spread_evenly,
)

# A skewed pool: the positive on top, a few strong negatives, a long tail of weak ones.
NEG_SCORES = [8.0, 7.5, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0, -0.1, -0.2, -0.3, -0.4]
POOL = CandidatePool(["p"] + [f"n{i}" for i in range(len(NEG_SCORES))], [9.0, *NEG_SCORES], positives="p")
# Equal-width strata over the negatives' range [-0.4, 8.0] (width 2.1), best first:
# [5.9, 8.0]: n0-n3 | [3.8, 5.9): n4, n5 | [1.7, 3.8): n6, n7 | [-0.4, 1.7): n8-n18
RANGE_STRATA = [{"n0", "n1", "n2", "n3"}, {"n4", "n5"}, {"n6", "n7"}, {f"n{i}" for i in range(8, 19)}]


def test_allocate_spreads_evenly_and_respects_stratum_sizes():
    assert allocate([4, 2, 2, 11], 5) == [2, 1, 1, 1]  # one leftover goes to the top stratum
    assert allocate([5, 5, 5, 5, 5], 2) == [1, 0, 0, 0, 1]  # fewer slots than strata: both ends first
    assert allocate([5, 5, 5, 5, 5], 8) == [2, 1, 2, 1, 2]  # 3 leftovers at positions 0, 2, 4
    assert allocate([1, 1, 10], 9) == [1, 1, 7]  # small strata's surplus goes to the others
    assert allocate([2, 3], 10) == [2, 3]  # more slots than candidates: everything
    assert spread_evenly(3, 7) == [0, 3, 6] and spread_evenly(1, 4) == [0] and spread_evenly(0, 4) == []


def test_stratified_covers_every_stratum_and_keeps_the_positive():
    for seed in range(5):
        sample = StratifiedSampler(n_strata=4, seed=seed).sample(POOL, 6)
        assert sample.ids[0] == "p" and len(sample) == 6 and len(set(sample.ids)) == 6
        negatives = set(sample.ids[1:])
        assert [len(negatives & stratum) for stratum in RANGE_STRATA] == [2, 1, 1, 1]
        scores = dict(zip(POOL.ids, POOL.scores, strict=True))
        assert list(sample.scores) == [scores[i] for i in sample.ids]


def test_quantile_strata_hold_equal_counts():
    sampler = StratifiedSampler(n_strata=4, by="quantile")
    assert [len(s) for s in sampler.strata(np.array(NEG_SCORES))] == [5, 5, 5, 4]
    sample = sampler.sample(POOL, 9)  # 8 free slots over 4 quantile strata: 2 from each
    ranks = {f"n{i}": i for i in range(19)}  # NEG_SCORES is sorted, so n{i} has rank i
    assert sorted(ranks[i] // 5 for i in sample.ids[1:]) == [0, 0, 1, 1, 2, 2, 3, 3]


def test_stratified_keeps_more_score_variance_than_top_k():
    top = TopKSampler().sample(POOL, 6)
    assert top.ids == ("p", "n0", "n1", "n2", "n3", "n4")
    top_stats = sample_statistics(top.scores, pool_scores=POOL.scores)
    for seed in range(5):
        stratified = StratifiedSampler(n_strata=4, seed=seed).sample(POOL, 6)
        stats = sample_statistics(stratified.scores, pool_scores=POOL.scores)
        assert stats.variance > top_stats.variance
        assert stats.coverage > top_stats.coverage


def test_random_sampler_is_seeded():
    a, b = RandomSampler(seed=3).sample(POOL, 5), RandomSampler(seed=3).sample(POOL, 5)
    assert a == b
    assert a.ids[0] == "p" and len(set(a.ids)) == 5


def test_flat_scores_make_one_stratum():
    pool = CandidatePool(["a", "b", "c", "d"], [1.0, 1.0, 1.0, 1.0], positives=["a"])
    sample = StratifiedSampler(n_strata=3).sample(pool, 3)
    assert sample.ids[0] == "a" and len(sample) == 3


def test_pool_smaller_than_n_is_returned_whole():
    pool = CandidatePool(["a", "b", "c"], [0.1, 0.9, 0.5], positives=["a"])
    for sampler in (TopKSampler(), RandomSampler(), StratifiedSampler()):
        sample = sampler.sample(pool, 10)
        assert sample.ids == ("a", "b", "c") and list(sample.scores) == [0.1, 0.9, 0.5]


def test_bad_input_names_the_value():
    with pytest.raises(ValueError, match="n must be a positive integer, not 0"):
        TopKSampler().sample(POOL, 0)
    with pytest.raises(ValueError, match="'missing' is not in the candidate pool"):
        CandidatePool(["a", "b"], [1.0, 2.0], positives=["missing"])
    with pytest.raises(ValueError, match="2 candidate ids but 3 teacher scores"):
        CandidatePool(["a", "b"], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="'a' appears twice"):
        CandidatePool(["a", "a"], [1.0, 2.0])
    with pytest.raises(ValueError, match="'b' has a non-finite"):
        CandidatePool(["a", "b"], [1.0, math.nan])
    with pytest.raises(ValueError, match="n=1 cannot keep all 2 positives"):
        StratifiedSampler().sample(CandidatePool(["a", "b", "c"], [1, 2, 3], positives=["a", "b"]), 1)
    with pytest.raises(ValueError, match="'median'"):
        StratifiedSampler(by="median")
    with pytest.raises(ValueError, match="n_strata must be a positive integer, not 0"):
        StratifiedSampler(n_strata=0)
    with pytest.raises(ValueError, match="temperature must be a positive finite number, not 0"):
        sample_statistics([1.0, 2.0], temperature=0)


def test_sample_statistics_by_hand():
    # softmax([0, ln 3]) = [1/4, 3/4]; entropy = -(1/4 ln 1/4 + 3/4 ln 3/4) = 0.5623351446
    # variance = (ln 3 / 2)^2 = 0.3017372354; coverage = ln 3 / (2 - (-1)) = 0.3662040962
    stats = sample_statistics([0.0, math.log(3)], pool_scores=[-1.0, 0.0, 2.0])
    assert stats.variance == pytest.approx(0.3017372354)
    assert stats.entropy == pytest.approx(0.5623351446)
    assert stats.coverage == pytest.approx(0.3662040962)
    # temperature 2: softmax([0, ln 3 / 2]) = [1 / (1 + sqrt 3), sqrt 3 / (1 + sqrt 3)] = [0.3660254, 0.6339746]
    assert sample_statistics([0.0, math.log(3)], temperature=2.0).entropy == pytest.approx(0.6568063977)
    assert math.isnan(sample_statistics([1.0]).coverage)
