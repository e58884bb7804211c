"""Voters' ballots for the voters' bot drawn from a simulated election. Pure numpy, no Django.

At a share of the stations some voters tell the bot how they voted: each is a real voter of the
station, so their choices are drawn without replacement from the station's **true** votes (a
genuine voter can never outnumber a choice's true votes; where the official result took votes
from a choice, the voters may outnumber its official votes). Most send a photo of their ballot,
the others declare their choice without one. Most genuine voters (``phone_rate``) also share
their own contact with the bot (Telegram's contact button), so their ballots are phone-verified and
make the headline "from voters" figures; the accounts below never do. Mixed in, as the bot sees
them in real life:

* ``duplicate``: a voter sends the same ballot again (counted once);
* ``copied``: another account sends a copy of a voter's ballot photo (spam: both photos are then
  set aside as spam; the earlier photo keeps counting);
* ``flood``: accounts that send a burst of ballot photos within a second (spam: rate limit).
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass

import numpy as np

from baqylau.simulate.engine import SimulatedElection

KINDS = ("genuine", "duplicate", "copied", "flood")


@dataclass(frozen=True)
class SimulatedCrowd:
    """B ballot messages, in the order they are sent."""

    station: np.ndarray  # (B,) station index into the simulation's arrays
    choice: np.ndarray  # (B,) choice index, in the simulation's choice order
    voter: np.ndarray  # (B,) account number (a duplicate repeats its voter's)
    photo: np.ndarray  # (B,) bool: sent with a photo of the ballot
    photo_seed: np.ndarray  # (B,) which photo (a copy or a duplicate repeats the original's)
    kind: np.ndarray  # (B,) index into `KINDS`
    phone: np.ndarray  # (B,) bool: the account shares its own phone number (verified tier)

    @property
    def size(self) -> int:
        return int(self.station.size)

    def count(self, kind: str) -> int:
        return int((self.kind == KINDS.index(kind)).sum())


def make_crowd_ballots(
    sim: SimulatedElection,
    *,
    seed: int | None = None,
    station_share: float = 0.05,
    voter_share: float = 0.03,
    photo_rate: float = 0.7,
    phone_rate: float = 0.85,
    duplicate_rate: float = 0.03,
    copied_rate: float = 0.02,
    flood_accounts: int = 2,
    max_voters: int | None = 2000,
) -> SimulatedCrowd:
    """Ballots of voters at ``station_share`` of the stations (``voter_share`` of each one's
    voters, at least one), with duplicates, copied photos and flooding accounts."""
    for name, value in (
        ("station_share", station_share),
        ("voter_share", voter_share),
        ("photo_rate", photo_rate),
        ("phone_rate", phone_rate),
        ("duplicate_rate", duplicate_rate),
        ("copied_rate", copied_rate),
    ):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be between 0 and 1")
    rng = np.random.default_rng(seed)
    true_votes = sim.votes("true").astype(np.int64)
    stations = np.flatnonzero(
        (rng.random(sim.n_stations) < station_share) & (true_votes.sum(1) > 0)
    )
    station, choice = [], []
    budget = max_voters if max_voters is not None else np.iinfo(np.int64).max
    for s in rng.permutation(stations).tolist():
        n = min(max(1, rng.binomial(int(true_votes[s].sum()), voter_share)), budget)
        if n <= 0:
            break
        drawn = rng.multivariate_hypergeometric(true_votes[s], n)
        picks = np.repeat(np.arange(true_votes.shape[1]), drawn)
        station += [s] * int(picks.size)
        choice += picks.tolist()
        budget -= int(picks.size)
    genuine = len(station)
    station_a = np.array(station, np.int64)
    choice_a = np.array(choice, np.int64)
    voter = np.arange(genuine, dtype=np.int64)
    photo = rng.random(genuine) < photo_rate
    photo_seed = np.arange(genuine, dtype=np.int64)
    kind = np.zeros(genuine, np.int64)
    phone = rng.random(genuine) < phone_rate
    parts = [(station_a, choice_a, voter, photo, photo_seed, kind, phone)]
    if genuine:
        again = np.flatnonzero(rng.random(genuine) < duplicate_rate)
        parts.append(
            (station_a[again], choice_a[again], voter[again], photo[again], photo_seed[again],
             np.full(again.size, KINDS.index("duplicate")), phone[again])
        )  # fmt: skip
        with_photo = np.flatnonzero(photo)
        copied = with_photo[rng.random(with_photo.size) < copied_rate]
        parts.append(
            (station_a[copied], choice_a[copied], genuine + np.arange(copied.size),
             np.ones(copied.size, bool), photo_seed[copied],
             np.full(copied.size, KINDS.index("copied")), np.zeros(copied.size, bool))
        )  # fmt: skip
        burst = 8
        flood_station = np.repeat(rng.choice(station_a, size=flood_accounts), burst)
        n_flood = flood_station.size
        parts.append(
            (flood_station, rng.integers(0, true_votes.shape[1], n_flood),
             genuine + copied.size + np.repeat(np.arange(flood_accounts), burst),
             np.ones(n_flood, bool), genuine + copied.size + np.arange(n_flood),
             np.full(n_flood, KINDS.index("flood")), np.zeros(n_flood, bool))
        )  # fmt: skip
    columns = [np.concatenate([p[i] for p in parts]) for i in range(7)]
    # genuine ballots in a random order; then the duplicates, copies and bursts (a duplicate or
    # a copy always comes after its original; a burst stays together)
    later = columns[5] != KINDS.index("genuine")
    first = np.flatnonzero(~later)
    order = np.concatenate([first[rng.permutation(first.size)], np.flatnonzero(later)])
    station_o, choice_o, voter_o, photo_o, seed_o, kind_o, phone_o = (c[order] for c in columns)
    return SimulatedCrowd(
        station=station_o,
        choice=choice_o,
        voter=voter_o,
        photo=photo_o.astype(bool),
        photo_seed=seed_o,
        kind=kind_o,
        phone=phone_o.astype(bool),
    )


def ballot_photo(seed: int, size: int = 64) -> bytes:
    """A distinct photo for each seed (random blocks: the perceptual hashes of two seeds are far
    apart, so only a copy of the same photo is a duplicate)."""
    from PIL import Image

    rng = random.Random(int(seed))
    image = Image.new("RGB", (8, 8))
    image.putdata([tuple(rng.randrange(256) for _ in range(3)) for _ in range(64)])
    image = image.resize((size, size), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()
