"""Integer-percentage excess: too many stations reporting round turnout or leader shares.

Kobak, Shpilkin & Pshenichnikov (Ann. Appl. Stat. 2016; Significance 2016 and 2018) observed
that in Russian federal elections far more stations report a turnout or a leader's share that is
a whole number of percent (70.0 %, 85.0 %, ...) than chance allows: a sign that the figures were
written to a target rather than counted.

Definitions (chosen so that ru2018 reproduces the published counts exactly; see the tests):

* turnout of a station = issued / registered; leader share = leader / received
  (received = valid + invalid ballots);
* a fraction k/n is *near a whole percent* when the distance of 100·k/n to the nearest integer
  is **at most** `width_pp` = 0.05 percentage points, inclusive, computed exactly in integers:
  with r = 100·k mod n, the distance is min(r, n − r)/n pp (ru2018 has 4 stations exactly on the
  ±0.05 boundary; counting them gives 19,271, excluding them 19,267);
* a station counts when its turnout *or* its leader share is near a whole percent;
* only stations passing `kobak_inclusion` are examined (received > 0, registered ≥ 100,
  turnout ≤ 0.99, leader share ≤ 0.99).

Null model: each station keeps its size; its issued ballots are redrawn as Binomial(registered,
issued/registered) and the leader's votes as Binomial(received, leader/received), independently;
the number of stations near a whole percent is counted for every draw. The excess is the
observed count minus the mean of the draws; the draws' standard deviation measures the noise of
a *single* election (≈ 117 stations for ru2018) and the excess' Monte-Carlo standard error is
that sd / sqrt(draws). Because each station's indicator is a Bernoulli variable, the null mean
and sd are also computed exactly (`exact_null`): Σ qᵢ and sqrt(Σ qᵢ(1 − qᵢ)), with qᵢ from the
binomial CDF over the whole-percent windows — the Monte Carlo must agree with it.

What it shows: figures that cluster on round numbers beyond what binomial counting noise gives —
a fingerprint of numbers being written rather than counted. What it cannot show: which station
was falsified (most stations at a round number are honest; the excess is a count, not a list),
nor the size of the falsification. The binomial null understates real variability somewhat
(overdispersion does not create round numbers, though, so the excess is robust to it). Small
stations are excluded because at n < 100 round percentages are common by arithmetic.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from scipy.special import bdtr

from baqylau.forensics.data import StationArrays, kobak_inclusion

#: Default half-width of the window around a whole percent, in percentage points.
WIDTH_PP = 0.05
#: Monte-Carlo draws per batch (fixed, so results do not depend on the number of threads).
BATCH = 25


def _width_fraction(width_pp: float) -> tuple[int, int]:
    frac = Fraction(str(width_pp)).limit_denominator(10**6)
    if not 0 <= frac < Fraction(1, 2):
        raise ValueError("width_pp must be in [0, 0.5)")
    return frac.numerator, frac.denominator


def near_whole_percent(k: np.ndarray, n: np.ndarray, width_pp: float = WIDTH_PP) -> np.ndarray:
    """Exact test (integers only): is 100·k/n within ±`width_pp` pp of a whole number?

    Inclusive at the boundary. Stations with n = 0 are never near.
    """
    k = np.asarray(k, dtype=np.int64)
    n = np.asarray(n, dtype=np.int64)
    num, den = _width_fraction(width_pp)
    safe = np.maximum(n, 1)
    r = (100 * k) % safe
    dist = np.minimum(r, safe - r)  # distance in pp, times n
    return (n > 0) & (den * dist <= num * n)


def _near_fast(k: np.ndarray, scale: np.ndarray, width_pp: float) -> np.ndarray:
    """Float version for the Monte Carlo; `scale` = 100/n. Equal to the exact test for n < 10⁶.

    A non-boundary distance differs from the width by at least 1/(den·n) pp (≥ 5·10⁻⁸ pp for
    den = 20, n ≤ 10⁶), far above the 10⁻⁹ tolerance and the ~10⁻¹³ rounding error.
    """
    x = k * scale
    return np.abs(x - np.rint(x)) <= width_pp + 1e-9


def percent_distance(k: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Distance of 100·k/n to the nearest whole number, in pp (NaN where n = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        x = 100.0 * k / n
    return np.abs(x - np.rint(x))


def null_near_probability(
    k: np.ndarray, n: np.ndarray, width_pp: float = WIDTH_PP, n_sd: float = 10.0
) -> np.ndarray:
    """P(Binomial(n, k/n) lands within ±width_pp of a whole percent), exactly, per station.

    Sums the binomial CDF over the windows of every whole percent within `n_sd` standard
    deviations (plus 1 pp) of the station's rate — the tails beyond are below 10⁻²⁰. Vectorised
    over a ragged (station, percent) list built with `np.repeat`.
    """
    k = np.asarray(k, dtype=np.int64)
    n = np.asarray(n, dtype=np.int64)
    if (n <= 0).any():
        raise ValueError("null_near_probability needs n > 0 at every station")
    num, den = _width_fraction(width_pp)
    p = k / n
    sd = 100.0 * np.sqrt(p * (1.0 - p) / n)
    centre = 100.0 * p
    jlo = np.clip(np.floor(centre - n_sd * sd - 1), 0, 100).astype(np.int64)
    jhi = np.clip(np.ceil(centre + n_sd * sd + 1), 0, 100).astype(np.int64)
    count = jhi - jlo + 1
    station = np.repeat(np.arange(n.size), count)
    offset = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    j = jlo[station] + offset
    nn, pp = n[station], p[station]
    # window of k: |100k/n - j| <= num/den  <=>  den·n·j - num·n <= 100·den·k <= den·n·j + num·n
    lo = np.maximum(-((-(nn * (den * j - num))) // (100 * den)), 0)
    hi = np.minimum((nn * (den * j + num)) // (100 * den), nn)
    cdf_hi = bdtr(hi, nn, pp)
    cdf_below = np.where(lo > 0, bdtr(np.maximum(lo - 1, 0), nn, pp), 0.0)
    prob = np.where(hi >= lo, cdf_hi - cdf_below, 0.0)
    return np.clip(np.bincount(station, weights=prob, minlength=n.size), 0.0, 1.0)


@dataclass
class IntegerExcess:
    """Result of `integer_percent_excess` (all counts are numbers of stations)."""

    stations: int
    observed: int
    observed_turnout: int
    observed_leader: int
    null_mean: float
    null_sd: float
    null_mean_turnout: float
    null_mean_leader: float
    excess: float
    excess_se: float
    p_value: float
    exact_null_mean: float | None
    exact_null_sd: float | None
    exact_excess: float | None
    draws: int
    seed: int
    method: str
    width_pp: float
    seconds: float
    null_counts: np.ndarray

    @property
    def z(self) -> float:
        return self.excess / self.null_sd if self.null_sd > 0 else float("inf")

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("null_counts")
        out["z"] = self.z
        return out


def integer_percent_excess(
    arrays: StationArrays,
    *,
    draws: int = 1000,
    seed: int = 0,
    width_pp: float = WIDTH_PP,
    include: np.ndarray | None = None,
    exact_null: bool = True,
    workers: int | None = None,
    method: str = "binomial",
) -> IntegerExcess:
    """Count stations at whole percentages and compare with a binomial Monte-Carlo null.

    Inputs: station figures; `include` overrides the default `kobak_inclusion` mask.
    `draws` null elections are drawn in batches of `BATCH` (all stations at once, numpy
    `Generator.binomial` with array n and p); batch b uses the b-th child of
    `SeedSequence(seed)`, so the result depends only on (seed, draws), not on `workers`
    (threads; numpy releases the GIL while drawing). Assumptions and limits: module docstring.

    `method="bernoulli"` draws, instead of the two binomial counts, each station's two
    indicators directly as Bernoulli(qᵢ) with the exact qᵢ of `null_near_probability`: the
    null counts then have exactly the same distribution as with binomial draws (the count only
    depends on the indicators), at a fraction of the cost. The default is the literal
    binomial redraw of the published method.
    """
    if method not in ("binomial", "bernoulli"):
        raise ValueError("method must be 'binomial' or 'bernoulli'")
    start = time.perf_counter()
    if draws < 2:
        raise ValueError("draws must be at least 2")
    keep = kobak_inclusion(arrays) if include is None else np.asarray(include, dtype=bool)
    keep &= (arrays.registered > 0) & (arrays.received > 0)
    reg = arrays.registered[keep]
    iss = np.minimum(arrays.issued[keep], reg)
    rec = arrays.received[keep]
    lead = np.minimum(arrays.leader_votes[keep], rec)
    near_t = near_whole_percent(iss, reg, width_pp)
    near_l = near_whole_percent(lead, rec, width_pp)
    observed = int((near_t | near_l).sum())

    p_t, p_l = iss / reg, lead / rec
    scale_t, scale_l = 100.0 / reg, 100.0 / rec
    n_batches = -(-draws // BATCH)
    sizes = [BATCH] * (n_batches - 1) + [draws - BATCH * (n_batches - 1)]
    children = np.random.SeedSequence(seed).spawn(n_batches)

    q_t = q_l = None
    if exact_null or method == "bernoulli":
        q_t = null_near_probability(iss, reg, width_pp)
        q_l = null_near_probability(lead, rec, width_pp)

    def batch(b: int) -> np.ndarray:
        rng = np.random.default_rng(children[b])
        size = (sizes[b], reg.size)
        if method == "bernoulli":
            t = rng.random(size) < q_t
            ld = rng.random(size) < q_l
        else:
            t = _near_fast(rng.binomial(reg, p_t, size=size), scale_t, width_pp)
            ld = _near_fast(rng.binomial(rec, p_l, size=size), scale_l, width_pp)
        return np.stack([(t | ld).sum(axis=1), t.sum(axis=1), ld.sum(axis=1)], axis=1)

    workers = workers or min(os.cpu_count() or 1, 8)
    if workers > 1 and n_batches > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(batch, range(n_batches)))
    else:
        parts = [batch(b) for b in range(n_batches)]
    counts = np.concatenate(parts, axis=0)
    null_any = counts[:, 0].astype(np.float64)
    null_mean = float(null_any.mean())
    null_sd = float(null_any.std(ddof=1))

    exact_mean = exact_sd = exact_excess = None
    if exact_null:
        q = 1.0 - (1.0 - q_t) * (1.0 - q_l)
        exact_mean = float(q.sum())
        exact_sd = float(np.sqrt((q * (1.0 - q)).sum()))
        exact_excess = observed - exact_mean

    return IntegerExcess(
        stations=int(keep.sum()),
        observed=observed,
        observed_turnout=int(near_t.sum()),
        observed_leader=int(near_l.sum()),
        null_mean=null_mean,
        null_sd=null_sd,
        null_mean_turnout=float(counts[:, 1].mean()),
        null_mean_leader=float(counts[:, 2].mean()),
        excess=observed - null_mean,
        excess_se=float(null_sd / np.sqrt(draws)),
        p_value=float((1 + (null_any >= observed).sum()) / (draws + 1)),
        exact_null_mean=exact_mean,
        exact_null_sd=exact_sd,
        exact_excess=exact_excess,
        draws=draws,
        seed=seed,
        method=method,
        width_pp=width_pp,
        seconds=time.perf_counter() - start,
        null_counts=counts[:, 0],
    )


def percent_histograms(
    arrays: StationArrays, include: np.ndarray | None = None, resolution_pp: float = 0.1
) -> dict[str, Any]:
    """Histograms of turnout and leader share in `resolution_pp` bins centred on multiples of it
    (so whole percents sit in the middle of their own bin), over the included stations."""
    keep = kobak_inclusion(arrays) if include is None else np.asarray(include, dtype=bool)
    nbins = int(round(100 / resolution_pp)) + 1
    edges = (np.arange(nbins + 1) - 0.5) * resolution_pp
    out: dict[str, Any] = {"edges": edges}
    for name, values in (
        ("turnout", 100 * arrays.turnout()[keep]),
        ("leader_share", 100 * arrays.leader_share()[keep]),
    ):
        out[name] = np.histogram(values[np.isfinite(values)], bins=edges)[0]
    return out


__all__ = [
    "IntegerExcess",
    "integer_percent_excess",
    "near_whole_percent",
    "null_near_probability",
    "percent_distance",
    "percent_histograms",
]
