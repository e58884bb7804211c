"""Loading a simulated election into the database, and the `simulate` command."""

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from baqylau.elections.models import (
    AdminUnit,
    Choice,
    Contest,
    Election,
    OfficialLine,
    OfficialResult,
    OfficialVote,
)
from baqylau.simulate.engine import LINES, SimulatedElection, SimulationConfig, simulate
from baqylau.simulate.loader import ElectionExists, load_simulation
from baqylau.simulate.models import Simulation

pytestmark = pytest.mark.django_db


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture(scope="module")
def small() -> SimulatedElection:
    return simulate(SimulationConfig(n_stations=500, seed=21))


def _figures(result: OfficialResult) -> tuple[dict[str, int], dict[str, int]]:
    lines = dict(result.lines.values_list("line", "value"))
    votes = dict(result.votes.values_list("choice__code", "votes"))
    return lines, votes


def test_loader_writes_the_election_tree_and_official_results(small, data_dir):
    election = load_simulation(small, election_code="sim-test")
    assert election.is_synthetic and election.kind == Election.Kind.PRESIDENTIAL
    assert election.country == "KZ"
    contest = Contest.objects.get(election=election)
    assert (contest.code, contest.protocol_form, contest.majority_threshold) == (
        "president",
        "kz_president",
        50,
    )
    codes = list(Choice.objects.filter(contest=contest).values_list("code", flat=True))
    assert codes == small.choice_code.tolist()

    units = AdminUnit.objects.filter(election=election)
    by_kind = {k: units.filter(kind=k).count() for k in AdminUnit.Kind.values}
    assert by_kind == {
        "country": 1,
        "region": small.n_regions,
        "district": small.n_districts,
        "subdistrict": 0,
        "station": 500,
    }
    stations = units.filter(kind=AdminUnit.Kind.STATION).order_by("pk")
    assert sorted(stations.values_list("path", flat=True)) == sorted(small.station_paths().tolist())
    for unit in units.exclude(kind="country").select_related("parent")[:50]:
        assert unit.path == f"{unit.parent.path}/{unit.code}"
        assert unit.depth == unit.parent.depth + 1 == unit.path.count("/")
    registered = list(stations.values_list("registered_voters", flat=True))
    assert registered == small.registered.tolist()
    assert stations.filter(is_abroad=True).count() == int(small.station_abroad.sum())
    assert stations.exclude(closed="").count() == int((small.station_closed > 0).sum())

    n_results = 1 + small.n_regions + small.n_districts + 500
    assert OfficialResult.objects.filter(contest=contest).count() == n_results
    assert OfficialLine.objects.filter(result__contest=contest).count() == n_results * len(LINES)
    assert OfficialVote.objects.filter(result__contest=contest).count() == n_results * 7

    sim_row = Simulation.objects.get(election=election)
    assert sim_row.seed == 21 and sim_row.config["n_stations"] == 500
    assert sim_row.ground_truth == "simulations/sim-test.npz"
    assert sim_row.ground_truth_path == data_dir / "simulations" / "sim-test.npz"
    assert sim_row.load_ground_truth().equals(small)
    assert sim_row.summary["stations"] == 500


def test_station_figures_are_the_official_version(small, data_dir):
    election = load_simulation(small, election_code="sim-test")
    station = (
        AdminUnit.objects.filter(election=election, kind="station").order_by("pk")[17:18].get()
    )
    lines, votes = _figures(OfficialResult.objects.get(unit=station))
    i = small.station_paths().tolist().index(station.path)
    assert lines == dict(zip(LINES, small.official_lines[i].tolist(), strict=True))
    assert votes == dict(
        zip(small.choice_code.tolist(), small.official_votes[i].tolist(), strict=True)
    )


def _station_sums(election, prefix: str) -> tuple[dict[str, int], dict[str, int]]:
    lines: dict[str, int] = {}
    votes: dict[str, int] = {}
    for line, value in OfficialLine.objects.filter(
        result__unit__election=election,
        result__unit__kind="station",
        result__unit__path__startswith=prefix,
    ).values_list("line", "value"):
        lines[line] = lines.get(line, 0) + value
    for code, value in OfficialVote.objects.filter(
        result__unit__election=election,
        result__unit__kind="station",
        result__unit__path__startswith=prefix,
    ).values_list("choice__code", "votes"):
        votes[code] = votes.get(code, 0) + value
    return lines, votes


def test_region_and_country_totals_equal_the_sums_of_stations(small, data_dir):
    election = load_simulation(small, election_code="sim-test")
    upper = OfficialResult.objects.filter(unit__election=election).exclude(unit__kind="station")
    for result in upper.select_related("unit"):
        prefix = result.unit.path + ("/" if result.unit.kind != "country" else "")
        assert _figures(result) == _station_sums(election, prefix), result.unit.path
    country = upper.get(unit__kind="country")
    lines, votes = _figures(country)
    assert lines["L1"] == int(small.registered.sum())
    assert votes["tokayev"] == int(small.official_votes[:, small.leader].sum())


def test_replacing_must_be_explicit(small, data_dir):
    load_simulation(small, election_code="sim-test")
    with pytest.raises(ElectionExists):
        load_simulation(small, election_code="sim-test")
    other = simulate(SimulationConfig(n_stations=300, seed=22))
    election = load_simulation(other, election_code="sim-test", replace=True)
    assert Election.objects.filter(code="sim-test").count() == 1
    assert AdminUnit.objects.filter(election=election, kind="station").count() == 300
    assert AdminUnit.objects.count() == AdminUnit.objects.filter(election=election).count()
    assert OfficialResult.objects.exclude(contest__election=election).count() == 0
    assert Simulation.objects.get().seed == 22
    assert Simulation.objects.get().load_ground_truth().equals(other)


def _app() -> typer.Typer:
    from baqylau.simulate import cli

    app = typer.Typer()
    cli.register(app)

    @app.command()
    def other() -> None:  # a second command keeps `simulate` a named sub-command
        pass

    return app


def test_cli_simulates_and_loads(data_dir):
    result = CliRunner().invoke(
        _app(), ["simulate", "--stations", "400", "--seed", "3", "--election", "sim-cli"]
    )
    assert result.exit_code == 0, result.output
    assert "tokayev share" in result.output and "stuffing" in result.output
    election = Election.objects.get(code="sim-cli")
    assert AdminUnit.objects.filter(election=election, kind="station").count() == 400
    assert (data_dir / "simulations" / "sim-cli.npz").exists()
    again = CliRunner().invoke(_app(), ["simulate", "--stations", "400", "--election", "sim-cli"])
    assert again.exit_code == 1 and "--replace" in again.output


def test_cli_without_loading_writes_the_file(data_dir, tmp_path):
    out = tmp_path / "out.npz"
    result = CliRunner().invoke(
        _app(),
        ["simulate", "--stations", "300", "--no-load", "--out", str(out), "--stuffing", "0"],
    )
    assert result.exit_code == 0, result.output
    assert not Election.objects.exists()
    sim = SimulatedElection.load(out)
    assert sim.n_stations == 300 and not sim.stuffing.any()
    assert np.array_equal(sim.true_lines, simulate(sim.config).true_lines)
