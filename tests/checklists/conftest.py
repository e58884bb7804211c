import pytest

from baqylau.reports.forms import load_form
from baqylau.reports.services import submit_report
from tests.observers.factories import build_world


@pytest.fixture
def world(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_world()


def send(world, observer: str, station: str, **changes):
    """An opening checklist through the report intake: every answer yes, but `changes`."""
    answers = {q["code"]: True for q in load_form("opening")["questions"]}
    answers.update(changes)
    outcome = submit_report(
        kind="checklist",
        data={"station": station, "form": "opening", "answers": answers},
        observer=world.observers[observer],
        channel="web",
    )
    assert outcome.ok, outcome.problems
    return outcome.submission


@pytest.fixture
def reports(world):
    """237: one complete report (A1). 238: A2 says the boxes were sealed but not shown empty (a
    quality rule flags it), C1 says they were shown empty: the station's reports disagree.
    300: no report."""
    return {
        "a1": send(world, "A1", "237"),
        "a2": send(world, "A2", "238", boxes_empty_shown=False),
        "c1": send(world, "C1", "238"),
    }
