"""The `import`, `export` and `totals` commands, run through typer's test runner."""

from __future__ import annotations

import copy
import json

import pytest
import typer
from typer.testing import CliRunner

from baqylau.elections import cli as elections_cli
from baqylau.elections.models import AdminUnit

from .helpers import MAPPING, ROWS, write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def app():
    app = typer.Typer()
    elections_cli.register(app)
    return app


@pytest.fixture
def mapping_file(tmp_path):
    import yaml

    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(MAPPING, allow_unicode=True), encoding="utf-8")
    return path


def test_import_export_totals(app, tmp_path, mapping_file):
    runner = CliRunner()
    data = write_csv(tmp_path / "t.csv")
    result = runner.invoke(app, ["import", "table", str(data), "--mapping", str(mapping_file)])
    assert result.exit_code == 0, result.output
    assert "4 rows" in result.output
    again = runner.invoke(app, ["import", "table", str(data), "-m", str(mapping_file)])
    assert again.exit_code == 0 and "0 created, 0 updated" in again.output

    out = tmp_path / "stations.json"
    result = runner.invoke(
        app, ["export", "stations", "--election", "t2024", "--format", "json", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert len(json.loads(out.read_text(encoding="utf-8"))) == 4
    result = runner.invoke(
        app, ["export", "results", "--election", "t2024", "--level", "region", "-f", "csv"]
    )
    assert result.exit_code == 0 and "KZ/01,01,region" in result.output

    result = runner.invoke(app, ["totals", "--election", "t2024"])
    assert result.exit_code == 0, result.output
    assert "3,050" in result.output and "Akmola" in result.output


def test_bad_file_prints_every_problem_and_exits_1(app, tmp_path, mapping_file):
    rows = copy.deepcopy(ROWS)
    rows[0][10] = "-1"
    rows[2][12] = "abc"
    data = write_csv(tmp_path / "bad.csv", rows)
    result = CliRunner().invoke(app, ["import", "table", str(data), "-m", str(mapping_file)])
    assert result.exit_code == 1
    assert "negative figure: -1" in result.output and "not a number: 'abc'" in result.output
    assert "nothing was written" in result.output
    assert not AdminUnit.objects.exists()


def test_russia_needs_a_year_in_the_name(app, tmp_path):
    path = tmp_path / "russia.csv"
    path.write_text("x\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["import", "russia", str(path)])
    assert result.exit_code == 2 and "No shipped mapping" in result.output


def test_unknown_election(app):
    result = CliRunner().invoke(app, ["export", "stations", "--election", "nope"])
    assert result.exit_code == 2
