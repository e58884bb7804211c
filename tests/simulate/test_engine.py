"""The simulator engine: shapes, reproducibility, protocol relations and each fraud mechanism."""

from dataclasses import replace

import numpy as np
import pytest

from baqylau.simulate.engine import (
    L1,
    L3,
    L5,
    L8,
    LINES,
    MECHANISMS,
    VERSIONS,
    SimulatedElection,
    SimulationConfig,
    check_protocols,
    simulate,
)

NO_FRAUD = {"stuffing": 0.0, "carousel": 0.0, "rewriting": 0.0, "inflation": 0.0}


@pytest.fixture(scope="module")
def sim() -> SimulatedElection:
    return simulate(SimulationConfig(seed=11))


def only(mechanism: str, share: float = 0.2, **extra) -> SimulatedElection:
    return simulate(SimulationConfig(seed=5, **{**NO_FRAUD, mechanism: share, **extra}))


def test_same_seed_same_arrays_other_seed_differs():
    a = simulate(SimulationConfig(seed=3, n_stations=2_000))
    b = simulate(SimulationConfig(seed=3, n_stations=2_000))
    c = simulate(SimulationConfig(seed=4, n_stations=2_000))
    assert a.equals(b)
    for name in SimulatedElection.array_names():
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert not np.array_equal(a.true_votes, c.true_votes)
    assert not np.array_equal(a.registered, c.registered)
    assert not a.equals(c)


def test_shapes_dtypes_and_totals(sim):
    n, k = 10_000, 7
    assert sim.n_stations == n
    assert sim.n_regions == 20
    assert 200 <= sim.n_districts <= 260
    assert int(sim.registered.sum(dtype=np.int64)) == 12_000_000
    assert list(sim.choice_code) == [
        "akhmetbekov", "espayeva", "kossanov", "rakhimbekov", "taspikhov", "tokayev", "tugel",
    ]  # fmt: skip
    assert sim.choice_code[sim.leader] == "tokayev"
    for version in VERSIONS:
        assert sim.lines(version).shape == (n, len(LINES))
        assert sim.votes(version).shape == (n, k)
        assert sim.lines(version).dtype == np.int32
        assert np.array_equal(sim.lines(version)[:, L1], sim.registered)
    for mask in ("observed", *MECHANISMS):
        assert getattr(sim, mask).shape == (n,) and getattr(sim, mask).dtype == bool
    assert sim.station_district.shape == sim.station_region.shape == (n,)
    assert np.array_equal(sim.district_region[sim.station_district], sim.station_region)
    # every region and district has stations; stations are grouped by district
    assert np.bincount(sim.station_district, minlength=sim.n_districts).min() >= 1
    assert np.all(np.diff(sim.station_district) >= 0)


def test_station_sizes_are_skewed_and_realistic(sim):
    reg = sim.registered
    mid = ((reg >= 500) & (reg <= 2_500)).mean()
    assert mid > 0.5, "most stations have 500–2,500 voters"
    assert (reg < 300).mean() > 0.05, "small rural and closed stations exist"
    assert reg.max() > 3_000
    assert 0 < sim.station_abroad.sum() < 200
    assert 100 < (sim.station_closed > 0).sum() < 600
    assert 0.3 < sim.station_urban.mean() < 0.7


def test_codes_and_paths_are_unique(sim):
    paths = sim.station_paths()
    assert len(set(paths.tolist())) == sim.n_stations
    assert paths[0].startswith("KZ/01/01")
    assert len(set(sim.district_code.tolist())) == sim.n_districts
    names = sim.region_names()
    assert set(names) == {"kk", "ru", "en"} and names["en"].shape == (sim.n_regions,)
    assert sim.station_names()["ru"][0].startswith("Избирательный участок")


def test_true_shares_are_plausible(sim):
    s = sim.summary()
    assert 0.55 <= s["turnout_true"] <= 0.66
    assert 0.58 <= s["leader_share_true"] <= 0.72
    region_share = sim.totals("true", by="region")[1][:, sim.leader] / sim.totals(
        "true", by="region"
    )[1].sum(axis=1)
    assert region_share.std() > 0.02, "the leader's share varies by region"


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("heavy", [False, True])
def test_control_relations_hold_everywhere(seed, heavy):
    shares = dict.fromkeys(NO_FRAUD, 0.5) if heavy else {}
    s = simulate(SimulationConfig(seed=seed, n_stations=3_000, **shares))
    for version in VERSIONS:
        broken = check_protocols(s.lines(version), s.votes(version))
        assert {rule: int(m.sum()) for rule, m in broken.items() if m.any()} == {}, version


def test_clean_config_means_official_equals_signed_equals_true():
    dirty = simulate(SimulationConfig(seed=9, n_stations=3_000))
    clean = simulate(SimulationConfig(seed=9, n_stations=3_000).clean())
    for version in ("signed", "official"):
        assert np.array_equal(clean.lines(version), clean.true_lines)
        assert np.array_equal(clean.votes(version), clean.true_votes)
    assert not clean.manipulated.any()
    # fraud does not disturb the random streams of the true election
    assert np.array_equal(clean.true_votes, dirty.true_votes)
    assert np.array_equal(clean.observed, dirty.observed)
    assert dirty.manipulated.any()


def _changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a != b).any(axis=1)


def test_stuffing_raises_turnout_and_leader_share_at_stuffed_stations_only():
    s = only("stuffing")
    stuffed = s.stuffing
    assert 0.1 < stuffed.mean() < 0.3
    changed = _changed(s.signed_lines, s.true_lines) | _changed(s.signed_votes, s.true_votes)
    assert np.array_equal(changed, stuffed)
    assert np.all(s.turnout("signed")[stuffed] > s.turnout("true")[stuffed])
    assert np.all(s.leader_share("signed")[stuffed] > s.leader_share("true")[stuffed])
    # the pattern of the seeds: turnout > 70 %, leader at 75–85 %
    assert np.mean(s.turnout("signed")[stuffed] > 0.7) > 0.95
    share = s.leader_share("signed")[stuffed]
    assert np.median(share) > 0.75 and np.mean(share >= 0.74) > 0.9
    # recorded consistently: issued and took part rise, unused ballots fall
    assert np.all(s.signed_lines[stuffed, L3] > s.true_lines[stuffed, L3])
    assert np.all(s.signed_lines[stuffed, L8] < s.true_lines[stuffed, L8])
    # no aggregation-stage fraud here: official == signed
    assert np.array_equal(s.official_lines, s.signed_lines)
    assert np.array_equal(s.official_votes, s.signed_votes)


def test_carousel_adds_fewer_leader_ballots_than_stuffing():
    s = simulate(SimulationConfig(seed=6, **{**NO_FRAUD, "carousel": 0.2, "stuffing": 0.2}))
    only_car = s.carousel & ~s.stuffing
    only_stuff = s.stuffing & ~s.carousel
    gained = s.signed_votes[:, s.leader] - s.true_votes[:, s.leader]
    assert np.all(gained[only_car] == s.carousel_ballots[only_car])
    assert np.all(gained[only_car] > 0)
    per_voter = gained / s.registered
    assert np.median(per_voter[only_car]) < 0.5 * np.median(per_voter[only_stuff])
    changed = _changed(s.signed_votes, s.true_votes)
    assert np.array_equal(changed, s.carousel | s.stuffing)


def test_rewriting_changes_official_figures_only_at_rewritten_stations():
    s = only("rewriting")
    rewritten = s.rewriting
    assert 0.1 < rewritten.mean() < 0.3
    assert np.array_equal(s.signed_votes, s.true_votes)
    assert np.array_equal(s.signed_lines, s.true_lines)
    assert np.array_equal(_changed(s.official_votes, s.signed_votes), rewritten)
    assert np.array_equal(s.official_lines, s.signed_lines)  # votes moved, totals kept
    gained = s.official_votes[:, s.leader] - s.signed_votes[:, s.leader]
    assert np.all(gained[rewritten] > 0)
    assert np.array_equal(gained, s.rewritten_votes)
    others = np.delete(np.arange(s.choice_code.size), s.leader)
    assert np.all(s.official_votes[:, others] <= s.signed_votes[:, others])


def test_inflation_raises_official_turnout_at_inflated_stations_only():
    s = only("inflation")
    inflated = s.inflation
    assert np.array_equal(s.signed_lines, s.true_lines)
    assert np.array_equal(_changed(s.official_lines, s.signed_lines), inflated)
    added = s.official_lines[:, L5] - s.signed_lines[:, L5]
    assert np.all(added[inflated] > 0)
    assert np.array_equal(added, s.inflated_ballots)
    assert np.all(s.official_lines[:, L5] <= s.official_lines[:, L1])


def test_observed_stations_are_manipulated_less(sim):
    observed = sim.observed
    assert 0.25 < observed.mean() < 0.35
    assert sim.observed[sim.station_urban].mean() > 2 * sim.observed[~sim.station_urban].mean()
    rate_observed = sim.manipulated[observed].mean()
    rate_unobserved = sim.manipulated[~observed].mean()
    assert rate_observed < 0.4 * rate_unobserved
    # the footprint in official figures: the leader gains more where nobody watched
    gain = sim.leader_share("official") - sim.leader_share("true")
    assert gain[~observed].mean() > 2 * gain[observed].mean()


def test_mechanism_shares_follow_the_config(sim):
    c = sim.config
    for mech in MECHANISMS:
        share = getattr(sim, mech).mean()
        assert 0.6 * getattr(c, mech) < share < 1.2 * getattr(c, mech), mech
    assert np.array_equal(
        sim.manipulated, sim.stuffing | sim.carousel | sim.rewriting | sim.inflation
    )


def test_save_and_load_round_trip(sim, tmp_path):
    path = sim.save(tmp_path / "sub" / "sim.npz")
    back = SimulatedElection.load(path)
    assert back.equals(sim)
    assert back.config == sim.config
    with np.load(path) as data:  # an ordinary .npz
        assert "config_json" in data.files and data["official_lines"].shape == (10_000, 7)


def test_config_json_round_trip():
    cfg = replace(SimulationConfig(), seed=77, stuffing=0.1, n_regions=5)
    assert SimulationConfig.from_json(cfg.to_json()) == cfg


def test_sizes_scale_with_station_count():
    small = SimulationConfig(n_stations=500)
    big = SimulationConfig(n_stations=1_000_000)
    assert small.regions < 20 < big.regions <= 99
    assert 20 < small.districts < 230 < big.districts
    assert big.registered == 1_200_000_000
    s = simulate(SimulationConfig(n_stations=100_000, seed=1))
    assert s.n_stations == 100_000 and s.n_regions > 20
    assert np.bincount(s.station_district).min() >= 1


def test_invalid_configs_are_rejected():
    with pytest.raises(ValueError):
        simulate(SimulationConfig(leader="nobody"))


@pytest.mark.slow
def test_a_million_stations_in_well_under_a_minute():
    import time

    started = time.perf_counter()
    s = simulate(SimulationConfig(n_stations=1_000_000, seed=1))
    assert time.perf_counter() - started < 30
    assert s.n_stations == 1_000_000
    broken = check_protocols(s.official_lines, s.official_votes)
    assert not any(m.any() for m in broken.values())
