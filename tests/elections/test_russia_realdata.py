"""The Russian CEC file of 2018: 97,699 stations, imported in one go and idempotent."""

from __future__ import annotations

import pytest

from baqylau.elections.importing import load_mapping, run_import
from baqylau.elections.models import Election, OfficialLine, OfficialVote
from baqylau.elections.selectors import election_totals
from tests.conftest import shared_file

pytestmark = [pytest.mark.slow, pytest.mark.realdata, pytest.mark.django_db]


def test_ru2018_import_totals_and_idempotence(shared_data):
    path = shared_file(shared_data, "russia/ru2018.csv.zip")
    report = run_import(path, load_mapping("ru2018"))
    assert report.ok, report.problems[:20]
    assert report.rows == 97_699
    election = Election.objects.get(code="ru2018")
    assert election_totals(election) == {"stations": 97_699, "registered": 109_008_428}
    assert OfficialLine.objects.filter(line="L1").count() == 97_699
    assert OfficialVote.objects.count() == 97_699 * 8
    putin = OfficialVote.objects.filter(choice__code="путин-владимир-владимирович")
    assert putin.first().choice.number == 4

    again = run_import(path, load_mapping("ru2018"))
    assert again.ok and (again.counts.created, again.counts.updated) == (0, 0)
    assert election.import_runs.count() == 2


def test_ru2021_remote_voting_rows_are_unique_units(shared_data):
    """2021 has 18 remote e-voting rows with an empty `uik`: their code comes from `oik`."""
    from baqylau.elections.importing import validate_file

    path = shared_file(shared_data, "russia/ru2021.csv.zip")
    rows, problems = validate_file(path, load_mapping("ru2021"))
    assert rows == 96_325 and problems.total == 0
