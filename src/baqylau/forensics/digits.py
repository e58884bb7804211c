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


# -- the standard table (Mebane; the Election Forensics Toolkit) ----------------------------------
#
# One row per unit and variable (turnout, or one choice), as in the Election Forensics Toolkit
# (Hicken & Mebane's guide; Kalinin & Mebane's EFToolkit R package): for each station, a *count*
# (turnout: ballots issued; a choice: its votes) and a *share* (turnout: issued / registered; a
# choice: its votes / ballots received), shares of 1 or more counted as 1. The statistics:
#
# * `2bl` — mean second digit of the counts of 10 or more (reference 4.187, Benford's second digit);
# * `last_digit` — mean last digit of the counts (reference 4.5, uniform last digits);
# * `c05` — share of counts ending in 0 or 5 (reference 0.2);
# * `p05` — share of shares, as whole percents (rounded half to even), ending in 0 or 5 (0.2);
# * `skew` — skewness m3/m2^1.5 of the shares (reference 0, a symmetric distribution);
# * `kurtosis` — kurtosis m4/m2² of the shares (reference 3, a normal distribution);
# * `dip_p` — p-value of Hartigan's dip test of unimodality of the shares (a small p-value:
#   more than one mode). No interval.
#
# Each statistic but the dip test has a 95 % nonparametric bootstrap interval of the "basic" kind
# (2·t − q₀.₉₇₅, 2·t − q₀.₀₂₅ of the resampled values t*, stations resampled within the unit), as
# the Toolkit reports; a reference value outside the interval is marked `departs`. Departures are
# signs to look at, not proof: genuine heterogeneity (a unit mixing towns and villages) is
# enough to make turnout skewed, heavy-tailed or bimodal, and small counts bend the digit means.

#: Reference values of the standard table's statistics under "no manipulation" models.
REFERENCE = {
    "2bl": float(np.dot(np.arange(10), BENFORD_SECOND)),
    "last_digit": 4.5,
    "c05": 0.2,
    "p05": 0.2,
    "skew": 0.0,
    "kurtosis": 3.0,
}
STATISTICS = ("2bl", "last_digit", "c05", "p05", "skew", "kurtosis", "dip_p")


N_FEATURES = 11


def _features(counts: np.ndarray, shares: np.ndarray, usable: np.ndarray | None = None):
    """Per-station columns whose sums give every statistic (so a bootstrap replicate is a
    weighted sum): second digit and its indicator, last digit, 0/5 count ending, 0/5 percent
    ending, share indicator, the share's first four powers, and whether the station counts at
    all for this variable (`usable`, default all)."""
    counts = np.asarray(counts, dtype=np.int64)
    shares = np.minimum(np.asarray(shares, dtype=np.float64), 1.0)
    use = np.ones(counts.size, bool) if usable is None else np.asarray(usable, bool)
    counts = np.where(use, counts, 0)
    ndig, _ = _digits(counts)
    has2 = use & (ndig >= 2)
    second = np.where(has2, (counts // 10 ** np.maximum(ndig - 2, 0)) % 10, 0)
    last = counts % 10
    ok = use & np.isfinite(shares)
    x = np.where(ok, shares, 0.0)
    percent_last = np.round(100 * x).astype(np.int64) % 10
    f = np.empty((counts.size, N_FEATURES))
    f[:, 0] = second * has2
    f[:, 1] = has2
    f[:, 2] = last * use
    f[:, 3] = use & np.isin(last, (0, 5))
    f[:, 4] = ok & np.isin(percent_last, (0, 5))
    f[:, 5] = ok
    f[:, 6] = x
    f[:, 7] = x**2
    f[:, 8] = x**3
    f[:, 9] = x**4
    f[:, 10] = use
    return f


def _statistics(sums: np.ndarray) -> dict[str, np.ndarray]:
    """The table's statistics from feature sums (last axis: the `N_FEATURES` features)."""
    s = np.moveaxis(np.asarray(sums, dtype=np.float64), -1, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        m, n = s[5], s[10]
        e1, e2, e3, e4 = s[6] / m, s[7] / m, s[8] / m, s[9] / m
        m2 = e2 - e1**2
        m3 = e3 - 3 * e1 * e2 + 2 * e1**3
        m4 = e4 - 4 * e1 * e3 + 6 * e1**2 * e2 - 3 * e1**4
        m2 = np.where(m2 > 1e-15, m2, np.nan)
        return {
            "2bl": s[0] / s[1],
            "last_digit": s[2] / n,
            "c05": s[3] / n,
            "p05": s[4] / m,
            "skew": m3 / m2**1.5,
            "kurtosis": m4 / m2**2,
        }


def _bootstrap_sums(
    features: np.ndarray, draws: int, rng: np.random.Generator, chunk: int = 2_000_000
) -> np.ndarray:
    """(draws, columns): the column sums of `draws` resamples (with replacement) of the rows.
    A replicate is how often each row was drawn times the rows, so several variables sharing
    the stations (their features side by side) share the resamples."""
    n = features.shape[0]
    out = []
    per = max(1, chunk // max(n, 1))
    done = 0
    while done < draws:
        b = min(per, draws - done)
        idx = rng.integers(0, n, size=(b, n)) + (np.arange(b) * n)[:, None]
        weights = np.bincount(idx.ravel(), minlength=b * n).reshape(b, n)
        out.append(weights @ features)
        done += b
    return np.concatenate(out)


def _dip_p(shares: np.ndarray) -> float | None:
    import warnings

    import diptest

    x = np.minimum(shares[np.isfinite(shares)], 1.0)
    if x.size < 4:
        return None
    with warnings.catch_warnings():  # beyond 72,000 values its table is extrapolated: p ≈ 0 or 1
        warnings.simplefilter("ignore", UserWarning)
        return float(diptest.diptest(x)[1])


def _row(point_sums: np.ndarray, boot_sums: np.ndarray, shares: np.ndarray) -> dict[str, Any]:
    point = _statistics(point_sums)
    boot = _statistics(boot_sums)
    out: dict[str, Any] = {"stations": int(point_sums[10])}
    for name, value in point.items():
        t = float(value)
        if not np.isfinite(t):
            out[name] = {"value": None, "reference": REFERENCE[name], "interval": None}
            continue
        sample = boot[name][np.isfinite(boot[name])]
        interval, departs = None, None
        if sample.size >= 10:
            hi_q, lo_q = np.quantile(sample, [0.975, 0.025])
            interval = [2 * t - float(hi_q), 2 * t - float(lo_q)]
            departs = not interval[0] <= REFERENCE[name] <= interval[1]
        out[name] = {"value": t, "reference": REFERENCE[name], "interval": interval}
        out[name]["departs"] = departs
    p = _dip_p(shares)
    out["dip_p"] = {
        "value": p,
        "reference": None,
        "interval": None,
        "departs": None if p is None else p < 0.05,
    }
    return out


def standard_statistics(
    counts: np.ndarray,
    shares: np.ndarray,
    *,
    draws: int = 500,
    rng: np.random.Generator | None = None,
) -> dict[str, Any]:
    """The standard table's row for one unit and variable: for each statistic its value, the
    reference, the 95 % basic bootstrap interval (`draws` resamples of the stations) and
    whether the reference lies outside it (`departs`); `stations` is how many it rests on."""
    rng = rng or np.random.default_rng(0)
    shares = np.asarray(shares, dtype=np.float64)
    if np.asarray(counts).size == 0:
        return {"stations": 0}
    features = _features(counts, shares)
    return _row(features.sum(axis=0), _bootstrap_sums(features, draws, rng), shares)


def digit_table(
    arrays: Any,
    *,
    level: str | None = "region",
    choices: list[str] | None = None,
    draws: int = 200,
    seed: int = 0,
) -> dict[str, Any]:
    """The standard table for turnout and each of `choices` (codes; default: the leader; "all"
    for every choice), for the whole country and for each unit of
    `level` (None: the whole only). As in the Toolkit, every station counts for the digit
    statistics, while the share statistics leave out a station whose share is undefined (nobody
    registered, no ballot received). A choice's row rests on the stations where its votes are
    known (an unknown figure is never counted as 0; `stations` says how many). The variables of
    a unit share their bootstrap resamples."""
    rng = np.random.default_rng(seed)
    received = arrays.received
    if choices is None:
        picked = [arrays.leader]
    elif choices == ["all"]:
        picked = list(range(len(arrays.choices)))
    else:
        unknown = sorted(set(choices) - set(arrays.choices))
        if unknown:
            raise ValueError(f"unknown choice(s) {unknown}; choices: {list(arrays.choices)}")
        picked = [arrays.choices.index(c) for c in choices]
    everywhere = np.ones(arrays.n_stations, bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        variables = [("turnout", arrays.issued, arrays.issued / arrays.registered, everywhere)]
        for k in picked:
            votes, known = arrays.votes[:, k], arrays.choice_known(k)
            variables.append(
                (arrays.choices[k], votes, np.where(known, votes / received, np.nan), known)
            )
    features = np.hstack([_features(c, s, use) for _, c, s, use in variables])
    units: list[tuple[str, np.ndarray]] = [("", np.arange(arrays.n_stations))]
    if level is not None and arrays.units:
        codes, index = arrays.group_index(level)
        order = np.argsort(index, kind="stable")
        bounds = np.searchsorted(index[order], np.arange(len(codes) + 1))
        units += [(str(c), order[bounds[g] : bounds[g + 1]]) for g, c in enumerate(codes)]
    rows = []
    v = len(variables)
    for unit, at in units:
        f = features[at]
        point = f.sum(axis=0).reshape(v, N_FEATURES)
        boot = _bootstrap_sums(f, draws, rng).reshape(draws, v, N_FEATURES)
        for j, (name, _, shares, _) in enumerate(variables):
            row = _row(point[j], boot[:, j], shares[at])
            rows.append({"variable": name, "unit": unit, **row})
    return {
        "level": level if level is not None and arrays.units else None,
        "draws": draws,
        "reference": REFERENCE,
        "statistics": list(STATISTICS),
        "variables": [name for name, *_ in variables],
        "rows": rows,
    }


__all__ = [
    "BENFORD_SECOND",
    "REFERENCE",
    "STATISTICS",
    "digit_table",
    "digit_tests",
    "last_digit_test",
    "second_digit_test",
    "second_digits",
    "standard_statistics",
    "zero_five_test",
]
