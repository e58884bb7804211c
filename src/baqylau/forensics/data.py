"""Station-level figures as plain numpy arrays: the one input of every forensic method.

`StationArrays` holds, for N polling stations and K choices:

* `registered` — voters on the list (Russian line 1, Kazakh L1);
* `issued` — ballots issued to voters (Russia: early + in-station + outside, lines 3+4+5 in 2018;
  Kazakhstan: L3). *Turnout* in this package is `issued / registered`;
* `received` — ballots found in the boxes, i.e. valid + invalid (the denominator of vote shares);
* `valid`, `invalid` — valid and invalid ballots;
* `votes` — (N, K) votes per choice, choices in `choices` order (choices are columns of the
  array only here, inside the numerical kernel — never in the database);
* `leader` — index of the choice whose share is examined (the incumbent / ruling party);
* `units` — administrative codes per level, coarse to fine (e.g. `region`, `district`), each an
  array of N strings; a level's codes must be unique across the whole country (use paths such
  as `region/tik`), so that grouping by a level never merges two units of the same name;
* `observed` — optional boolean mask of stations with independent observers (or any other
  "trusted" marker, such as optical scanners);
* `known` — where a figure is *unknown* at a station that is kept (an unknown figure is never
  0): `votes` (N, K) marks the choices' votes that are known, `valid` and `invalid` (N,) the
  stations whose valid/invalid count is known (e.g. valid summed from the choices, one of
  them unknown). A figure absent from `known` is known everywhere. Registered, issued and
  received ballots and the leader's votes must be known at every station: a reader leaves out
  the stations lacking one of them. A method leaves a station out of a variable whose figure
  is unknown there (the digit table's row of a choice rests on the stations where that
  choice's votes are known); the value stored at an unknown place means nothing;
* `missing`, `left_out` — what the reader left out: `missing` counts, per figure, the
  stations left out because it was unknown there (a station lacking two figures counts in
  both), `left_out` the stations left out in all.

Validation happens once, here, at the boundary: shapes agree, counts are non-negative integers,
the leader index is valid. Arithmetic inconsistencies of a protocol (e.g. issued > registered)
are *not* rejected — they are data for the forensic methods — but `consistency()` counts them.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

COUNT_FIELDS = ("registered", "issued", "received", "valid", "invalid")

#: Columns of the Russian CEC files (dkobak/elections layout), matched by header prefix.
_RU_HEADERS = {
    "registered": (
        "Число избирателей, включенных",
        "Число избирателей, внесенных",
        "Число участников голосования, включенных",  # 2020
    ),
    "early": ("Число избирательных бюллетеней, выданных избирателям, проголосовавшим досрочно",),
    "in_station": (
        "Число избирательных бюллетеней, выданных в помещении",
        "Число избирательных бюллетеней, выданных избирателям в помещении",
    ),
    "outside": (
        "Число избирательных бюллетеней, выданных вне помещения",
        "Число избирательных бюллетеней, выданных избирателям вне помещения",
    ),
    "issued_to_participants": ("Число бюллетеней, выданных участникам голосования",),  # 2020
    "invalid": (
        "Число недействительных избирательных бюллетеней",
        "Число недействительных бюллетеней",
    ),
    "valid": ("Число действительных избирательных бюллетеней",),
}
_RU_LAST_LINE = "Число избирательных бюллетеней, не учтенных при получении"


@dataclass(frozen=True)
class _RussianLayout:
    """How one year's file is read: the leader, the lines making up `issued`, whether a valid
    line exists (2020 has none: valid = the sum of the answers) and the last protocol line (the
    choices are the columns between it and `url`)."""

    leader: str
    issued: tuple[str, ...] = ("early", "in_station", "outside")
    has_valid: bool = True
    last_line: str = _RU_LAST_LINE


_RU_LAYOUTS = {
    2011: _RussianLayout("ЕДИНАЯ РОССИЯ"),
    2012: _RussianLayout("Путин"),
    2018: _RussianLayout("Путин"),
    # the constitutional vote: registered, issued, in boxes, invalid, then ДА / НЕТ
    2020: _RussianLayout(
        "ДА",
        issued=("issued_to_participants",),
        has_valid=False,
        last_line="Число недействительных бюллетеней",
    ),
    2021: _RussianLayout("ЕДИНАЯ РОССИЯ"),
}
#: The years `StationArrays.from_russian_csv` reads.
RUSSIAN_YEARS = tuple(sorted(_RU_LAYOUTS))


def _as_counts(name: str, value: Any, n: int | None) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise ValueError(f"{name}: counts must be whole numbers")
    elif arr.dtype.kind not in "iub":
        raise ValueError(f"{name}: counts must be numeric, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array, got shape {arr.shape}")
    if n is not None and arr.size != n:
        raise ValueError(f"{name}: expected {n} stations, got {arr.size}")
    if (arr < 0).any():
        raise ValueError(f"{name}: negative counts at {int((arr < 0).sum())} stations")
    return arr


@dataclass(frozen=True)
class StationArrays:
    """Figures of N stations (see the module docstring); construct via `__init__` or a reader."""

    registered: np.ndarray
    issued: np.ndarray
    received: np.ndarray
    valid: np.ndarray
    invalid: np.ndarray
    votes: np.ndarray
    choices: tuple[str, ...]
    leader: int
    units: dict[str, np.ndarray] = field(default_factory=dict)
    station_ids: np.ndarray | None = None
    observed: np.ndarray | None = None
    label: str = ""
    known: dict[str, np.ndarray] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)
    left_out: int = 0

    def __post_init__(self) -> None:
        n = None
        for name in COUNT_FIELDS:
            arr = _as_counts(name, getattr(self, name), n)
            n = arr.size
            object.__setattr__(self, name, arr)
        assert n is not None
        votes = np.asarray(self.votes)
        if votes.ndim != 2 or votes.shape[0] != n:
            raise ValueError(f"votes: expected shape ({n}, K), got {votes.shape}")
        if votes.dtype.kind not in "iub" and not (
            votes.dtype.kind == "f" and np.all(votes == np.round(votes))
        ):
            raise ValueError("votes: counts must be whole numbers")
        votes = votes.astype(np.int64)
        if (votes < 0).any():
            raise ValueError("votes: negative counts")
        object.__setattr__(self, "votes", votes)
        choices = tuple(str(c) for c in self.choices)
        if len(choices) != votes.shape[1]:
            raise ValueError(f"{len(choices)} choice codes for {votes.shape[1]} vote columns")
        object.__setattr__(self, "choices", choices)
        if not 0 <= int(self.leader) < len(choices):
            raise ValueError(f"leader index {self.leader} out of range 0..{len(choices) - 1}")
        object.__setattr__(self, "leader", int(self.leader))
        units = {}
        for level, codes in dict(self.units).items():
            codes = np.asarray(codes).astype(str)
            if codes.shape != (n,):
                raise ValueError(f"units[{level!r}]: expected {n} codes, got shape {codes.shape}")
            units[str(level)] = codes
        object.__setattr__(self, "units", units)
        if self.station_ids is not None:
            ids = np.asarray(self.station_ids).astype(str)
            if ids.shape != (n,):
                raise ValueError(f"station_ids: expected {n} ids, got shape {ids.shape}")
            object.__setattr__(self, "station_ids", ids)
        if self.observed is not None:
            obs = np.asarray(self.observed)
            if obs.dtype != bool or obs.shape != (n,):
                raise ValueError(f"observed: expected a boolean mask of {n} stations")
            object.__setattr__(self, "observed", obs)
        known = {}
        for name, mask in dict(self.known).items():
            mask = np.asarray(mask)
            shape = votes.shape if name == "votes" else (n,)
            if name not in ("votes", "valid", "invalid"):
                raise ValueError(
                    f"known[{name!r}]: only votes, valid and invalid may be unknown at a "
                    "station that is kept (leave out the stations lacking the others)"
                )
            if mask.dtype != bool or mask.shape != shape:
                raise ValueError(f"known[{name!r}]: expected a boolean mask of shape {shape}")
            known[name] = mask
        if "votes" in known and not known["votes"][:, int(self.leader)].all():
            raise ValueError(
                "the leader's votes must be known at every station (leave out the others)"
            )
        object.__setattr__(self, "known", known)
        object.__setattr__(self, "missing", {str(k): int(v) for k, v in self.missing.items()})
        object.__setattr__(self, "left_out", int(self.left_out))

    # -- basic views ------------------------------------------------------------------------
    @property
    def n_stations(self) -> int:
        return int(self.registered.size)

    @property
    def leader_votes(self) -> np.ndarray:
        return self.votes[:, self.leader]

    @property
    def leader_code(self) -> str:
        return self.choices[self.leader]

    def is_known(self, name: str) -> np.ndarray:
        """Mask of the stations where `name` (a count field) is known."""
        if name not in COUNT_FIELDS:
            raise KeyError(f"unknown figure {name!r}; figures: {list(COUNT_FIELDS)}")
        mask = self.known.get(name)
        return np.ones(self.n_stations, bool) if mask is None else mask

    def choice_known(self, k: int) -> np.ndarray:
        """Mask of the stations where the votes of choice `k` (its index) are known."""
        mask = self.known.get("votes")
        return np.ones(self.n_stations, bool) if mask is None else mask[:, k]

    @property
    def votes_complete(self) -> np.ndarray:
        """Mask of the stations where every choice's votes are known."""
        mask = self.known.get("votes")
        return np.ones(self.n_stations, bool) if mask is None else mask.all(axis=1)

    def turnout(self) -> np.ndarray:
        """issued / registered (NaN where nobody is registered)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.registered > 0, self.issued / self.registered, np.nan)

    def leader_share(self) -> np.ndarray:
        """leader / received (NaN where no ballot was found)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.received > 0, self.leader_votes / self.received, np.nan)

    def invalid_share(self) -> np.ndarray:
        """invalid / received (NaN where no ballot was found or invalid is unknown)."""
        ok = (self.received > 0) & self.is_known("invalid")
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(ok, self.invalid / self.received, np.nan)

    def level(self, name: str | None = None) -> str:
        """The named level, or the finest one (the last of `units`)."""
        if not self.units:
            raise ValueError("these stations carry no unit codes")
        if name is None:
            return list(self.units)[-1]
        if name not in self.units:
            raise KeyError(f"unknown unit level {name!r}; levels: {list(self.units)}")
        return name

    def group_index(self, level: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(codes of the groups, group index 0..G-1 of every station) for a unit level."""
        codes, index = np.unique(self.units[self.level(level)], return_inverse=True)
        return codes, index.ravel()

    def subset(self, mask: np.ndarray) -> StationArrays:
        """The stations selected by a boolean mask or an index array."""
        return StationArrays(
            registered=self.registered[mask],
            issued=self.issued[mask],
            received=self.received[mask],
            valid=self.valid[mask],
            invalid=self.invalid[mask],
            votes=self.votes[mask],
            choices=self.choices,
            leader=self.leader,
            units={k: v[mask] for k, v in self.units.items()},
            station_ids=None if self.station_ids is None else self.station_ids[mask],
            observed=None if self.observed is None else self.observed[mask],
            label=self.label,
            known={k: v[mask] for k, v in self.known.items()},
            missing=self.missing,
            left_out=self.left_out,
        )

    def consistency(self) -> dict[str, int]:
        """Counts of stations breaking the arithmetic every protocol should satisfy (a check
        is made only where its figures are known)."""
        valid, invalid = self.is_known("valid"), self.is_known("invalid")
        return {
            "issued > registered": int((self.issued > self.registered).sum()),
            "received != valid + invalid": int(
                (valid & invalid & (self.received != self.valid + self.invalid)).sum()
            ),
            "sum(votes) != valid": int(
                (valid & self.votes_complete & (self.votes.sum(axis=1) != self.valid)).sum()
            ),
            "received > issued": int((self.received > self.issued).sum()),
        }

    def summary(self) -> dict[str, Any]:
        """Totals of the stations, and what they rest on: `stations` kept, `left_out` (and per
        figure, `missing`) by the reader for a missing figure, `unknown_votes` kept with some
        choice's votes unknown (left out of that choice's figures only)."""
        return {
            "label": self.label,
            "stations": self.n_stations,
            "registered": int(self.registered.sum()),
            "issued": int(self.issued.sum()),
            "received": int(self.received.sum()),
            "leader": self.leader_code,
            "leader_votes": int(self.leader_votes.sum()),
            "turnout": float(self.issued.sum() / max(int(self.registered.sum()), 1)),
            "leader_share": float(self.leader_votes.sum() / max(int(self.received.sum()), 1)),
            "observed": None if self.observed is None else int(self.observed.sum()),
            "levels": list(self.units),
            "left_out": self.left_out,
            "missing": dict(self.missing),
            "unknown_votes": int((~self.votes_complete).sum()),
        }

    # -- readers ------------------------------------------------------------------------------
    @classmethod
    def from_russian_csv(cls, path: str | Path, year: int) -> StationArrays:
        """Read a CEC station file (`ru2011|2012|2018|2020|2021.csv.zip`, or the plain CSV).

        Columns are found by their Russian header, not by position: registered = line 1
        ("число избирателей/участников голосования, включенных/внесенных в список"), issued =
        early + in-station + outside (2020: ballots issued to participants), received = valid +
        invalid (2020: valid = yes + no), choices = the columns between the last protocol line and
        `url`; leader = Putin (2012, 2018), United Russia (2011, 2021) or "yes" (2020). Units:
        `region` and `district` (= `region/tik`, since TIK names repeat across regions); a row
        with an empty `uik` (2021's remote e-voting) is named by its `oik`.
        """
        path = Path(path)
        if year not in _RU_LAYOUTS:
            raise ValueError(f"unsupported year {year}; one of {list(RUSSIAN_YEARS)}")
        layout = _RU_LAYOUTS[year]
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                names = [n for n in zf.namelist() if n.endswith(".csv")]
                if len(names) != 1:
                    raise ValueError(f"{path}: expected one CSV inside, found {names}")
                with zf.open(names[0]) as raw:
                    header, rows = _read_csv(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
        else:
            with path.open(encoding="utf-8", newline="") as fh:
                header, rows = _read_csv(fh)

        def column(key: str) -> int:
            hits = [i for i, h in enumerate(header) if h.startswith(_RU_HEADERS[key])]
            if len(hits) != 1:
                raise ValueError(f"{path}: column {key!r} found {len(hits)} times")
            return hits[0]

        try:
            first_choice = header.index(layout.last_line) + 1
            last_choice = header.index("url")
            region_col, tik_col, uik_col = (header.index(c) for c in ("region", "tik", "uik"))
        except ValueError as exc:
            raise ValueError(f"{path}: unexpected header ({exc})") from None
        oik_col = header.index("oik") if "oik" in header else None
        choices = header[first_choice:last_choice]
        leaders = [i for i, c in enumerate(choices) if c == layout.leader or layout.leader in c]
        if len(leaders) != 1:
            raise ValueError(f"{path}: leader {layout.leader!r} not found once in {choices}")
        keys = ["registered", "invalid", *(["valid"] if layout.has_valid else []), *layout.issued]
        wanted = [column(k) for k in keys] + list(range(first_choice, last_choice))
        try:
            numbers = np.array([[int(row[i]) for i in wanted] for row in rows], dtype=np.int64)
        except (ValueError, IndexError) as exc:
            raise ValueError(f"{path}: non-numeric or missing figure ({exc})") from None
        k = len(keys)
        figures = dict(zip(keys, numbers[:, :k].T, strict=True))
        votes = numbers[:, k:]
        valid = figures["valid"] if layout.has_valid else votes.sum(axis=1)
        invalid = figures["invalid"]
        region = np.array([row[region_col] for row in rows])
        district = np.char.add(np.char.add(region, "/"), np.array([row[tik_col] for row in rows]))
        uik = [row[uik_col] or (row[oik_col] if oik_col is not None else "") for row in rows]
        ids = np.char.add(np.char.add(district, "/"), np.array(uik))
        return cls(
            registered=figures["registered"],
            issued=sum(figures[key] for key in layout.issued),
            received=valid + invalid,
            valid=valid,
            invalid=invalid,
            votes=votes,
            choices=tuple(choices),
            leader=leaders[0],
            units={"region": region, "district": district},
            station_ids=ids,
            label=f"ru{year}",
        )

    @classmethod
    def from_simulation(cls, sim: Any, version: str = "official") -> StationArrays:
        """From a `baqylau.simulate.engine.SimulatedElection` (kz_president lines).

        registered = L1, issued = L3, received = L5 (took part = valid + invalid), invalid = L7,
        valid = sum of votes; units `region` and `district` (region/district codes); the
        simulator's `observed` mask. `version` is "true", "signed" or "official".
        """
        lines = np.asarray(sim.lines(version)).astype(np.int64)
        votes = np.asarray(sim.votes(version)).astype(np.int64)
        region = np.asarray(sim.region_code)[sim.station_region].astype(str)
        district = np.char.add(
            np.char.add(region, "/"),
            np.asarray(sim.district_code)[sim.station_district].astype(str),
        )
        return cls(
            registered=lines[:, 0],
            issued=lines[:, 2],
            received=lines[:, 4],
            valid=votes.sum(axis=1),
            invalid=lines[:, 5],
            votes=votes,
            choices=tuple(np.asarray(sim.choice_code).astype(str)),
            leader=int(sim.leader),
            units={"region": region, "district": district},
            station_ids=np.asarray(sim.station_paths()).astype(str),
            observed=np.asarray(sim.observed, dtype=bool),
            label=f"simulation seed={sim.config.seed} ({version})",
        )


def _read_csv(fh: Any) -> tuple[list[str], list[list[str]]]:
    reader = csv.reader(fh)
    header = [h.strip() for h in next(reader)]
    rows = [row for row in reader if row]
    return header, rows


def kobak_inclusion(
    arrays: StationArrays,
    *,
    min_registered: int = 100,
    max_turnout: float = 0.99,
    max_leader_share: float = 0.99,
) -> np.ndarray:
    """Stations kept by Kobak, Shpilkin & Pshenichnikov's integer-percentage analysis.

    received > 0, registered ≥ 100, issued/registered ≤ 0.99, leader/received ≤ 0.99: small
    stations (where integer percentages are common by arithmetic alone) and stations at 100 %
    (where 100 % is trivially a whole number) are left out. The float comparisons are exact for any real station: a ratio of
    integers below 10⁸ can never be within one rounding error of 0.99 without being equal to it.
    """
    reg, iss, rec, lead = arrays.registered, arrays.issued, arrays.received, arrays.leader_votes
    keep = (rec > 0) & (reg >= min_registered)
    with np.errstate(divide="ignore", invalid="ignore"):
        keep &= iss / np.maximum(reg, 1) <= max_turnout
        keep &= lead / np.maximum(rec, 1) <= max_leader_share
    return keep


__all__ = ["COUNT_FIELDS", "RUSSIAN_YEARS", "StationArrays", "kobak_inclusion"]
