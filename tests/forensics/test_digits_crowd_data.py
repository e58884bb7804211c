import numpy as np
import pytest

from baqylau.forensics.crowd import crowd_impossibility
from baqylau.forensics.data import StationArrays
from baqylau.forensics.digits import (
    BENFORD_SECOND,
    digit_tests,
    second_digit_test,
    second_digits,
)
from baqylau.forensics.outliers import robust_z


def test_second_digits_exact():
    assert second_digits(np.array([5, 10, 19, 123, 1000, 98765, 10**15 + 7 * 10**14])).tolist() == [
        0,
        9,
        2,
        0,
        8,
        7,
    ]
    assert BENFORD_SECOND.sum() == pytest.approx(1.0)


def test_benford_data_passes_and_uniform_data_fails():
    rng = np.random.default_rng(0)
    benford = np.floor(10 ** rng.uniform(1, 6, 50_000)).astype(np.int64)  # log-uniform
    assert second_digit_test(benford)["p_value"] > 0.001
    flat = rng.integers(100, 1000, 50_000)  # second digits uniform: not 2BL
    assert second_digit_test(flat)["p_value"] < 1e-6


def test_last_digit_and_zero_five():
    rng = np.random.default_rng(1)
    honest = rng.integers(100, 5000, 20_000)
    res = digit_tests(honest)
    assert res["last_digit_uniform"]["p_value"] > 0.001
    assert res["zero_or_five"]["p_value"] > 0.001
    invented = honest.copy()
    invented[:3000] = np.round(invented[:3000] / 5) * 5  # made-up round numbers
    res = digit_tests(invented)
    assert res["zero_or_five"]["share"] > 0.3
    assert res["zero_or_five"]["p_value"] < 1e-10
    assert res["last_digit_uniform"]["p_value"] < 1e-10


def test_crowd_impossibility():
    photos = np.array([[5, 1], [0, 0], [3, 9], [2, 2]])
    official = np.array([[4, 10], [100, 3], [50, 8], [9, 9]])
    res = crowd_impossibility(
        photos, official, station_ids=np.array(["a", "b", "c", "d"]), choices=("x", "y")
    )
    assert res["stations_proven_falsified"] == 2
    assert res["by_choice"] == {"x": 1, "y": 1}
    assert res["votes_missing"] == 2
    assert {t["station"] for t in res["top"]} == {"a", "c"}
    res = crowd_impossibility(photos, official, has_official=np.array([False, True, True, True]))
    assert res["stations_proven_falsified"] == 1
    with pytest.raises(ValueError):
        crowd_impossibility(photos, official[:, :1])


def test_robust_z_by_group():
    values = np.array([1.0, 2, 3, 4, 100, 10, 11, 12, 13, 14, np.nan])
    groups = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
    z = robust_z(values, groups, min_group=5)
    assert z[4] > 30 and abs(z[2]) < 1e-12 and np.isnan(z[-1])
    assert z[7] == pytest.approx(0.0)
    assert np.isnan(robust_z(values, groups, min_group=6)[:5]).all()


def test_station_arrays_validation():
    ok = dict(
        registered=[10, 20],
        issued=[5, 6],
        received=[5, 6],
        valid=[5, 6],
        invalid=[0, 0],
        votes=[[3, 2], [4, 2]],
        choices=("a", "b"),
        leader=0,
    )
    a = StationArrays(**ok)
    assert a.votes.dtype == np.int64 and a.n_stations == 2
    for bad in (
        {"issued": [5]},
        {"issued": [5, -1]},
        {"issued": [5.5, 6]},
        {"votes": [[3, 2]]},
        {"choices": ("a",)},
        {"leader": 2},
        {"observed": [1, 0]},
        {"units": {"district": ["x"]}},
    ):
        with pytest.raises(ValueError):
            StationArrays(**{**ok, **bad})
