"""Hostile numbers at the API never break the ledger.

PostgreSQL's jsonb keeps a number's decimal value but not its text (``1e16`` comes back as
``10000000000000000``, ``-0.0`` as ``0.0``), so a hash over the text as received would no longer
match the stored payload. The ledger hashes the decimal value (`ledger.canonical_json`), and
numbers out of range or not finite are refused at the boundary: the envelope is stored, rejected,
with the number kept as text. Run on PostgreSQL too (the suite's PG pass runs every DB test).
"""

from __future__ import annotations

import json
import math

import pytest

from baqylau.evidence import ledger
from baqylau.intake.models import Rejection, Submission
from baqylau.intake.parsing import screen_payload
from baqylau.intake.services import new_submission
from tests.observers.factories import build_world
from tests.reports.test_api import post

pytestmark = pytest.mark.django_db

#: JSON texts of numbers, as a client may send them.
HOSTILE = ["1e16", "1e300", "-1e300", "123456789012345678901234567890", "NaN", "Infinity",
           "-Infinity", "9007199254740992", "1E+400"]  # fmt: skip
ODD_BUT_IN_RANGE = ["-0.0", "1.5", "0.1", "1e-7", "1e-400", "9007199254740991", "1e15"]


@pytest.fixture
def world(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_world()


def bodies(number: str) -> list[tuple[str, str]]:
    """(report kind, raw JSON body) with the number in a figure, in the station, nested deep."""
    return [
        ("turnout", f'{{"station": "237", "at": "10:30", "count": {number}}}'),
        ("turnout", f'{{"station": {number}, "at": "10:30", "count": 5}}'),
        ("note", f'{{"station": "237", "text": "x", "extra": {{"deep": [1, {{"n": {number}}}]}}}}'),
        ("checkin", f'{{"station": "237", "status": "admitted", "at": {number}}}'),
    ]


def test_hostile_numbers_are_refused_at_the_boundary_and_verify_passes(client, world):
    before = Submission.objects.count()
    sent = 0
    for number in HOSTILE:
        for kind, body in bodies(number):
            response = post(client, world, kind, body, HTTP_ACCEPT_LANGUAGE="kk")
            sent += 1
            assert 400 <= response.status_code < 500, (number, body, response.content)
            answer = response.json()
            codes = {p["code"] for p in answer.get("problems", [])}
            assert "number_out_of_range" in codes, (number, body, answer)
            assert answer["language"] == "kk"
            problem = next(p for p in answer["problems"] if p["code"] == "number_out_of_range")
            assert set(problem["messages"]) == {"kk", "ru", "en"}
            assert "9007199254740991" in problem["messages"]["en"]
    for number in ODD_BUT_IN_RANGE:
        for kind, body in bodies(number):
            response = post(client, world, kind, body)
            sent += 1
            assert response.status_code < 500, (number, body, response.content)
    # every request left an envelope; the refused ones are rejected for their numbers
    assert Submission.objects.count() == before + sent
    refused = Rejection.objects.filter(code="number_out_of_range")
    assert refused.count() == len(HOSTILE) * len(bodies("1"))
    stored = refused.first().submission.payload
    assert stored["refused"][0]["code"] == "number_out_of_range"

    report = ledger.verify()
    assert report.ok, [p.message for p in report.problems]


def test_protocol_figures_out_of_range_are_refused_and_verify_passes(client, world):
    for number in ["1e300", "NaN", "4294967296e10", "-0.0", "1.5", "2147483648"]:
        body = (
            f'{{"election": "kz-test", "station": "237", "lines": {{"L1": {number}}}, '
            f'"votes": {{"cand-a": {number}}}}}'
        )
        response = client.post(
            "/api/v1/protocols",
            data=body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {world.tokens['obs_a1']}",
        )
        assert response.status_code < 500, (number, response.content)
    assert ledger.verify().ok


@pytest.mark.parametrize("text", HOSTILE + ODD_BUT_IN_RANGE)
def test_a_stored_payload_hashes_the_same_after_the_database(world, text):
    """Whatever the database does to a number's text, the canonical hash stays (the point of
    `canonical_json`): the envelope is written and read back, and its entry still matches."""
    value = json.loads(text)
    submission = new_submission(
        kind="note", channel="api", payload={"data": {"n": value}}, sender="s"
    )
    from baqylau.intake import writer

    writer.write_batch([writer.Plan(submission)])
    stored = Submission.objects.get(pk=submission.pk)
    assert ledger.content_hash(stored.payload) == submission.payload_sha256
    refused = not (isinstance(value, int) or math.isfinite(value)) or abs(value) > 2**53 - 1
    assert bool(submission.refused_values) == refused
    assert ledger.verify().ok


def test_screen_payload_keeps_refused_values_as_text():
    screened, problems = screen_payload(
        {"a": float("nan"), "b": [1, 2**80], "c": "ok\x00no", "d": 1.5, "e": "\ud800"}
    )
    assert screened["a"] == "NaN" and screened["b"] == [1, str(2**80)]
    assert screened["c"] == "ok\\u0000no" and screened["d"] == 1.5
    assert screened["e"] == "\\ud800"
    assert [p.code for p in problems] == [
        "number_out_of_range",
        "number_out_of_range",
        "text_unstorable",
        "text_unstorable",
    ]
    assert [r["path"] for r in screened["refused"]] == ["a", "b[1]", "c", "e"]
