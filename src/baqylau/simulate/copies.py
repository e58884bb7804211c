"""Observers' protocol copies drawn from a simulated election. Pure numpy, no Django.

At each observed station the observers bring back ``k`` copies of the protocol the station
commission **signed** (not the figures published later). With ``typo_rate`` a copy has one figure
off by one digit (a misread or mistyped digit), so copies of a station can disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from baqylau.simulate.engine import LINES, SimulatedElection


@dataclass(frozen=True)
class SimulatedCopies:
    """C copies: station index into the simulation's arrays, figures and what was changed."""

    station: np.ndarray  # (C,) int64
    number: np.ndarray  # (C,) 0..k-1: which copy of its station
    lines: np.ndarray  # (C, 7) int64, in `LINES` order
    votes: np.ndarray  # (C, K) int64, in the simulation's choice order
    typo: np.ndarray  # (C,) bool
    typo_column: np.ndarray  # (C,) -1, or the column changed: 0..6 a line, 7.. a choice
    line_codes: tuple[str, ...] = LINES

    @property
    def size(self) -> int:
        return int(self.station.size)


def _change_one_digit(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each value with one of its decimal digits replaced by a different digit."""
    values = values.astype(np.int64)
    digits = np.floor(np.log10(np.maximum(values, 1))).astype(np.int64) + 1
    position = (rng.random(values.size) * digits).astype(np.int64)
    power = 10**position
    digit = (values // power) % 10
    new_digit = (digit + rng.integers(1, 10, size=values.size)) % 10
    return values + (new_digit - digit) * power


def make_copies(
    sim: SimulatedElection,
    k: int = 3,
    typo_rate: float = 0.0,
    seed: int | None = None,
    stations: np.ndarray | None = None,
    version: str = "signed",
) -> SimulatedCopies:
    """``k`` copies of the ``version`` protocol (default: signed) of each observed station.

    ``stations`` (a boolean mask or indices) overrides which stations have copies (default:
    ``sim.observed``). Each copy independently has a typo with probability ``typo_rate``.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    if not 0.0 <= typo_rate <= 1.0:
        raise ValueError("typo_rate must be a probability")
    chosen = sim.observed if stations is None else stations
    chosen = np.asarray(chosen)
    index = np.flatnonzero(chosen) if chosen.dtype == bool else chosen.astype(np.int64)
    station = np.repeat(index, k)
    number = np.tile(np.arange(k, dtype=np.int64), index.size)
    lines = sim.lines(version)[station].astype(np.int64)
    votes = sim.votes(version)[station].astype(np.int64)

    rng = np.random.default_rng(
        np.random.SeedSequence([sim.config.seed if seed is None else seed, 0x7A11])
    )
    figures = np.concatenate([lines, votes], axis=1)
    typo = rng.random(station.size) < typo_rate
    rows = np.flatnonzero(typo)
    columns = rng.integers(0, figures.shape[1], size=rows.size)
    figures[rows, columns] = _change_one_digit(figures[rows, columns], rng)
    typo_column = np.full(station.size, -1, dtype=np.int64)
    typo_column[rows] = columns
    n_lines = lines.shape[1]
    return SimulatedCopies(
        station=station.astype(np.int64),
        number=number,
        lines=figures[:, :n_lines],
        votes=figures[:, n_lines:],
        typo=typo,
        typo_column=typo_column,
    )


__all__ = ["SimulatedCopies", "make_copies"]
