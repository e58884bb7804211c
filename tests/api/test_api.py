"""The HTTP API: token auth, protocol submission with the validation result in the response,
station status, the count and comparisons, the OpenAPI schema."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile

from baqylau.accounts.models import ApiToken, hash_token
from baqylau.accounts.services import api_token_create, api_token_revoke
from baqylau.elections.models import AdminUnit
from baqylau.intake.models import Rejection, Submission
from baqylau.protocols.models import ProtocolCopy
from baqylau.tally.models import Estimate, Finding, UnitCount
from tests.intake.factories import (
    CLEAN_237,
    HIGH_TURNOUT_237,
    SEED_237,
    payload,
    station,
    two_pages,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/protocols"


@pytest.fixture
def token(db):
    user = User.objects.create_user("observer-org")
    _, key = api_token_create(user=user, name="test")
    return key


def auth(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def files(photos=None):
    photos = two_pages() if photos is None else photos
    return [
        SimpleUploadedFile(f"page{i + 1}", content, content_type=ctype)
        for i, (content, ctype) in enumerate(photos)
    ]


def post(client, key, data, photos=None, **extra):
    body = {"data": data if isinstance(data, str) else json.dumps(data), "photos": files(photos)}
    body.update(extra.pop("fields", {}))
    return client.post(URL, body, **auth(key), **extra)


def test_token_is_stored_only_as_a_hash(token):
    stored = ApiToken.objects.get()
    assert stored.key_hash == hash_token(token) and token not in (stored.key_hash, stored.prefix)
    assert stored.prefix == token[:8]


def test_accepted_protocol_is_201_with_a_receipt(client, token, election):
    response = post(client, token, payload(election, CLEAN_237))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "accepted" and body["findings"] == []
    copy = ProtocolCopy.objects.get(pk=body["receipt"])
    assert str(copy.submission_id) == body["submission"]
    assert copy.submission.channel == "api" and copy.submission.user.username == "observer-org"
    assert ApiToken.objects.get().last_used_at is not None


def test_review_is_202(client, token, election):
    response = post(client, token, payload(election, HIGH_TURNOUT_237), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "review"
    assert body["findings"][0]["code"] == "turnout_above_threshold"
    assert body["findings"][0]["message"].startswith("Turnout of 73.7%")


@pytest.mark.parametrize(
    ("lang", "header", "fragments"),
    [
        ("kk", "", ["Бюллетеньдер сәйкес келмейді", "Дауыстар сәйкес келмейді"]),
        ("", "ru-RU,ru;q=0.9", ["Бюллетени не сходятся", "Голоса не сходятся"]),
        ("", "de;q=1, en;q=0.8, ru;q=0.5", ["Ballots do not balance", "Votes do not add up"]),
    ],
)
def test_seed_protocol_237_is_422_naming_each_broken_relation(
    client, token, election, lang, header, fragments
):
    """Station 237 (Semey), seed 001: every broken relation is named, in kk, ru and en."""
    extra = {"HTTP_ACCEPT_LANGUAGE": header} if header else {}
    fields = {"lang": lang} if lang else {}
    response = post(client, token, payload(election, SEED_237), fields=fields, **extra)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["status"] == "rejected"
    assert body["language"] == (lang or header[:2] if header[:2] != "de" else "en")
    pairs = {(f["code"], f["choice"]) for f in body["findings"]}
    assert pairs == {
        ("ballots_balance", None),
        ("votes_balance", None),
        ("choice_le_took_part", "nur-otan"),
        ("choice_le_took_part", "ak-zhol"),
        ("choice_le_registered", "nur-otan"),
        ("choice_le_registered", "ak-zhol"),
    }
    messages = [f["message"] for f in body["findings"]]
    for fragment in fragments:
        assert any(m.startswith(fragment) for m in messages), (fragment, messages)
    for finding in body["findings"]:
        assert finding["message"] == finding["messages"][body["language"]]
        assert set(finding["messages"]) == {"kk", "ru", "en"}
    votes = next(f for f in body["findings"] if f["code"] == "votes_balance")
    assert (votes["left"], votes["right"]) == (17055, 624)
    # the copy is recorded, with its findings, for the moderators
    assert ProtocolCopy.objects.get(pk=body["receipt"]).validation == "rejected"


def test_bad_json_is_400_in_three_languages_and_kept(client, token, election):
    response = post(client, token, "{not json", fields={"lang": "kk"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "bad_json" and body["language"] == "kk"
    assert set(body["messages"]) == {"kk", "ru", "en"}
    assert body["message"] == body["messages"]["kk"]
    submission = Submission.objects.get(pk=body["submission"])
    assert submission.payload["data"] == "{not json"
    assert Rejection.objects.get(submission=submission).code == "bad_json"


def test_unknown_station_is_400(client, token, election):
    response = post(client, token, payload(election, CLEAN_237, station_code="9999"))
    assert response.status_code == 400
    assert response.json()["problems"][0]["code"] == "unknown_station"


def test_unsupported_file_is_400(client, token, election):
    response = post(
        client, token, payload(election, CLEAN_237), photos=[(b"GIF89a....", "image/gif")]
    )
    assert response.status_code == 400
    assert response.json()["code"] == "unsupported_type"


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Token abc", "Bearer "])
def test_without_a_valid_token_is_401(client, election, header):
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    body = {"data": json.dumps(payload(election, CLEAN_237))}
    response = client.post(URL, body, HTTP_ACCEPT_LANGUAGE="kk", **extra)
    assert response.status_code == 401
    assert response.json()["detail"].startswith("API кілті")
    assert not Submission.objects.exists()


def test_revoked_token_is_401(client, token, election):
    api_token_revoke(token=ApiToken.objects.get())
    assert post(client, token, payload(election, CLEAN_237)).status_code == 401


def test_station_status(client, token, election):
    post(client, token, payload(election, CLEAN_237))
    post(client, token, payload(election, SEED_237))
    st = station(election)
    response = client.get(f"/api/v1/stations/{st.pk}/status?lang=en", **auth(token))
    assert response.status_code == 200
    body = response.json()
    assert body["station"]["code"] == "237" and body["copies_received"] == 2
    assert [c["validation"] for c in body["copies"]] == ["accepted", "rejected"]
    assert body["copies"][0]["lines"]["L1"] == 2170
    assert body["copies"][1]["votes"]["nur-otan"] == 12994
    assert body["copies"][1]["findings"][0]["message"].startswith("Ballots do not balance")
    assert isinstance(body["results"], list) and isinstance(body["conflicts"], list)
    assert client.get("/api/v1/stations/999999/status", **auth(token)).status_code == 404


def test_count_and_comparisons(client, token, election):
    contest = election.contests.get()
    country = AdminUnit.objects.get(election=election, kind="country")
    east = AdminUnit.objects.get(election=election, code="VKO")
    nur_otan = contest.choices.get(code="nur-otan")
    UnitCount.objects.create(
        contest=contest,
        unit=country,
        stations_total=2,
        stations_covered=1,
        registered_total=4340,
        registered_covered=2170,
        lines={"L1": 2170, "L5": 1190},
        votes={str(nur_otan.pk): 700},
    )
    Estimate.objects.create(
        contest=contest, unit=country, choice=nur_otan, share=0.59, margin=0.1, stations_used=1
    )
    Finding.objects.create(
        contest=contest,
        unit=east,
        kind=Finding.Kind.STATION_DIFFERS,
        choice=nur_otan,
        observed=700,
        official=12994,
    )

    response = client.get(f"/api/v1/elections/{election.code}/count", **auth(token))
    assert response.status_code == 200
    body = response.json()
    (count,) = body["counts"]
    assert count["unit_path"] == "KZ" and count["votes"] == {"nur-otan": 700}
    assert body["estimates"][0]["choice"] == "nur-otan"

    response = client.get(f"/api/v1/elections/{election.code}/comparisons", **auth(token))
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 1
    item = body["items"][0]
    assert (item["observed"], item["official"], item["difference"]) == (700, 12994, 12294)
    response = client.get(
        f"/api/v1/elections/{election.code}/comparisons?kind=parts_do_not_sum", **auth(token)
    )
    assert response.json()["total"] == 0
    assert client.get("/api/v1/elections/nope/count", **auth(token)).status_code == 404


def test_openapi_schema_and_docs(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    assert "/api/v1/protocols" in paths
    assert "/api/v1/stations/{station_id}/status" in paths
    assert "/api/v1/elections/{code}/count" in paths
    assert "/api/v1/elections/{code}/comparisons" in paths
    assert set(paths["/api/v1/protocols"]["post"]["responses"]) >= {"201", "202", "400", "422"}
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"cdn.jsdelivr" not in docs.content
