"""Turnout and leader-share distributions, the 2-D election fingerprint and Klimek's fraud model.

Klimek, Yegorov, Hanel & Thurner ("Statistical detection of systematic election irregularities",
PNAS 2012) plot, for every station, turnout against the winner's share: the *fingerprint*. A
clean election gives one roughly round blob; in elections with ballot stuffing the blob smears
towards the upper-right corner and a second cluster appears at 100 % turnout / 100 % share.
Their model explains the fingerprint with two fraud parameters:

* `fi`, incremental fraud: the share of stations where a fraction x ~ |N(0, θ)| of the
  non-voters' ballots is added for the winner, and a fraction x^α of the opposition's votes is
  re-counted for the winner (α = 1: as many of the opposition's votes as of the non-voters');
* `fe`, extreme fraud: the share of stations where x ~ 1 − |N(0, σe)| with the paper's narrow
  spread σe = 0.075 (not θ): nearly everybody "voted", nearly all for the winner. Draws
  outside (0, 1) are drawn again, as in the paper's supplement.

The clean part of the model draws each station's turnout ~ N(t0, σt) and winner share
~ N(v0, σv) (clipped to [0, 1]), with t0, v0 the modes of the observed distributions and σt, σv
their widths measured on the *left* side of each mode (the side fraud does not reach); counts
are then drawn binomially with each station's own electorate, so small stations get their
larger counting noise. The fit simulates the fingerprint for a grid of (fi, fe), with common
random numbers (one draw of all random quantities; a station is "extreme" when its uniform
uᵢ < fe and "incremental" when fe ≤ uᵢ < fe + fi), builds the grid's fingerprints from prefix
sums of per-segment histograms (no loop over stations or over simulations), and picks the
(fi, fe) minimising the squared distance between normalised fingerprints.

What it shows: whether the joint shape of turnout and vote share looks like one honest
population or needs stuffing-like mass at high turnout and share. What it cannot show: that
high-turnout/high-share stations were falsified — genuine heterogeneous populations (ethnic
regions, closed institutions, villages with one employer) produce similar shapes. A sign, not
proof. The fitted values depend on θ, α and the assumed Gaussian clean shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.ndimage import gaussian_filter, gaussian_filter1d

from baqylau.forensics.data import StationArrays


def _valid(arrays: StationArrays) -> np.ndarray:
    return (arrays.registered > 0) & (arrays.received > 0)


def station_rates(arrays: StationArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mask of usable stations, turnout, leader share) with turnout clipped to [0, 1]."""
    ok = _valid(arrays)
    turnout = np.clip(arrays.issued[ok] / arrays.registered[ok], 0.0, 1.0)
    share = np.clip(arrays.leader_votes[ok] / arrays.received[ok], 0.0, 1.0)
    return ok, turnout, share


def histogram(
    values: np.ndarray, weights: np.ndarray | None = None, bin_pp: float = 0.5
) -> dict[str, Any]:
    """Histogram of fractions in [0, 1] with bins of `bin_pp` percentage points."""
    edges = np.linspace(0.0, 1.0, int(round(100 / bin_pp)) + 1)
    counts, _ = np.histogram(values, bins=edges, weights=weights)
    return {"edges": edges, "counts": counts}


def turnout_histogram(arrays: StationArrays, *, by: str = "stations", bin_pp: float = 0.5):
    """Turnout (issued/registered) histogram, counting stations or (by="voters") registered
    voters. A long right tail or a second peak near 100 % is a sign of stuffing, not proof."""
    ok, turnout, _ = station_rates(arrays)
    weights = arrays.registered[ok].astype(float) if by == "voters" else None
    return histogram(turnout, weights, bin_pp)


def leader_share_histogram(arrays: StationArrays, *, by: str = "stations", bin_pp: float = 0.5):
    """Leader-share (leader/received) histogram, counting stations or (by="voters") ballots."""
    ok, _, share = station_rates(arrays)
    weights = arrays.received[ok].astype(float) if by == "voters" else None
    return histogram(share, weights, bin_pp)


def fingerprint(turnout: np.ndarray, share: np.ndarray, bins: int = 100) -> np.ndarray:
    """2-D histogram (turnout × share, `bins` × `bins` over [0, 1]²) counting stations;
    rows are turnout bins, columns share bins."""
    it = np.minimum((turnout * bins).astype(np.int64), bins - 1)
    iv = np.minimum((share * bins).astype(np.int64), bins - 1)
    return np.bincount(it * bins + iv, minlength=bins * bins).reshape(bins, bins)


def mode_and_left_width(values: np.ndarray, bin_width: float = 0.01) -> tuple[float, float]:
    """Mode of a smoothed histogram and the RMS distance to it of the values below it."""
    edges = np.arange(0.0, 1.0 + bin_width / 2, bin_width)
    counts, _ = np.histogram(values, bins=edges)
    smooth = gaussian_filter1d(counts.astype(float), 2.0, mode="constant")
    mode = float(edges[np.argmax(smooth)] + bin_width / 2)
    below = values[values <= mode]
    width = float(np.sqrt(np.mean((below - mode) ** 2))) if below.size else bin_width
    return mode, max(width, bin_width / 2)


def _redrawn(rng: np.random.Generator, draw, n: int) -> np.ndarray:
    """`n` values of `draw(k)` inside the open interval (0, 1), drawing again those outside."""
    x = draw(n)
    for _ in range(100):
        bad = (x <= 0.0) | (x >= 1.0)
        if not bad.any():
            break
        x[bad] = draw(int(bad.sum()))
    return np.clip(x, 1e-9, 1 - 1e-9)


@dataclass
class KlimekFit:
    fi: float
    fe: float
    distance: float
    distance_clean: float
    t0: float
    sigma_t: float
    v0: float
    sigma_v: float
    theta: float
    alpha: float
    sigma_extreme: float
    fi_grid: np.ndarray
    fe_grid: np.ndarray
    surface: np.ndarray  # (len(fe_grid), len(fi_grid)) distances
    observed: np.ndarray  # normalised fingerprint
    model: np.ndarray  # normalised best-fit fingerprint

    def to_dict(self) -> dict[str, Any]:
        return {
            "fi": self.fi,
            "fe": self.fe,
            "distance": self.distance,
            "distance_clean": self.distance_clean,
            "t0": self.t0,
            "sigma_t": self.sigma_t,
            "v0": self.v0,
            "sigma_v": self.sigma_v,
            "theta": self.theta,
            "alpha": self.alpha,
            "sigma_extreme": self.sigma_extreme,
            "grid": {
                "fi": [float(self.fi_grid[0]), float(self.fi_grid[-1]), len(self.fi_grid)],
                "fe": [float(self.fe_grid[0]), float(self.fe_grid[-1]), len(self.fe_grid)],
            },
        }


def fit_klimek(
    arrays: StationArrays,
    *,
    seed: int = 0,
    bins: int = 40,
    step: float = 0.01,
    fi_max: float = 0.8,
    fe_max: float = 0.3,
    theta: float = 0.3,
    alpha: float | tuple[float, ...] = (1.0, 2.0, 3.0),
    smooth: float = 1.0,
    sigma_extreme: float = 0.075,
) -> KlimekFit:
    """Fit Klimek et al.'s incremental (fi) and extreme (fe) fraud parameters.

    Inputs: station figures (stations with registered > 0 and received > 0 are used). The grid
    is fi ∈ [0, fi_max] × fe ∈ [0, fe_max] with `step`; fingerprints are `bins`² histograms,
    smoothed with a Gaussian of `smooth` bins and normalised; the distance is the sum of squared
    differences. `theta` and `sigma_extreme` are the model's fraud-intensity constants (see the
    module docstring); `alpha` is fitted too, over the values given (one value: fixed).
    Deterministic for a given `seed`.
    """
    ok, turnout, share = station_rates(arrays)
    size = arrays.registered[ok]
    n = size.size
    if n < 10:
        raise ValueError("too few stations to fit the fingerprint model")
    t0, st = mode_and_left_width(turnout)
    v0, sv = mode_and_left_width(share)

    rng = np.random.default_rng(seed)
    tau = np.clip(rng.normal(t0, st, n), 0.0, 1.0)
    nu = np.clip(rng.normal(v0, sv, n), 0.0, 1.0)
    voters = rng.binomial(size, tau)
    winner = rng.binomial(voters, nu)
    x_inc = _redrawn(rng, lambda k: np.abs(rng.normal(0.0, theta, k)), n)
    x_ext = _redrawn(rng, lambda k: 1.0 - np.abs(rng.normal(0.0, sigma_extreme, k)), n)
    u = rng.random(n)

    def cell(x: np.ndarray | None, alpha: float = 1.0) -> np.ndarray:
        if x is None:
            t_, w_ = voters, winner
        else:
            stuffed = np.round(x * (size - voters)).astype(np.int64)
            switched = np.round(x**alpha * (voters - winner)).astype(np.int64)
            t_, w_ = voters + stuffed, winner + stuffed + switched
        tt = t_ / size
        vv = np.where(t_ > 0, w_ / np.maximum(t_, 1), 0.0)
        it = np.minimum((tt * bins).astype(np.int64), bins - 1)
        iv = np.minimum((vv * bins).astype(np.int64), bins - 1)
        return it * bins + iv

    n_fi = int(round(fi_max / step)) + 1
    n_fe = int(round(fe_max / step)) + 1
    n_seg = n_fi + n_fe - 1  # thresholds fe and fe + fi are multiples of step up to this
    seg = np.minimum((u / step).astype(np.int64), n_seg)
    nb2 = bins * bins

    def prefix(cells: np.ndarray) -> np.ndarray:
        hist = np.bincount(seg * nb2 + cells, minlength=(n_seg + 1) * nb2).reshape(n_seg + 1, nb2)
        out = np.zeros((n_seg + 2, nb2))
        np.cumsum(hist, axis=0, out=out[1:])
        return out

    p_clean = prefix(cell(None))
    total_clean = p_clean[-1]

    def norm(h: np.ndarray) -> np.ndarray:
        h = h.reshape(*h.shape[:-1], bins, bins)
        if smooth > 0:
            h = gaussian_filter(h, sigma=[0] * (h.ndim - 2) + [smooth, smooth], mode="constant")
        s = h.sum(axis=(-1, -2), keepdims=True)
        return h / np.where(s > 0, s, 1.0)

    observed = norm(fingerprint(turnout, share, bins).astype(float).reshape(nb2))
    b = np.arange(n_fi)
    fitted = None
    for alpha_value in np.atleast_1d(np.asarray(alpha, dtype=float)).tolist():
        p_inc, p_ext = prefix(cell(x_inc, alpha_value)), prefix(cell(x_ext, alpha_value))
        surface = np.empty((n_fe, n_fi))
        for a in range(n_fe):  # a few dozen fe values; each step is one array expression
            model = p_ext[a] + (p_inc[a + b] - p_inc[a]) + (total_clean - p_clean[a + b])
            surface[a] = ((norm(model) - observed) ** 2).sum(axis=(-1, -2))
        a_best, b_best = np.unravel_index(np.argmin(surface), surface.shape)
        if fitted is None or surface[a_best, b_best] < fitted[0][fitted[1], fitted[2]]:
            best = (
                p_ext[a_best]
                + (p_inc[a_best + b_best] - p_inc[a_best])
                + (total_clean - p_clean[a_best + b_best])
            )
            fitted = (surface, a_best, b_best, alpha_value, best)
    assert fitted is not None
    surface, a_best, b_best, alpha, best = fitted
    return KlimekFit(
        fi=float(b_best * step),
        fe=float(a_best * step),
        distance=float(surface[a_best, b_best]),
        distance_clean=float(surface[0, 0]),
        t0=t0,
        sigma_t=st,
        v0=v0,
        sigma_v=sv,
        theta=theta,
        alpha=alpha,
        sigma_extreme=sigma_extreme,
        fi_grid=b * step,
        fe_grid=np.arange(n_fe) * step,
        surface=surface,
        observed=observed,
        model=norm(best),
    )


__all__ = [
    "KlimekFit",
    "fingerprint",
    "fit_klimek",
    "histogram",
    "leader_share_histogram",
    "mode_and_left_width",
    "station_rates",
    "turnout_histogram",
]
