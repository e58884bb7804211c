"""Digit tests: second-digit Benford (2BL), last-digit uniformity, share of counts ending in 0/5.

Mebane ("Election forensics", 2006–2011) proposed the second-digit Benford law (2BL) for
station vote counts; last digits of large counts should be near-uniform, and people inventing
numbers over-use 0 and 5. Each test returns a chi-square (or binomial) p-value.

These are **weak signals**: honest vote counts need not follow 2BL (the distribution of counts
depends on station sizes and support), and strategic or mixed behaviour moves digits too; a
small p-value with ~10⁵ counts often reflects this model mismatch, not fraud. Last digits are
only tested on counts ≥ `min_count` (default 100), where they are close to uniform for honest
counting. What they cannot show: which counts were invented, or that any were. A sign, never
proof.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

#: P(second digit = d), d = 0..9, under Benford's law.
BENFORD_SECOND = np.array(
    [sum(np.log10(1 + 1 / (10 * k + d)) for k in range(1, 10)) for d in range(10)]
)


def _digits(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(number of digits, the counts) for positive integers, exactly in integer arithmetic."""
    x = np.asarray(counts, dtype=np.int64).ravel()
    powers = 10 ** np.arange(19, dtype=np.int64)
    ndig = np.searchsorted(powers, x, side="right")
    return ndig, x


def second_digits(counts: np.ndarray) -> np.ndarray:
    """Second significant digit of every count ≥ 10 (smaller counts are dropped)."""
    ndig, x = _digits(counts)
    keep = ndig >= 2
    x, ndig = x[keep], ndig[keep]
    return (x // 10 ** (ndig - 2)) % 10


def _chi2(observed: np.ndarray, expected_p: np.ndarray) -> dict[str, Any]:
    n = int(observed.sum())
    if n == 0:
        return {"n": 0, "chi2": None, "dof": len(expected_p) - 1, "p_value": None}
    chi2, p = stats.chisquare(observed, n * expected_p)
    return {
        "n": n,
        "chi2": float(chi2),
        "dof": len(expected_p) - 1,
        "p_value": float(p),
        "observed": observed.astype(int).tolist(),
        "expected_share": expected_p.round(5).tolist(),
    }


def second_digit_test(counts: np.ndarray) -> dict[str, Any]:
    """Chi-square test of the second digits of counts ≥ 10 against Benford's 2BL."""
    d = second_digits(counts)
    return _chi2(np.bincount(d, minlength=10), BENFORD_SECOND)


def last_digit_test(counts: np.ndarray, min_count: int = 100) -> dict[str, Any]:
    """Chi-square test of the last digit of counts ≥ `min_count` against uniformity."""
    x = np.asarray(counts, dtype=np.int64).ravel()
    x = x[x >= min_count]
    return _chi2(np.bincount(x % 10, minlength=10), np.full(10, 0.1))


def zero_five_test(counts: np.ndarray, min_count: int = 100) -> dict[str, Any]:
    """Share of counts ≥ `min_count` ending in 0 or 5, against 0.2 (two-sided binomial test)."""
    x = np.asarray(counts, dtype=np.int64).ravel()
    x = x[x >= min_count]
    k = int(np.isin(x % 10, (0, 5)).sum())
    n = int(x.size)
    if n == 0:
        return {"n": 0, "share": None, "p_value": None}
    return {
        "n": n,
        "ending_0_or_5": k,
        "share": k / n,
        "expected": 0.2,
        "p_value": float(stats.binomtest(k, n, 0.2).pvalue),
    }


def digit_tests(counts: np.ndarray, min_count: int = 100) -> dict[str, Any]:
    """All three tests on one set of counts (e.g. the leader's votes per station)."""
    return {
        "second_digit_benford": second_digit_test(counts),
        "last_digit_uniform": last_digit_test(counts, min_count),
        "zero_or_five": zero_five_test(counts, min_count),
    }


__all__ = [
    "BENFORD_SECOND",
    "digit_tests",
    "last_digit_test",
    "second_digit_test",
    "second_digits",
    "zero_five_test",
]
