import numpy as np
import pytest

from baqylau.forensics.data import StationArrays
from baqylau.forensics.integer import (
    _near_fast,
    integer_percent_excess,
    near_whole_percent,
    null_near_probability,
)


def test_near_whole_percent_exact_boundaries():
    # 100*k/n: 1/2000 -> 0.05 pp (on the boundary), 1/1999 -> 0.05003 pp (outside)
    k = np.array([1, 1, 0, 700, 701, 3, 0])
    n = np.array([2000, 1999, 10, 1000, 1000, 2000, 0])
    assert near_whole_percent(k, n).tolist() == [True, False, True, True, False, False, False]
    assert near_whole_percent(k[:1], n[:1], width_pp=0.04).tolist() == [False]


def test_fast_test_equals_exact():
    rng = np.random.default_rng(3)
    n = rng.integers(1, 200_000, size=200_000)
    k = rng.integers(0, n + 1)
    k[:1000] = n[:1000] * (20 * rng.integers(0, 100, 1000) + 1) // 2000  # near boundaries
    assert np.array_equal(_near_fast(k, 100.0 / n, 0.05), near_whole_percent(k, n))


def test_null_probability_matches_enumeration():
    from scipy.stats import binom

    n = np.array([100, 137, 1000, 2345, 5000])
    k = np.array([50, 20, 900, 1500, 10])
    q = null_near_probability(k, n)
    for ni, ki, qi in zip(n, k, q, strict=True):
        support = np.arange(ni + 1)
        near = near_whole_percent(support, np.full(ni + 1, ni))
        assert qi == pytest.approx(binom.pmf(support[near], ni, ki / ni).sum(), abs=1e-10)


def _toy(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    reg = rng.integers(300, 3000, n)
    issued = rng.binomial(reg, 0.6)
    leader = rng.binomial(issued, 0.7)
    votes = np.stack([leader, issued - leader], axis=1)
    return StationArrays(
        registered=reg,
        issued=issued,
        received=issued,
        valid=issued,
        invalid=np.zeros(n, int),
        votes=votes,
        choices=("a", "b"),
        leader=0,
    )


def test_monte_carlo_independent_of_threads():
    a = _toy()
    r1 = integer_percent_excess(a, draws=60, seed=5, workers=1, exact_null=False)
    r2 = integer_percent_excess(a, draws=60, seed=5, workers=3, exact_null=False)
    assert np.array_equal(r1.null_counts, r2.null_counts)
    assert r1.exact_null_mean is None


def test_honest_toy_has_no_excess():
    r = integer_percent_excess(_toy(), draws=200, seed=1)
    assert abs(r.exact_excess) < 3 * r.exact_null_sd
    assert abs(r.null_mean - r.exact_null_mean) < 4 * r.exact_null_sd / np.sqrt(200)
    assert r.to_dict()["draws"] == 200
