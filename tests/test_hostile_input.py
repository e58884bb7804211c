"""Hostile input never costs a submission: every malformed, oversized or odd input gets a 4xx with
a message in the sender's language (JSON for the API), and whatever was received is stored as a
rejected envelope (its raw bytes when they cannot be kept as text). No 500 on any of them; and
the ledger still verifies afterwards (on PostgreSQL, jsonb would otherwise change such data under
its hash)."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from baqylau.evidence import ledger
from baqylau.intake.models import Rejection, Submission
from tests.observers.factories import build_world

pytestmark = pytest.mark.django_db

HOSTILE_BODIES = {
    "nul": '{"station": "237", "count": 5, "at": "10:30", "text": "a\\u0000b"}',
    "lone surrogate": '{"station": "237", "count": 5, "at": "10:30", "text": "\\ud800"}',
    "bare NaN": '{"station": "237", "count": NaN, "at": "10:30"}',
    "1e300": '{"station": "237", "count": 1e300, "at": "10:30"}',
    "1e16": '{"station": "237", "count": 10000000000000000, "at": "10:30"}',
    "deep": "[" * 5000 + "]" * 5000,
    "not json": "count=5",
    "a list": "[1, 2]",
}
#: The hostile bodies whose one value is screened: (field, problem code, the text kept).
SCREENED = {
    "nul": ("text", "text_unstorable", "a\\u0000b"),
    "lone surrogate": ("text", "text_unstorable", "\\ud800"),
    "bare NaN": ("count", "number_out_of_range", "NaN"),
    "1e300": ("count", "number_out_of_range", "1e+300"),
    "1e16": ("count", "number_out_of_range", "10000000000000000"),
}


@pytest.fixture
def world(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.SMS_GATEWAY_SECRET = "s3cret"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_world()


def _auth(world, who: str = "obs_a1") -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {world.tokens[who]}", "HTTP_ACCEPT_LANGUAGE": "kk"}


def _assert_kept_and_verified(before: int) -> Submission:
    assert Submission.objects.count() == before + 1
    kept = Submission.objects.order_by("-received_at").first()
    assert Rejection.objects.filter(submission=kept).exists()
    report = ledger.verify()
    assert report.ok, report.problems[:5]
    return kept


@pytest.mark.parametrize("name", list(HOSTILE_BODIES))
def test_reports_api_keeps_every_hostile_body(client, world, name):
    before = Submission.objects.count()
    response = client.post(
        "/api/v1/reports/turnout",
        data=HOSTILE_BODIES[name].encode("utf-8", "surrogatepass"),
        content_type="application/json",
        **_auth(world),
    )
    assert 400 <= response.status_code < 500, response.content[:300]
    body = response.json()
    assert body["status"] == "rejected" and body["message"]
    assert set(body["messages"]) == {"kk", "ru", "en"}
    kept = _assert_kept_and_verified(before)
    if name in SCREENED:  # the value no database keeps exactly is kept as its JSON text
        field, code, text = SCREENED[name]
        assert kept.payload["data"][field] == text
        assert {"path": f"data.{field}", "code": code} in kept.payload["refused"]
        assert Rejection.objects.filter(submission=kept, code=code).exists()
        assert field in body["messages"]["en"]


@pytest.mark.parametrize(
    "body", [b'{"text": "a\x00b", "count": 5}', b'{"text": "\xed\xa0\x80", "count": 5}']
)
def test_bytes_no_database_keeps_as_text_are_kept_as_bytes(client, world, body):
    """A raw NUL byte, or a surrogate encoded in the bytes themselves."""
    before = Submission.objects.count()
    response = client.post(
        "/api/v1/reports/turnout", data=body, content_type="application/json", **_auth(world)
    )
    assert response.status_code == 400
    kept = _assert_kept_and_verified(before)
    data = kept.payload["data"]
    if isinstance(data, str):  # UTF-8, but no JSON: the text, its NUL kept escaped
        assert json.loads(f'"{data}"').encode("utf-8") == body
        assert kept.payload["refused"] == [{"path": "data", "code": "text_unstorable"}]
    else:  # not UTF-8: the bytes
        assert data["unreadable"]["sha256"] == hashlib.sha256(body).hexdigest()
        assert base64.b64decode(data["unreadable"]["base64"]) == body


def test_a_language_that_is_not_a_string_is_ignored(client, world):
    body = {"station": "237", "count": 5, "at": "10:30", "lang": {"x": 1}}
    response = client.post(
        "/api/v1/reports/turnout", data=body, content_type="application/json", **_auth(world)
    )
    assert response.status_code == 201
    assert response.json()["message"].startswith("Алынды")  # Accept-Language: kk


def test_a_body_that_is_not_utf8_is_kept_as_bytes(client, world):
    before = Submission.objects.count()
    payload = b'{"station": "237", "count": "\xff\xfe"}'
    response = client.post(
        "/api/v1/reports/turnout", data=payload, content_type="application/json", **_auth(world)
    )
    assert response.status_code == 400
    kept = _assert_kept_and_verified(before)
    raw = kept.payload["data"]["unreadable"]
    assert base64.b64decode(raw["base64"]) == payload
    assert raw["sha256"] == hashlib.sha256(payload).hexdigest()


@pytest.mark.parametrize("name", ["nul", "lone surrogate", "bare NaN", "1e300"])
def test_protocols_api_keeps_every_hostile_body(client, world, name):
    before = Submission.objects.count()
    response = client.post(
        "/api/v1/protocols",
        data={
            "data": HOSTILE_BODIES[name]
            .encode("utf-8", "surrogatepass")
            .decode("utf-8", "surrogatepass")
        },
        **_auth(world),
    )
    assert response.status_code == 400, response.content[:300]
    assert response.json()["status"] == "rejected"
    _assert_kept_and_verified(before)


def test_protocol_figures_beyond_any_station_are_refused_not_crashed(client, world):
    before = Submission.objects.count()
    data = {
        "election": world.election.code,
        "station": "237",
        "lines": {"L1": 2**31 + 5, "L2": 10},
        "votes": {"cand-a": 10**12},
    }
    response = client.post("/api/v1/protocols", data={"data": json.dumps(data)}, **_auth(world))
    assert response.status_code == 422
    codes = {p["code"] for p in response.json()["problems"]}
    assert codes == {"too_large"}
    _assert_kept_and_verified(before)


def test_listing_reports_with_odd_offsets_is_not_an_error(client, world):
    for offset in (-5, 10**12):
        response = client.get(f"/api/v1/reports?kind=incident&offset={offset}", **_auth(world))
        assert response.status_code == 200
    response = client.get("/api/v1/reports?kind=incident&offset=abc", **_auth(world))
    assert response.status_code == 400


def test_observer_app_schema_needs_no_login(client, world):
    response = client.get("/ru/observe/api/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"]


@pytest.mark.parametrize("text", ["T 237 10\x0030 5", "T 237 1030 \ud800"])
def test_sms_with_characters_no_database_keeps(client, world, text):
    before = Submission.objects.count()
    response = client.post(
        "/sms/inbound/",
        data={
            "from": "+77011234567",
            "text": text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
            if "\ud800" in text
            else text,
        },
        HTTP_X_BAQYLAU_SECRET="s3cret",
    )
    assert response.status_code < 500
    _assert_kept_and_verified(before)
