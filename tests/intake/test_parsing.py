"""The parts every kind of submission shares (`intake.parsing`): counts and polling stations."""

from __future__ import annotations

import pytest

from baqylau.elections.models import AdminUnit
from baqylau.intake.outcome import Invalid
from baqylau.intake.parsing import MAX_COUNT, resolve_station, station_code, to_count

from .factories import station


@pytest.mark.parametrize(
    ("value", "number"),
    [(12994, 12994), ("12 994", 12994), ("1\u00a0896", 1896), (3.0, 3), (" 7 ", 7), ("+5", 5)],
)
def test_counts_are_read_as_people_write_them(value, number):
    assert to_count(value, "L1") == (number, None)


@pytest.mark.parametrize("value", [None, "", "   "])
def test_an_empty_count_is_no_number_and_no_problem(value):
    assert to_count(value, "L1") == (None, None)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("много", "not_a_number"),
        (3.5, "not_a_number"),
        (True, "not_a_number"),
        ("١٢", "not_a_number"),  # digits, but not ASCII ones
        (-3, "negative"),
        ("-3", "negative"),
        (MAX_COUNT + 1, "too_large"),
    ],
)
def test_a_count_that_cannot_be_one_is_a_problem(value, code):
    number, problem = to_count(value, "L7")
    assert number is None
    assert (problem.code, problem.field) == (code, "L7")
    assert set(problem.as_dict()["messages"]) == {"kk", "ru", "en"}


def test_station_numbers_as_people_write_them():
    assert station_code("№ 237") == station_code("#237") == station_code(" 237 ") == "237"
    assert station_code(None) == ""


@pytest.fixture
def repeated(election):
    """A second station No. 237, in West Kazakhstan (a number another district uses)."""
    district = AdminUnit.objects.get(election=election, code="URALSK")
    return AdminUnit.objects.create(
        election=election,
        parent=district,
        kind="station",
        depth=3,
        code="237",
        path="KZ/ZKO/URALSK/237",
        registered_voters=1500,
    )


def problem_of(election, data, **kwargs):
    with pytest.raises(Invalid) as caught:
        resolve_station(election, data, **kwargs)
    [problem] = caught.value.problems
    return problem


def test_a_station_by_id_path_or_number(election):
    semey = station(election)
    assert resolve_station(election, {"station_id": semey.pk}) == semey
    assert resolve_station(election, {"station_id": str(semey.pk)}) == semey
    assert resolve_station(election, {"station_path": "KZ/VKO/SEMEY/237"}) == semey
    assert resolve_station(election, {"station": "№ 237"}) == semey
    assert resolve_station(election, {"station": "0237"}) == semey


def test_an_unknown_or_missing_station_is_a_problem(election):
    assert problem_of(election, {"station": "9999"}).code == "unknown_station"
    assert problem_of(election, {"station_id": "abc"}).code == "unknown_station"
    assert problem_of(election, {"station_id": True}).code == "unknown_station"
    assert problem_of(election, {"station_id": 10**20}).code == "unknown_station"
    assert problem_of(election, {}).code == "station_required"
    problem = problem_of(election, {"station_path": "KZ/NOWHERE/1"})
    assert (problem.code, problem.field) == ("unknown_station", "station_path")


def test_a_repeated_number_is_ambiguous_without_placements(election, repeated):
    problem = problem_of(election, {"station": "237"})
    assert (problem.code, problem.params["station"]) == ("ambiguous_station", "237")
    # the id and the path still name one station
    assert resolve_station(election, {"station_id": repeated.pk}) == repeated
    assert resolve_station(election, {"station_path": repeated.path}) == repeated


def test_a_repeated_number_is_settled_by_the_observers_placement(election, repeated):
    semey = AdminUnit.objects.get(election=election, path="KZ/VKO/SEMEY/237")
    assert resolve_station(election, {"station": "237"}, placed_at={repeated.pk}) == repeated
    assert resolve_station(election, {"station": "237"}, placed_at={semey.pk}) == semey


def test_an_observer_is_refused_a_station_they_are_not_placed_at(election, repeated):
    uralsk_441 = station(election, "441")
    problem = problem_of(election, {"station": "441"}, placed_at={repeated.pk})
    assert (problem.code, problem.params["station"]) == ("not_assigned", "441")
    assert "441" in problem.message("en")
    problem = problem_of(election, {"station_id": uralsk_441.pk}, placed_at=set())
    assert (problem.code, problem.field) == ("not_assigned", "station_id")
    # a number they share with their own station is settled, never refused
    assert resolve_station(election, {"station": "237"}, placed_at={repeated.pk}) == repeated
