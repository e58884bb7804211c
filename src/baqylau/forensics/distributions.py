"""Turnout and leader-share distributions, the 2-D election fingerprint and Klimek's fraud model.

Klimek, Yegorov, Hanel & Thurner ("Statistical detection of systematic election irregularities",
PNAS 109(41) 16469–16473, 2012; arXiv 1201.3087) plot, for every station, turnout against the
winner's share: the *fingerprint*. A clean election gives one roughly round blob; in elections
with ballot stuffing the blob smears towards the upper-right corner and a second cluster appears
at 100 % turnout / 100 % share. Their model explains it with two fraud parameters:

* `fi`, incremental fraud: the share of stations where a fraction x ~ |N(0, θ)| of the
  non-voters' ballots is added for the winner, and a fraction x^α of the opposition's votes is
  re-counted for the winner;
* `fe`, extreme fraud: the share of stations where x ~ 1 − |N(0, 0.075)|: nearly everybody
  "voted", nearly all for the winner. Draws outside (0, 1) are drawn again.

The paper's own account of the fit (its supplement) was not readable offline. The fit follows
the fitting program as it survives in the Election Forensics Toolkit: `ComputeKlimekModel` in
the R package EFToolkit (Kalinin & Mebane; github.com/kkalininMI/EFToolkit,
R/ComputeKlimekModel.R), which its header calls Mebane & Egami's "pure conversion" of a Matlab
`ElectionFritter.m`, taken here to be the authors' program:

* the clean part draws each station's turnout ~ N(t0, σt) and winner share ~ N(v0, σv)
  (drawn again outside [0, 1]), t0 and v0 at the peaks of the observed distributions, σt and
  σv measured on the *left* side of each peak (the side fraud does not reach);
* θ is not a constant but is measured on the data: the fourth root of the mean squared
  distance to v0 of the shares *above* v0 (the right tail that fraud makes);
* α is fitted over 0.5, 1, 1.5, 2;
* (fi, fe) minimise a chi-square-like distance between the observed and the simulated
  histograms of the winner's share (1-point bins): Σ (simulated − observed)² / (observed + 1),
  the observed count in the denominator as a public port of that program reads the paper's
  Eq. S3 (+1 against empty bins). The toolkit itself minimises Σ ((sim − obs)/(obs + 1))²;
  the form matters: on ru2012 that one gives fi ≈ 0.53, and Σ (obs − sim)²/(sim + 1) gives
  fi ≈ 0.21, against 0.38 here.

Counts are drawn binomially with each station's own electorate (so small stations get their
larger counting noise). The fit uses common random numbers (one draw of all random quantities;
a station is "extreme" when its uniform uᵢ < fe and "incremental" when fe ≤ uᵢ < fe + fi),
builds the grid's histograms from prefix sums of per-segment histograms (no loop over stations
or over simulations), and averages the distance surface over `draws` such simulations.

On the Russian files (see tests/forensics/test_klimek.py) this gives ru2012 fi = 0.38,
fe = 0.04 and ru2011 fi = 0.69, fe = 0.03, both with α = 2 (the top of the authors' grid). The
only statement of the paper's ru2012 values we could find (fi ≈ 0.39, fe ≈ 0.02, second-hand,
without an error) is cited in that test; none for ru2011 was found.

What it shows: whether the winner's share looks like one honest population or needs
stuffing-like mass at high share (the turnout a falsified station reaches follows from x).
It sees fraud only through the share: stuffing that leaves shares moderate, over an honest
share distribution that is not Gaussian, is not attributed to fi or fe (see
tests/forensics/test_simulated.py). What it cannot show: that
high-turnout/high-share stations were falsified — genuine heterogeneous populations (ethnic
regions, closed institutions, villages with one employer) produce similar shapes. A sign, not
proof. The fitted values depend on the assumed Gaussian clean shape and on how θ is measured.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.ndimage import gaussian_filter1d

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
    surface: np.ndarray  # (len(fe_grid), len(fi_grid)) distances at the fitted alpha
    observed: np.ndarray  # histogram of the winner's share (stations per bin)
    model: np.ndarray  # the best fit's simulated histogram (mean over the draws)

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


def right_tail_theta(share: np.ndarray, v0: float) -> float:
    """θ of the incremental-fraud intensity as the authors' fitting program measures it: the
    fourth root of the mean squared distance to the peak v0 of the shares above it."""
    right = share[share > v0] - v0
    return float(np.sqrt(np.sqrt(np.mean(right**2)))) if right.size else 0.0


def fit_klimek(
    arrays: StationArrays,
    *,
    seed: int = 0,
    draws: int = 10,
    bins: int = 100,
    step: float = 0.01,
    fi_max: float = 1.0,
    fe_max: float = 0.3,
    theta: float | None = None,
    alpha: float | tuple[float, ...] = (0.5, 1.0, 1.5, 2.0),
    sigma_extreme: float = 0.075,
) -> KlimekFit:
    """Fit Klimek et al.'s incremental (fi) and extreme (fe) fraud parameters.

    Inputs: station figures (stations with registered > 0 and received > 0 are used). The grid
    is fi ∈ [0, fi_max] × fe ∈ [0, fe_max] with `step` (fi + fe ≤ 1); the distance is
    Σ (simulated − observed)² / (observed + 1) over a `bins`-bin histogram of the winner's share,
    averaged over `draws` simulations. `theta` None measures θ on the data (see
    `right_tail_theta`); `alpha` is fitted over the values given (one value: fixed);
    `sigma_extreme` is the paper's 0.075. Deterministic for a given `seed`.
    """
    ok, turnout, share = station_rates(arrays)
    size = arrays.registered[ok]
    n = size.size
    if n < 10:
        raise ValueError("too few stations to fit the fingerprint model")
    t0, st = mode_and_left_width(turnout)
    v0, sv = mode_and_left_width(share)
    if theta is None:
        theta = right_tail_theta(share, v0)
    theta = max(float(theta), 1e-3)
    alphas = np.atleast_1d(np.asarray(alpha, dtype=float)).tolist()

    n_fi = int(round(fi_max / step)) + 1
    n_fe = int(round(fe_max / step)) + 1
    n_seg = n_fi + n_fe - 1  # thresholds fe and fe + fi are multiples of step up to this
    b = np.arange(n_fi)
    too_much = (np.arange(n_fe)[:, None] + b[None, :]) * step > 1 + step / 2
    observed = np.bincount(_bin(share, bins), minlength=bins).astype(float)

    def prefix(seg: np.ndarray, cells: np.ndarray) -> np.ndarray:
        hist = np.bincount(seg * bins + cells, minlength=(n_seg + 1) * bins)
        out = np.zeros((n_seg + 2, bins))
        np.cumsum(hist.reshape(n_seg + 1, bins), axis=0, out=out[1:])
        return out

    rng = np.random.default_rng(seed)
    surfaces = np.zeros((len(alphas), n_fe, n_fi))
    models = np.zeros((len(alphas), n_fe, n_fi, bins))
    for _ in range(draws):
        tau = _redrawn(rng, lambda k: rng.normal(t0, st, k), n)
        nu = _redrawn(rng, lambda k: rng.normal(v0, sv, k), n)
        voters = rng.binomial(size, tau)
        winner = rng.binomial(voters, nu)
        x_inc = _redrawn(rng, lambda k: np.abs(rng.normal(0.0, theta, k)), n)
        x_ext = _redrawn(rng, lambda k: 1.0 - np.abs(rng.normal(0.0, sigma_extreme, k)), n)
        seg = np.minimum((rng.random(n) / step).astype(np.int64), n_seg)
        p_clean = prefix(seg, _bin(np.where(voters > 0, winner / np.maximum(voters, 1), 0), bins))
        for i, a in enumerate(alphas):
            p_inc, p_ext = (
                prefix(seg, _fraud_cells(x, a, size, voters, winner, bins)) for x in (x_inc, x_ext)
            )
            for k in range(n_fe):  # a few dozen fe values; each step is one array expression
                model = p_ext[k] + (p_inc[k + b] - p_inc[k]) + (p_clean[-1] - p_clean[k + b])
                models[i, k] += model / draws
                surfaces[i, k] += ((model - observed) ** 2 / (observed + 1)).sum(axis=-1) / draws
    surfaces[:, too_much] = np.inf
    i, k, j = np.unravel_index(np.argmin(surfaces), surfaces.shape)
    return KlimekFit(
        fi=round(float(j * step), 6),
        fe=round(float(k * step), 6),
        distance=float(surfaces[i, k, j]),
        distance_clean=float(surfaces[i, 0, 0]),
        t0=t0,
        sigma_t=st,
        v0=v0,
        sigma_v=sv,
        theta=theta,
        alpha=float(alphas[i]),
        sigma_extreme=sigma_extreme,
        fi_grid=b * step,
        fe_grid=np.arange(n_fe) * step,
        surface=surfaces[i],
        observed=observed,
        model=models[i, k, j],
    )


def _bin(values: np.ndarray, bins: int) -> np.ndarray:
    return np.minimum((values * bins).astype(np.int64), bins - 1)


def _fraud_cells(x, alpha, size, voters, winner, bins) -> np.ndarray:
    """Share bins of every station had it been falsified with intensity x: x of the non-voters'
    ballots added for the winner and x**alpha of the other votes moved to him."""
    stuffed = np.round(x * (size - voters)).astype(np.int64)
    moved = np.round(x**alpha * (voters - winner)).astype(np.int64)
    total = voters + stuffed
    return _bin(np.where(total > 0, (winner + stuffed + moved) / np.maximum(total, 1), 0), bins)


__all__ = [
    "KlimekFit",
    "fingerprint",
    "fit_klimek",
    "histogram",
    "leader_share_histogram",
    "mode_and_left_width",
    "right_tail_theta",
    "station_rates",
    "turnout_histogram",
]
