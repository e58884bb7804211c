"""An unknown figure is never 0 in the forensics: a station whose official result lacks a line
(or the leader's votes) is left out of the station arrays and counted as left out; one lacking
another choice's votes is kept, and only that choice's figures leave it out. The report, the
command line and the public page say how many stations the results rest on and how many were
left out. The Albania 2013 table imported as published (two `NA` cells) still gives the
Election Forensics Toolkit's published digit table."""

from __future__ import annotations

import datetime
import json

import numpy as np
import pytest

from tests.conftest import shared_file

pytestmark = pytest.mark.django_db


def _unit(election, parent, kind, code, depth):
    from baqylau.elections.models import AdminUnit

    path = f"{parent.path}/{code}" if parent else code
    return AdminUnit.objects.create(
        election=election, parent=parent, kind=kind, code=code, depth=depth, path=path
    )


#: station: (L1 registered, L3 issued, L5 took part, L7 invalid, votes for a, b, c)
FIGURES = [
    (1000, 600, 590, 10, 400, 147, 33),
    (800, 500, 500, 5, 100, 298, 97),
    (1200, 700, 695, 15, 420, 200, 60),
    (900, 450, 450, 10, 250, 120, 70),
    (1100, 800, 790, 20, 500, 210, 60),
    (700, 420, 415, 5, 210, 159, 41),
]


@pytest.fixture
def kz_election():
    """Six stations of a kz form in two regions; then, as an import with `NA` cells leaves it:
    station 3 has no registered line (L1), station 4 no vote for the leader (a), station 5 no
    vote for c."""
    from baqylau.elections.models import (
        Choice,
        Contest,
        Election,
        OfficialLine,
        OfficialResult,
        OfficialVote,
    )

    e = Election.objects.create(
        code="t-na", date=datetime.date(2019, 6, 9), kind="presidential", country="KZ"
    )
    c = Contest.objects.create(
        election=e, code="p", kind="presidential", protocol_form="kz_president"
    )
    choices = [Choice.objects.create(contest=c, code=x, number=i) for i, x in enumerate("abc")]
    kz = _unit(e, None, "country", "KZ", 0)
    districts = [
        _unit(e, _unit(e, kz, "region", r, 1), "district", f"{r}01", 2) for r in ("01", "02")
    ]
    for i, (l1, l3, l5, l7, *votes) in enumerate(FIGURES, start=1):
        st = _unit(e, districts[i % 2], "station", str(i), 3)
        res = OfficialResult.objects.create(contest=c, unit=st)
        for line, value in (("L1", l1), ("L3", l3), ("L5", l5), ("L7", l7)):
            if not (i == 3 and line == "L1"):
                OfficialLine.objects.create(result=res, line=line, value=value)
        for j, (choice, v) in enumerate(zip(choices, votes, strict=True)):
            if not (i == 4 and j == 0) and not (i == 5 and j == 2):
                OfficialVote.objects.create(result=res, choice=choice, votes=v)
    return e


def test_a_station_lacking_a_figure_is_left_out_not_zero(kz_election):
    from baqylau.forensics.digits import digit_table
    from baqylau.forensics.selectors import station_arrays
    from baqylau.forensics.shpilkin import shpilkin_estimate

    arrays = station_arrays("t-na", leader="a")
    # stations 3 (no registered) and 4 (no vote for the leader) are left out, not given 0
    assert [p.rsplit("/", 1)[1] for p in arrays.station_ids] == ["1", "2", "5", "6"]
    assert (arrays.left_out, arrays.missing) == (2, {"registered": 1, "leader_votes": 1})
    assert arrays.registered.tolist() == [1000, 800, 1100, 700]
    # station 5 is kept; c's votes and the valid count (the sum of the choices) are unknown there
    assert arrays.choice_known(2).tolist() == [True, True, False, True]
    assert arrays.choice_known(0).all() and arrays.choice_known(1).all()
    assert arrays.is_known("valid").tolist() == [True, True, False, True]
    assert arrays.is_known("invalid").all()  # L7 is a line of its own
    summary = arrays.summary()
    assert (summary["stations"], summary["left_out"], summary["unknown_votes"]) == (4, 2, 1)
    assert summary["missing"] == {"registered": 1, "leader_votes": 1}
    # the protocol checks are made only where their figures are known
    assert arrays.consistency()["sum(votes) != valid"] == 0

    table = digit_table(arrays, level="region", choices=["all"], draws=20)
    rows = {(r["variable"], r["unit"]): r for r in table["rows"]}
    assert rows[("turnout", "")]["stations"] == rows[("a", "")]["stations"] == 4
    assert rows[("c", "")]["stations"] == 3  # c rests on the stations where its votes are known
    # c's votes where known are 33, 97 and 41: none ends in 0 or 5 (an unknown counted as 0
    # would make it one in four)
    assert rows[("c", "")]["c05"]["value"] == 0
    assert rows[("c", "")]["last_digit"]["value"] == pytest.approx((3 + 7 + 1) / 3)
    # Shpilkin needs the other choices' votes (valid minus the leader's): station 5 is left out
    assert shpilkin_estimate(arrays)["stations"] == 3

    # the leader by votes is chosen among the known figures; a leader unknown nowhere is kept
    by_b = station_arrays("t-na", leader="b")
    assert by_b.n_stations == 5 and by_b.missing == {"registered": 1}


def test_no_station_with_every_figure_is_an_error(kz_election):
    from baqylau.elections.models import OfficialLine
    from baqylau.forensics.selectors import station_arrays

    OfficialLine.objects.filter(result__contest__election=kz_election, line="L3").delete()
    with pytest.raises(ValueError, match="no station .* has every figure"):
        station_arrays("t-na")
    from typer.testing import CliRunner

    from baqylau.cli import app

    result = CliRunner().invoke(app, ["forensics", "--election", "t-na", "--no-figures"])
    assert result.exit_code == 2 and "has every figure" in result.output, result.output


@pytest.fixture
def sim_with_gaps(settings, tmp_path):
    """A simulated election (the dashboard's fixture) whose official results lack, at 7
    stations, the registered line, and at 4 others the votes of a choice that is not the
    leader."""
    from django.db.models import Sum

    from baqylau.elections.models import OfficialLine, OfficialResult, OfficialVote
    from baqylau.simulate.engine import SimulationConfig, simulate
    from baqylau.simulate.loader import load_simulation

    settings.DATA_DIR = tmp_path
    sim = simulate(SimulationConfig(seed=7, n_stations=600))
    election = load_simulation(sim, election_code="sim-na")
    results = list(
        OfficialResult.objects.filter(contest__election=election, unit__kind="station").order_by(
            "id"
        )
    )
    OfficialLine.objects.filter(result__in=results[10:17], line="L1").delete()
    votes = OfficialVote.objects.filter(result__in=results)
    totals = votes.values("choice__code").annotate(total=Sum("votes")).order_by("total")
    smallest = totals[0]["choice__code"]  # never the leader
    votes.filter(result__in=results[40:44], choice__code=smallest).delete()
    return election


def test_report_and_command_say_how_many_stations_were_left_out(sim_with_gaps, tmp_path):
    from typer.testing import CliRunner

    from baqylau.cli import app

    out = tmp_path / "report"
    result = CliRunner().invoke(
        app,
        [
            "forensics", "--election", "sim-na", "--out", str(out), "--no-figures",
            "--draws", "20", "--digit-draws", "20", "--digit-choice", "all",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    summary = report["summary"]
    assert (summary["stations"], summary["left_out"]) == (593, 7)
    assert summary["missing"] == {"registered": 7} and summary["unknown_votes"] == 4
    assert report["shpilkin"]["stations"] <= 593 - 4
    whole = {
        r["variable"]: r["stations"] for r in report["digits"]["table"]["rows"] if not r["unit"]
    }
    assert whole["turnout"] == 593 and sorted(whole.values())[0] == 589
    text = " ".join(result.output.split())
    assert "593 stations; 7 left out for a missing figure (registered unknown at 7)" in text
    assert "4 kept with a choice's votes unknown" in text


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ["a figure the methods need is missing", ": 7.", "Registered voters — 7"]),
        ("ru", ["нет нужного методам показателя", ": 7.", "Зарегистрированные избиратели — 7"]),
        ("kk", ["әдістерге қажет көрсеткіш жоқ", ": 7.", "Тізімге енгізілген сайлаушылар — 7"]),
    ],
)
def test_forensics_page_says_how_many_stations_were_left_out(client, sim_with_gaps, lang, words):
    from baqylau.forensics.services import publish_forensic_report

    publish_forensic_report(sim_with_gaps, draws=20, seed=1, digit_draws=20)
    html = client.get(f"/{lang}/e/sim-na/forensics/").content.decode()
    text = " ".join(html.split())
    assert "593" in text
    for word in words:
        assert word in text, word


@pytest.mark.realdata
def test_albania_imported_with_na_cells_gives_the_published_table(shared_data):
    """The Albania 2013 table imported as published: its two `NA` party cells are no figure,
    so the two stations are kept (turnout is known there) and only those parties' rows leave
    them out; the turnout rows are still the Toolkit's."""
    from baqylau.elections.importing import load_mapping, run_import
    from baqylau.forensics.digits import digit_table
    from baqylau.forensics.selectors import station_arrays
    from tests.forensics.test_digit_table import PUBLISHED, assert_as_published

    path = shared_file(shared_data, "albania2013/albania2013_stations.csv")
    assert run_import(path, load_mapping("al2013")).ok
    arrays = station_arrays("al2013")
    assert (arrays.n_stations, arrays.left_out, arrays.missing) == (5_508, 0, {})
    assert arrays.summary()["unknown_votes"] == 2
    table = digit_table(
        arrays, level="region", choices=["c035", "c050", "c067"], draws=2000, seed=5
    )
    names = {code.rsplit("/", 1)[1]: code for code in np.unique(arrays.units["region"])}
    for prefecture in PUBLISHED:
        unit = names[prefecture.lower()]
        (row,) = [r for r in table["rows"] if r["variable"] == "turnout" and r["unit"] == unit]
        assert_as_published(row, prefecture)
    whole = {r["variable"]: r["stations"] for r in table["rows"] if not r["unit"]}
    assert whole == {"turnout": 5_508, "c035": 5_508, "c050": 5_508, "c067": 5_507}
