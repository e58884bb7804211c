"""Synthetic elections with injected fraud and a stored ground truth. Pure numpy, no Django.

`simulate(config)` draws a whole national election at once (no Python loop over stations):

* a unit tree (country → regions → districts → stations, see `geography`) with skewed station
  sizes, small rural and closed stations and a few stations abroad;
* what the voters did (`true`): turnout beta-distributed around region means, votes drawn from
  station-level shares in which the leader's share varies by region, district, town and village;
* the protocol the station commission signed (`signed`): the true protocol plus **carousel**
  (multiple voting) and **ballot stuffing**, both recorded consistently (ballots issued and
  voters who took part rise with the leader's votes, unused ballots fall). Stuffing brings the
  turnout to 72–92 %; where the stuffed ballots alone leave the leader below the 75–85 % target,
  the commission also counts opposition ballots for the leader (`stuffed_recounted`);
* the figures the central commission published (`official`): the signed protocol after
  **protocol rewriting** (votes moved from the other candidates to the leader) and **turnout
  inflation** (ballots issued, took part and the leader's votes inflated together) between the
  station and the district.

Observers are placed at a share of the stations (more in towns); an observed station is
manipulated much less often. Every mechanism draws from its own random stream, so the true
election of a seed does not change when fraud is switched on or off.

Protocol lines are those of the `kz_president` form: L1 registered voters, L2 ballots received,
L3 ballots issued, L4 voted outside the station (part of L5), L5 took part, L7 invalid ballots,
L8 unused/cancelled ballots, and the votes for each choice. Both signed and official protocols
satisfy L2 == L3 + L8, sum(votes) + L7 == L5, L4 <= L5 <= L3 <= L1 and votes <= L5.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from baqylau.simulate import geography as geo_mod
from baqylau.simulate.geography import CLOSED_KINDS

LINES = ("L1", "L2", "L3", "L4", "L5", "L7", "L8")
L1, L2, L3, L4, L5, L7, L8 = range(7)
VERSIONS = ("true", "signed", "official")
MECHANISMS = ("stuffing", "carousel", "rewriting", "inflation")
FORMAT_VERSION = 1


@dataclass(frozen=True)
class ChoiceSpec:
    """One candidate: code, names, ballot position, and weight among the non-leader vote."""

    code: str
    number: int
    name_kk: str
    name_ru: str
    name_en: str
    weight: float = 1.0


#: The seven candidates of Kazakhstan's presidential election of 9 June 2019, in ballot order.
#: `weight` splits the vote not cast for the leader among the others (their 2019 official ratio).
KZ2019_CHOICES: tuple[ChoiceSpec, ...] = (
    ChoiceSpec("akhmetbekov", 1, "Жамбыл Әхметбеков", "Жамбыл Ахметбеков", "Zhambyl Akhmetbekov", 0.063),
    ChoiceSpec("espayeva", 2, "Дәния Еспаева", "Дания Еспаева", "Daniya Espayeva", 0.174),
    ChoiceSpec("kossanov", 3, "Әміржан Қосанов", "Амиржан Косанов", "Amirzhan Kossanov", 0.559),
    ChoiceSpec("rakhimbekov", 4, "Төлеутай Рақымбеков", "Толеутай Рахимбеков", "Toleutai Rakhimbekov", 0.105),
    ChoiceSpec("taspikhov", 5, "Амангелді Таспихов", "Амангельды Таспихов", "Amangeldy Taspikhov", 0.068),
    ChoiceSpec("tokayev", 6, "Қасым-Жомарт Тоқаев", "Касым-Жомарт Токаев", "Kassym-Jomart Tokayev", 0.0),
    ChoiceSpec("tugel", 7, "Сәдібек Түгел", "Садыбек Тугел", "Sadybek Tugel", 0.032),
)  # fmt: skip


@dataclass(frozen=True)
class SimulationConfig:
    """Everything that determines a simulated election; the same config gives the same arrays."""

    seed: int = 2019
    n_stations: int = 10_000
    n_regions: int | None = None  # None: 20 for 10,000 stations, scaled with the station count
    n_districts: int | None = None  # None: ~230 for 10,000 stations, scaled
    registered_total: int | None = None  # None: 1,200 per station (12 M for 10,000)
    country: str = "KZ"
    country_names: tuple[str, str, str] = ("Қазақстан", "Казахстан", "Kazakhstan")  # kk, ru, en
    choices: tuple[ChoiceSpec, ...] = KZ2019_CHOICES
    leader: str = "tokayev"

    # geography
    abroad_share: float = 0.0065
    closed_share: float = 0.03
    city_region_share: float = 0.15
    urban_district_share: float = 0.12

    # what voters do
    leader_share: float = 0.74  # centre of the leader's true share (villages above)
    leader_region_sd: float = 0.3  # logit scale
    leader_district_sd: float = 0.2
    leader_station_sd: float = 0.15
    leader_urban_shift: float = -0.45  # towns vote less for the leader (logit)
    others_concentration: float = 60.0  # Dirichlet concentration of the others' split
    turnout_region_range: tuple[float, float] = (0.55, 0.65)
    turnout_concentration: float = 45.0  # beta a + b around the region mean
    closed_turnout: float = 0.93
    abroad_turnout: float = 0.45
    invalid_rate: float = 0.012
    outside_rate_rural: float = 0.05  # L4 / L5, mobile ballot box
    outside_rate_urban: float = 0.012
    not_deposited_rate: float = 0.0015  # ballots issued but not found in the box

    # fraud: share of stations, and intensity ranges drawn uniformly per station
    stuffing: float = 0.08
    stuffing_turnout: tuple[float, float] = (0.72, 0.92)  # signed turnout reached
    stuffing_leader_share: tuple[float, float] = (0.75, 0.85)  # signed leader share reached
    carousel: float = 0.03
    carousel_fraction: tuple[float, float] = (0.02, 0.06)  # extra voters / registered
    rewriting: float = 0.05
    rewriting_fraction: tuple[float, float] = (0.15, 0.5)  # others' votes moved to the leader
    inflation: float = 0.03
    inflation_fraction: tuple[float, float] = (0.05, 0.2)  # ballots added / registered

    # observers
    coverage: float = 0.3  # expected share of stations observed
    coverage_urban_ratio: float = 3.0  # a town station is this many times likelier observed
    observed_fraud_multiplier: float = 0.2  # fraud probability multiplier where observed
    fraud_clustering: float = 0.6  # sd of the log district propensity to cheat

    # -- derived sizes ------------------------------------------------------------------------
    @property
    def regions(self) -> int:
        return self.n_regions or geo_mod.auto_regions(self.n_stations)

    @property
    def districts(self) -> int:
        return self.n_districts or geo_mod.auto_districts(self.n_stations, self.regions)

    @property
    def registered(self) -> int:
        return self.registered_total or 1_200 * self.n_stations

    def clean(self) -> SimulationConfig:
        """The same election without any manipulation."""
        return replace(self, stuffing=0.0, carousel=0.0, rewriting=0.0, inflation=0.0)

    # -- JSON -----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SimulationConfig:
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                continue
            if key == "choices":
                value = tuple(ChoiceSpec(**c) for c in value)
            elif isinstance(value, list):
                value = tuple(value)
            values[key] = value
        return cls(**values)

    @classmethod
    def from_json(cls, text: str) -> SimulationConfig:
        return cls.from_dict(json.loads(text))


@dataclass
class SimulatedElection:
    """A simulated election as plain arrays (R regions, D districts, N stations, K choices).

    Tree: `region_code` (R,) str, `region_is_city` (R,) bool; `district_code` (D,) str,
    `district_region` (D,) int32, `district_urban`/`district_abroad` (D,) bool;
    `station_district`/`station_region`/`station_number` (N,) int32 (numbers unique within a
    region, used as station codes), `station_urban`/`station_abroad` (N,) bool,
    `station_closed` (N,) int8 index into `geography.CLOSED_KINDS`; `registered` (N,) int32.
    Choices: `choice_code`/`choice_name_{kk,ru,en}` (K,) str, `choice_number` (K,) int32,
    `leader` int (column of the leader).
    Protocols: `<version>_lines` (N, 7) int32 in `LINES` order and `<version>_votes` (N, K) int32,
    for version in `VERSIONS` ("true", "signed", "official").
    Ground truth: masks `observed`, `stuffing`, `carousel`, `rewriting`, `inflation` (N,) bool
    (a mask is set only where the mechanism changed something; `manipulated` = any);
    amounts `stuffed_ballots`, `stuffed_recounted`, `carousel_ballots`, `rewritten_votes`,
    `inflated_ballots` (N,) int32; `true_leader_p`, `true_turnout_p` (N,) float32 (the
    probabilities the voters were drawn from).
    """

    config: SimulationConfig
    region_code: np.ndarray
    region_is_city: np.ndarray
    district_code: np.ndarray
    district_region: np.ndarray
    district_urban: np.ndarray
    district_abroad: np.ndarray
    station_district: np.ndarray
    station_region: np.ndarray
    station_number: np.ndarray
    station_urban: np.ndarray
    station_abroad: np.ndarray
    station_closed: np.ndarray
    registered: np.ndarray
    choice_code: np.ndarray
    choice_number: np.ndarray
    choice_name_kk: np.ndarray
    choice_name_ru: np.ndarray
    choice_name_en: np.ndarray
    leader: int
    true_lines: np.ndarray
    true_votes: np.ndarray
    signed_lines: np.ndarray
    signed_votes: np.ndarray
    official_lines: np.ndarray
    official_votes: np.ndarray
    observed: np.ndarray
    stuffing: np.ndarray
    carousel: np.ndarray
    rewriting: np.ndarray
    inflation: np.ndarray
    stuffed_ballots: np.ndarray
    stuffed_recounted: np.ndarray
    carousel_ballots: np.ndarray
    rewritten_votes: np.ndarray
    inflated_ballots: np.ndarray
    true_leader_p: np.ndarray
    true_turnout_p: np.ndarray

    # -- sizes and derived ground truth ------------------------------------------------------
    @property
    def n_stations(self) -> int:
        return int(self.station_district.size)

    @property
    def n_districts(self) -> int:
        return int(self.district_code.size)

    @property
    def n_regions(self) -> int:
        return int(self.region_code.size)

    @property
    def manipulated(self) -> np.ndarray:
        """Stations touched by any mechanism (signed or official differs from the true vote)."""
        return self.stuffing | self.carousel | self.rewriting | self.inflation

    @property
    def station_code(self) -> np.ndarray:
        return self.station_number.astype(str)

    @property
    def station_closed_kind(self) -> np.ndarray:
        return np.asarray(CLOSED_KINDS, dtype=object)[self.station_closed]

    def unit_arrays(self) -> dict[str, np.ndarray]:
        """The unit tree as arrays, units ordered country, regions, districts, stations:
        ``parent`` (-1 for the country), ``depth``, ``is_station``, ``registered`` (stations
        only), ``urban``/``abroad``/``closed`` (stations only); the stations start at row
        ``1 + R + D`` in the order of the station arrays."""
        r, d, n = self.n_regions, self.n_districts, self.n_stations
        parent = np.concatenate(
            [
                [-1],
                np.zeros(r, np.int64),
                1 + self.district_region.astype(np.int64),
                1 + r + self.station_district.astype(np.int64),
            ]
        )
        depth = np.concatenate([[0], np.ones(r), np.full(d, 2), np.full(n, 3)]).astype(np.int64)
        pad = np.zeros(1 + r + d, bool)
        return {
            "parent": parent,
            "depth": depth,
            "is_station": depth == 3,
            "registered": np.concatenate([np.zeros(1 + r + d), self.registered]).astype(np.int64),
            "urban": np.concatenate([pad, self.station_urban]),
            "abroad": np.concatenate([pad, self.station_abroad]),
            "closed": np.concatenate([pad, self.station_closed > 0]),
        }

    def region_names(self) -> dict[str, np.ndarray]:
        return geo_mod.region_names(self.region_code, self.region_is_city)

    def district_names(self) -> dict[str, np.ndarray]:
        return geo_mod.district_names(self.district_code, self.district_urban, self.district_abroad)

    def station_names(self) -> dict[str, np.ndarray]:
        return geo_mod.station_names(self.station_number)

    def station_paths(self) -> np.ndarray:
        """`KZ/01/0105/237` for every station."""
        prefix = np.char.add(self.config.country + "/", self.region_code[self.station_region])
        prefix = np.char.add(np.char.add(prefix, "/"), self.district_code[self.station_district])
        return np.char.add(np.char.add(prefix, "/"), self.station_code)

    # -- protocol access ----------------------------------------------------------------------
    def lines(self, version: str = "official") -> np.ndarray:
        if version not in VERSIONS:
            raise ValueError(f"unknown version {version!r}; one of {VERSIONS}")
        return getattr(self, f"{version}_lines")

    def votes(self, version: str = "official") -> np.ndarray:
        if version not in VERSIONS:
            raise ValueError(f"unknown version {version!r}; one of {VERSIONS}")
        return getattr(self, f"{version}_votes")

    def line(self, code: str, version: str = "official") -> np.ndarray:
        return self.lines(version)[:, LINES.index(code)]

    def turnout(self, version: str = "official") -> np.ndarray:
        """L5 / L1 per station."""
        lines = self.lines(version)
        return lines[:, L5] / np.maximum(lines[:, L1], 1)

    def leader_share(self, version: str = "official") -> np.ndarray:
        """Leader's votes / valid votes per station (0 where nobody voted)."""
        votes = self.votes(version)
        return votes[:, self.leader] / np.maximum(votes.sum(axis=1), 1)

    def totals(
        self, version: str = "official", by: str = "country"
    ) -> tuple[np.ndarray, np.ndarray]:
        """Summed (lines, votes) by "country" (1-D arrays), "region" or "district" (2-D, int64)."""
        lines = self.lines(version).astype(np.int64)
        votes = self.votes(version).astype(np.int64)
        if by == "country":
            return lines.sum(axis=0), votes.sum(axis=0)
        index, size = {
            "region": (self.station_region, self.n_regions),
            "district": (self.station_district, self.n_districts),
        }[by]
        out_lines = np.zeros((size, lines.shape[1]), dtype=np.int64)
        out_votes = np.zeros((size, votes.shape[1]), dtype=np.int64)
        np.add.at(out_lines, index, lines)
        np.add.at(out_votes, index, votes)
        return out_lines, out_votes

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "stations": self.n_stations,
            "districts": self.n_districts,
            "regions": self.n_regions,
            "registered": int(self.registered.sum(dtype=np.int64)),
            "observed": int(self.observed.sum()),
            "manipulated": int(self.manipulated.sum()),
            "observed_manipulated": int((self.manipulated & self.observed).sum()),
        }
        for mech in MECHANISMS:
            out[mech] = int(getattr(self, mech).sum())
        for version in VERSIONS:
            lines, votes = self.totals(version)
            out[f"turnout_{version}"] = float(lines[L5] / max(lines[L1], 1))
            out[f"leader_share_{version}"] = float(votes[self.leader] / max(votes.sum(), 1))
        return out

    # -- storage --------------------------------------------------------------------------------
    @classmethod
    def array_names(cls) -> tuple[str, ...]:
        """Names of the array attributes (everything but `config` and `leader`)."""
        return tuple(f.name for f in fields(cls) if f.name not in ("config", "leader"))

    def save(self, path: str | Path) -> Path:
        """Write a compressed .npz (config as JSON inside); returns the path written."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {name: getattr(self, name) for name in self.array_names()}
        meta = {"format": FORMAT_VERSION, "leader": self.leader, "lines": list(LINES)}
        arrays["config_json"] = np.asarray(self.config.to_json())
        arrays["meta_json"] = np.asarray(json.dumps(meta))
        # An ordinary .npz (np.load reads it), deflated at level 1: several times faster to
        # write than np.savez_compressed for a million stations, and barely larger.
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for name, array in arrays.items():
                with zf.open(f"{name}.npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)
        return path

    @classmethod
    def load(cls, path: str | Path) -> SimulatedElection:
        with np.load(Path(path), allow_pickle=False) as data:
            meta = json.loads(str(data["meta_json"]))
            if meta.get("format") != FORMAT_VERSION:
                raise ValueError(f"unsupported simulation file format {meta.get('format')!r}")
            config = SimulationConfig.from_json(str(data["config_json"]))
            arrays = {name: data[name] for name in cls.array_names()}
        return cls(config=config, leader=int(meta["leader"]), **arrays)

    def equals(self, other: SimulatedElection) -> bool:
        """Same config and identical arrays."""
        return (
            self.config == other.config
            and self.leader == other.leader
            and all(np.array_equal(getattr(self, n), getattr(other, n)) for n in self.array_names())
        )


# ---------------------------------------------------------------------------------------------
def _uniform(rng: np.random.Generator, bounds: tuple[float, float], n: int) -> np.ndarray:
    low, high = bounds
    return rng.uniform(low, high, size=n)


def _logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))


def _fraud_mask(rng: np.random.Generator, share: float, propensity: np.ndarray) -> np.ndarray:
    """Stations hit by a mechanism: probability `share` on average, shaped by `propensity`."""
    u = rng.random(propensity.size)  # always drawn: streams stay aligned when share is 0
    if share <= 0:
        return np.zeros(propensity.size, dtype=bool)
    p = np.clip(share * propensity / propensity.mean(), 0.0, 1.0)
    return u < p


def _at_least_one(amount: np.ndarray, mask: np.ndarray, room: np.ndarray) -> np.ndarray:
    """Selected stations with room get at least one ballot, and never more than the room."""
    amount = np.where(mask, np.maximum(amount, 1), 0)
    return np.minimum(amount, room).astype(np.int64)


def simulate(config: SimulationConfig | None = None) -> SimulatedElection:
    """Draw a whole election from `config` (vectorised; reproducible from `config.seed`)."""
    cfg = config or SimulationConfig()
    n = cfg.n_stations
    codes = [c.code for c in cfg.choices]
    if cfg.leader not in codes:
        raise ValueError(f"leader {cfg.leader!r} is not among the choices {codes}")
    if len(set(codes)) != len(codes):
        raise ValueError("choice codes must be unique")
    leader = codes.index(cfg.leader)
    k = len(codes)

    streams = np.random.SeedSequence(cfg.seed).spawn(9)
    rng_geo, rng_size, rng_vote, rng_obs, rng_stuff, rng_car, rng_rew, rng_inf, rng_prop = (
        np.random.default_rng(s) for s in streams
    )

    # -- geography ------------------------------------------------------------------------------
    g = geo_mod.build_geography(
        rng_geo,
        n_stations=n,
        n_regions=cfg.regions,
        n_districts=cfg.districts,
        abroad_share=cfg.abroad_share,
        closed_share=cfg.closed_share,
        city_region_share=cfg.city_region_share,
        urban_district_share=cfg.urban_district_share,
    )
    registered = geo_mod.station_sizes(rng_size, g, cfg.registered)
    urban, abroad, closed = g.station_urban, g.station_abroad, g.station_closed > 0
    n_r, n_d = g.region_code.size, g.district_code.size

    # -- what voters did ----------------------------------------------------------------------
    rv = rng_vote
    region_turnout = rv.uniform(*cfg.turnout_region_range, size=n_r)
    mean_turnout = region_turnout[g.station_region]
    mean_turnout = np.where(closed, cfg.closed_turnout, mean_turnout)
    mean_turnout = np.where(abroad, cfg.abroad_turnout, mean_turnout)
    kappa = cfg.turnout_concentration
    turnout_p = rv.beta(mean_turnout * kappa, (1.0 - mean_turnout) * kappa)

    logit = (
        _logit(cfg.leader_share)
        + rv.normal(0.0, cfg.leader_region_sd, size=n_r)[g.station_region]
        + rv.normal(0.0, cfg.leader_district_sd, size=n_d)[g.station_district]
        + rv.normal(0.0, cfg.leader_station_sd, size=n)
        + cfg.leader_urban_shift * (urban | abroad)
        + 0.8 * closed
    )
    leader_p = 1.0 / (1.0 + np.exp(-logit))
    weights = np.array([c.weight for c in cfg.choices], dtype=np.float64)
    weights[leader] = 0.0
    if weights.sum() <= 0:
        weights = np.ones(k)
        weights[leader] = 0.0
    weights /= weights.sum()
    others = rv.standard_gamma(np.maximum(weights * cfg.others_concentration, 1e-9), size=(n, k))
    others[:, leader] = 0.0
    others_sum = others.sum(axis=1, keepdims=True)
    others = np.where(others_sum > 0, others / np.where(others_sum > 0, others_sum, 1.0), 0.0)
    if k == 1:
        leader_p = np.ones(n)
    pvals = others * (1.0 - leader_p)[:, None]
    pvals[:, leader] = leader_p
    pvals /= pvals.sum(axis=1, keepdims=True)

    took_part = rv.binomial(registered, turnout_p)
    invalid = rv.binomial(took_part, cfg.invalid_rate)
    outside_rate = np.where(urban | abroad, cfg.outside_rate_urban, cfg.outside_rate_rural)
    outside = rv.binomial(took_part, np.where(closed, 0.0, outside_rate))
    not_deposited = rv.binomial(registered - took_part, cfg.not_deposited_rate)
    votes_true = rv.multinomial(took_part - invalid, pvals).astype(np.int64)
    issued = took_part + not_deposited
    received = np.maximum(np.ceil(registered / 50.0) * 50, registered).astype(np.int64)

    true_lines = np.stack(
        [registered, received, issued, outside, took_part, invalid, received - issued], axis=1
    ).astype(np.int64)

    # -- observers and the propensity to cheat ------------------------------------------------
    obs_weight = np.where(urban, cfg.coverage_urban_ratio, 1.0)
    obs_weight = np.where(abroad, 0.5, obs_weight)
    obs_weight = np.where(closed, 0.0, obs_weight)
    p_obs = np.clip(cfg.coverage * n * obs_weight / max(obs_weight.sum(), 1e-12), 0.0, 0.98)
    observed = rng_obs.random(n) < p_obs

    district_prop = rng_prop.lognormal(0.0, cfg.fraud_clustering, size=n_d)
    propensity = district_prop[g.station_district]
    propensity = propensity * np.where(observed, cfg.observed_fraud_multiplier, 1.0)
    propensity = propensity * np.where(abroad, 0.3, 1.0) * np.where(closed, 1.5, 1.0)

    # -- signed protocol: carousel, then stuffing ------------------------------------------
    lines = true_lines.copy()
    votes = votes_true.copy()

    def add_leader_ballots(lines: np.ndarray, votes: np.ndarray, extra: np.ndarray) -> None:
        lines[:, L3] += extra
        lines[:, L5] += extra
        lines[:, L8] -= extra
        votes[:, leader] += extra

    carousel = _fraud_mask(rng_car, cfg.carousel, propensity)
    frac = _uniform(rng_car, cfg.carousel_fraction, n)
    room = lines[:, L1] - lines[:, L3]
    carousel_ballots = _at_least_one(np.round(frac * registered), carousel, room)
    add_leader_ballots(lines, votes, carousel_ballots)

    stuffing = _fraud_mask(rng_stuff, cfg.stuffing, propensity)
    target_t = _uniform(rng_stuff, cfg.stuffing_turnout, n)
    target_s = _uniform(rng_stuff, cfg.stuffing_leader_share, n)
    need = np.ceil(target_t * lines[:, L1]) - lines[:, L5]
    amount = np.maximum(need, np.ceil(0.02 * registered))
    room = lines[:, L1] - lines[:, L3]
    stuffed_ballots = _at_least_one(amount, stuffing, room)
    add_leader_ballots(lines, votes, stuffed_ballots)
    stuffing &= stuffed_ballots > 0  # a station already at 100 % cannot be stuffed
    # Where the stuffed ballots alone do not reach the target share, the commission also
    # counts opposition ballots for the leader; the signed protocol records the result.
    valid = votes.sum(axis=1)
    rest = valid - votes[:, leader]
    short = np.ceil(target_s * valid) - votes[:, leader]
    frac = np.where(stuffing & (short > 0) & (rest > 0), short / np.maximum(rest, 1), 0.0)
    others_votes = votes.copy()
    others_votes[:, leader] = 0
    recounted = rng_stuff.binomial(others_votes, np.clip(frac, 0.0, 1.0)[:, None])
    votes -= recounted
    stuffed_recounted = recounted.sum(axis=1)
    votes[:, leader] += stuffed_recounted
    signed_lines, signed_votes = lines.copy(), votes.copy()

    # -- official figures: rewriting, then turnout inflation ------------------------------
    rewriting = _fraud_mask(rng_rew, cfg.rewriting, propensity)
    frac = _uniform(rng_rew, cfg.rewriting_fraction, n)
    others_votes = votes.copy()
    others_votes[:, leader] = 0
    moved = rng_rew.binomial(others_votes, frac[:, None])
    moved[~rewriting] = 0
    # a rewritten station always loses at least one vote of its strongest other candidate
    nothing = rewriting & (moved.sum(axis=1) == 0) & (others_votes.sum(axis=1) > 0)
    if nothing.any():
        idx = np.flatnonzero(nothing)
        moved[idx, others_votes[idx].argmax(axis=1)] = 1
    votes -= moved
    rewritten_votes = moved.sum(axis=1)
    votes[:, leader] += rewritten_votes

    inflation = _fraud_mask(rng_inf, cfg.inflation, propensity)
    frac = _uniform(rng_inf, cfg.inflation_fraction, n)
    room = lines[:, L1] - lines[:, L3]
    inflated_ballots = _at_least_one(np.round(frac * registered), inflation, room)
    add_leader_ballots(lines, votes, inflated_ballots)

    choice_names = {
        lang: np.array([getattr(c, f"name_{lang}") for c in cfg.choices])
        for lang in ("kk", "ru", "en")
    }
    i32 = np.int32
    return SimulatedElection(
        config=cfg,
        region_code=g.region_code,
        region_is_city=g.region_is_city,
        district_code=g.district_code,
        district_region=g.district_region,
        district_urban=g.district_urban,
        district_abroad=g.district_abroad,
        station_district=g.station_district,
        station_region=g.station_region,
        station_number=g.station_number,
        station_urban=g.station_urban,
        station_abroad=g.station_abroad,
        station_closed=g.station_closed,
        registered=registered.astype(i32),
        choice_code=np.array(codes),
        choice_number=np.array([c.number for c in cfg.choices], dtype=i32),
        choice_name_kk=choice_names["kk"],
        choice_name_ru=choice_names["ru"],
        choice_name_en=choice_names["en"],
        leader=leader,
        true_lines=true_lines.astype(i32),
        true_votes=votes_true.astype(i32),
        signed_lines=signed_lines.astype(i32),
        signed_votes=signed_votes.astype(i32),
        official_lines=lines.astype(i32),
        official_votes=votes.astype(i32),
        observed=observed,
        stuffing=stuffing & (stuffed_ballots > 0),
        carousel=carousel & (carousel_ballots > 0),
        rewriting=rewriting & (rewritten_votes > 0),
        inflation=inflation & (inflated_ballots > 0),
        stuffed_ballots=stuffed_ballots.astype(i32),
        stuffed_recounted=stuffed_recounted.astype(i32),
        carousel_ballots=carousel_ballots.astype(i32),
        rewritten_votes=rewritten_votes.astype(i32),
        inflated_ballots=inflated_ballots.astype(i32),
        true_leader_p=leader_p.astype(np.float32),
        true_turnout_p=turnout_p.astype(np.float32),
    )


def check_protocols(lines: np.ndarray, votes: np.ndarray) -> dict[str, np.ndarray]:
    """Stations breaking each control relation of the form (all False for a valid protocol)."""
    lines = lines.astype(np.int64)
    votes = votes.astype(np.int64)
    return {
        "L2 == L3 + L8": lines[:, L2] != lines[:, L3] + lines[:, L8],
        "sum(votes) + L7 == L5": votes.sum(axis=1) + lines[:, L7] != lines[:, L5],
        "L5 <= L3": lines[:, L5] > lines[:, L3],
        "L3 <= L1": lines[:, L3] > lines[:, L1],
        "L4 <= L5": lines[:, L4] > lines[:, L5],
        "votes <= L5": (votes > lines[:, L5 : L5 + 1]).any(axis=1),
        "non-negative": (lines < 0).any(axis=1) | (votes < 0).any(axis=1),
    }


__all__ = [
    "KZ2019_CHOICES",
    "LINES",
    "MECHANISMS",
    "VERSIONS",
    "ChoiceSpec",
    "SimulatedElection",
    "SimulationConfig",
    "check_protocols",
    "simulate",
]
