"""The reports API: every report type, every status code, messages in the sender's language."""

import io
import json

import pytest
from PIL import Image

from baqylau.intake.models import Rejection, Submission
from baqylau.observers.models import AuditEvent
from baqylau.reports.models import CheckIn, ChecklistAnswer, Incident, Note, TurnoutCount


def post(client, world, path, body, user="obs_a1", **headers):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(
        f"/api/v1/reports/{path}",
        data=data,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {world.tokens[user]}",
        **headers,
    )


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(buffer, "PNG")
    return buffer.getvalue()


def test_checkin_created_and_audited(client, world):
    r = post(client, world, "checkin", {"station": "237", "status": "admitted", "at": "07:05"})
    assert r.status_code == 201, r.content
    body = r.json()
    checkin = CheckIn.objects.get(pk=body["id"])
    assert checkin.status == "admitted" and checkin.observer == world.observers["A1"]
    submission = Submission.objects.get(pk=body["submission"])
    assert submission.channel == "api" and submission.kind == "checkin"
    assert submission.sender == world.observers["A1"].public_id
    assert submission.payload["data"]["station"] == "237"
    assert AuditEvent.objects.filter(
        action="report.checkin.create", object_id=str(checkin.pk)
    ).exists()
    # the glossary's word: received (never "accepted", which belongs to moderators)
    assert "237" in body["message"] and body["message"].startswith("Получено")


def test_turnout_created(client, world):
    r = post(
        client,
        world,
        "turnout",
        {"station": "237", "at": "10:30", "count": 412, "commission_count": 530},
    )
    assert r.status_code == 201, r.content
    t = TurnoutCount.objects.get()
    assert (t.observer_count, t.commission_count) == (412, 530)


def test_checklist_created(client, world):
    from baqylau.reports.forms import load_form

    answers = {q["code"]: True for q in load_form("opening")["questions"]}
    answers["boxes_sealed"] = "no"
    r = post(client, world, "checklist", {"station": "237", "form": "opening", "answers": answers})
    assert r.status_code == 201, r.content
    assert ChecklistAnswer.objects.count() == len(answers)
    assert ChecklistAnswer.objects.get(question="boxes_sealed").answer is False


def test_note_created(client, world):
    r = post(client, world, "note", {"station": "237", "text": "Queue outside since 07:00"})
    assert r.status_code == 201
    assert Note.objects.get().text.startswith("Queue")


def test_incident_multipart_with_photo(client, world):
    r = client.post(
        "/api/v1/reports/incident",
        data={
            "station": "237",
            "violation": "stuffing",
            "at": "14:15",
            "text": "a bundle of ballots",
            "photos": [io.BytesIO(png())],
        },
        HTTP_AUTHORIZATION=f"Bearer {world.tokens['obs_a1']}",
    )
    assert r.status_code == 201, r.content
    incident = Incident.objects.get()
    assert incident.violation.code == "stuffing" and incident.moderation == "pending"
    assert incident.submission.media.count() == 1


def test_incident_json_without_photo(client, world):
    r = post(client, world, "incident", {"station": "237", "violation": "CAROUSEL"})
    assert r.status_code == 422
    r = post(client, world, "incident", {"station": "237", "violation": "multiple_voting"})
    assert r.status_code == 201


def test_unauthorised_401(client, world):
    r = client.post("/api/v1/reports/checkin", data="{}", content_type="application/json")
    assert r.status_code == 401
    r = client.post(
        "/api/v1/reports/checkin",
        data="{}",
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer bq_wrong",
    )
    assert r.status_code == 401


def test_not_an_observer_403(client, world):
    r = post(client, world, "checkin", {"station": "237", "status": "admitted"}, user="coord_a")
    assert r.status_code == 403
    body = r.json()
    assert body["code"] == "not_an_observer" and body["status"] == "rejected"
    # the attempt is kept, rejected with the reason (one rejection format)
    submission = Submission.objects.get(pk=body["submission"])
    assert submission.rejection.code == "not_an_observer"
    assert submission.sender == f"user:{world.users['coord_a'].pk}"
    assert not CheckIn.objects.exists()


def test_malformed_json_400_is_stored(client, world):
    r = post(client, world, "turnout", "{not json")
    assert r.status_code == 400
    submission = Submission.objects.get(pk=r.json()["submission"])
    assert submission.rejection.code == "bad_json"
    assert submission.payload["data"] == "{not json"
    r = post(client, world, "turnout", "[1, 2]")
    assert r.status_code == 400
    assert r.json()["code"] == "malformed"


def test_duplicate_is_idempotent(client, world):
    body = {"station": "237", "at": "10:30", "count": 412}
    first = post(client, world, "turnout", body)
    assert first.status_code == 201
    r = post(client, world, "turnout", body)
    assert r.status_code == 200
    assert r.json()["duplicate_of"] == first.json()["submission"]
    assert r.json()["message"] == "Это сообщение уже получено"
    assert TurnoutCount.objects.count() == 1
    # the resend's envelope is kept, rejected as a duplicate
    resend = Submission.objects.get(pk=r.json()["submission"])
    assert resend.rejection.code == "duplicate"
    assert resend.dedupe_key == Submission.objects.get(pk=first.json()["submission"]).dedupe_key


# Every rejection path, with its message in each language (lang field, ?lang=, Accept-Language).
EXPECTED = {
    "unknown_station": (
        "999",
        {
            "kk": "№999 учаске табылмады",
            "ru": "Участок № 999 не найден",
            "en": "Polling station 999 not found",
        },
    ),
    "not_assigned": (
        "300",
        {
            "kk": "Сіз №300 учаскеге бекітілмегенсіз",
            "ru": "Вы не назначены на участок № 300",
            "en": "You are not assigned to station 300",
        },
    ),
}


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_station_rejections_in_three_languages(client, world, code, lang):
    station, messages = EXPECTED[code]
    r = post(
        client, world, "turnout", {"station": station, "at": "10:00", "count": 5, "lang": lang}
    )
    # a station the observer is not placed at is refused (403); an unknown one is not read (422)
    assert r.status_code == (403 if code == "not_assigned" else 422)
    body = r.json()
    assert body["status"] == "rejected" and body["language"] == lang
    assert body["code"] == code and body["message"] == messages[lang]
    assert body["messages"] == messages
    error = body["problems"][0]
    assert error["code"] == code and error["message"] == messages[lang]
    assert error["field"] == "station" and error["messages"] == messages
    rejection = Rejection.objects.get(submission_id=r.json()["submission"])
    assert rejection.code == code
    assert {rejection.messages[k] for k in ("kk", "ru", "en")} == set(messages.values())


@pytest.mark.parametrize(
    ("kind", "body", "code", "en_fragment"),
    [
        (
            "turnout",
            {"at": "2001-01-01T10:00:00+06:00", "count": 5},
            "outside_election_day",
            "outside the election day",
        ),
        (
            "turnout",
            {"at": "10:00", "count": 9999},
            "above_registered",
            "more than the station's registered voters (2170)",
        ),
        ("turnout", {"at": "10:00", "count": -3}, "negative", "is negative: -3"),
        (
            "turnout",
            {"at": "10:00", "count": "many"},
            "not_a_number",
            'must be a number, not "many"',
        ),
        ("turnout", {"at": "25:99", "count": 5}, "bad_time", "Cannot read the time"),
        (
            "turnout",
            {"at": "10:00", "count": 5, "commission_count": 5000},
            "above_registered",
            "5000",
        ),
        (
            "incident",
            {"violation": "teleportation"},
            "unknown_violation",
            'Unknown violation type "teleportation"',
        ),
        ("checkin", {"status": "not_admitted"}, "reason_required", "Give the reason"),
        ("checkin", {"status": "sleeping"}, "unknown_status", 'Unknown status "sleeping"'),
        (
            "checklist",
            {"form": "opening", "answers": {"bogus": True}},
            "unknown_question",
            'no question "bogus"',
        ),
        ("checklist", {"form": "nope", "answers": {}}, "unknown_form", 'no form "nope"'),
        ("note", {"text": "  "}, "empty_text", "The text is empty"),
    ],
)
def test_rejection_paths(client, world, kind, body, code, en_fragment):
    r = post(client, world, kind, {"station": "237", **body}, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert r.status_code == 422, r.content
    errors = r.json()["problems"]
    assert code in [e["code"] for e in errors]
    assert any(en_fragment in e["message"] for e in errors)
    rejection = Rejection.objects.get(submission_id=r.json()["submission"])
    for lang in ("kk", "ru", "en"):
        assert rejection.messages[lang]
    assert rejection.messages["kk"] != rejection.messages["en"]


def test_language_falls_back_to_observer_then_query(client, world):
    # A2's own language is Kazakh.
    r = post(client, world, "turnout", {"station": "999", "at": "10:00", "count": 1}, user="obs_a2")
    assert r.json()["problems"][0]["message"] == "№999 учаске табылмады"
    r = client.post(
        "/api/v1/reports/turnout?lang=en",
        data=json.dumps({"station": "999", "at": "10:00", "count": 1}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {world.tokens['obs_a2']}",
    )
    assert r.json()["problems"][0]["message"] == "Polling station 999 not found"


def test_forms_endpoint(client, world):
    r = client.get("/api/v1/reports/forms", HTTP_AUTHORIZATION=f"Bearer {world.tokens['obs_a1']}")
    assert r.status_code == 200
    codes = {f["code"] for f in r.json()["forms"]}
    assert {"checkin", "opening", "turnout", "incident", "note"} <= codes
    assert any(v["code"] == "stuffing" for v in r.json()["violation_types"])


def test_openapi_lists_report_endpoints(client, world):
    schema = client.get("/api/v1/openapi.json").json()
    for path in ("checkin", "turnout", "incident", "checklist"):
        assert f"/api/v1/reports/{path}" in schema["paths"]
