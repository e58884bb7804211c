"""The observer app's outbox API: idempotent by client key, rejections kept, answers in kk/ru/en."""

import io
import json
import uuid

import pytest
from PIL import Image

from baqylau.accounts.models import ApiToken
from baqylau.intake.models import Submission
from baqylau.observer_app.models import ClientReceipt
from baqylau.observers.models import Assignment
from baqylau.reports.models import Incident, TurnoutCount
from tests.observers.factories import build_world

API = "/ru/observe/api/"


@pytest.fixture
def world(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_world()


def auth(world, user="obs_a1"):
    return {"HTTP_AUTHORIZATION": f"Bearer {world.tokens[user]}"}


def send(client, world, kind, data, key=None, lang="ru", user="obs_a1"):
    key = key or str(uuid.uuid4())
    return client.post(
        f"/{lang}/observe/api/reports/{kind}",
        data=json.dumps({"data": data}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
        **auth(world, user),
    )


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_login_returns_token_and_profile(client, world):
    r = client.post(
        API + "login",
        data={"username": "obs_a1", "password": "pw-obs_a1"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["token"].startswith("bq_")
    assert ApiToken.objects.filter(user=world.users["obs_a1"], name="observer app").exists()
    profile = body["profile"]
    assert profile["observer"] == world.observers["A1"].public_id
    assert [p["code"] for p in profile["placements"]] == ["237"]
    assert profile["placements"][0]["registered_voters"] == 2170
    assert sorted(profile["placements"][0]["shifts"]) == ["count", "opening"]
    assert any(v["code"] == "stuffing" for v in profile["violation_types"])
    assert profile["checklists"][0]["code"] == "opening"
    # Identity never reaches the phone's cache.
    assert "Aigerim" not in r.content.decode()


def test_login_wrong_password_and_staff(client, world):
    r = client.post(
        "/kk/observe/api/login",
        data={"username": "obs_a1", "password": "nope"},
        content_type="application/json",
    )
    assert r.status_code == 401
    assert r.json()["message"]["kk"] == "Логин немесе құпиясөз қате"
    r = client.post(
        API + "login",
        data={"username": "coord_a", "password": "pw-coord_a"},
        content_type="application/json",
    )
    assert r.status_code == 403


def test_logout_revokes_the_token(client, world):
    r = client.post(API + "logout", **auth(world))
    assert r.status_code == 200
    assert client.get(API + "me", **auth(world)).status_code == 401


def test_me_requires_token(client, world):
    assert client.get(API + "me").status_code == 401
    assert client.get(API + "me", **auth(world)).status_code == 200


def test_resend_with_same_key_is_not_counted_twice(client, world):
    key = str(uuid.uuid4())
    data = {"station": "237", "at": "10:30", "count": 412}
    first = send(client, world, "turnout", data, key)
    assert first.status_code == 201, first.content
    assert first.json()["status"] == "recorded" and first.json()["client_id"] == key
    again = send(client, world, "turnout", data, key)
    assert again.status_code == 200
    assert again.json()["replayed"] is True and again.json()["id"] == first.json()["id"]
    assert TurnoutCount.objects.count() == 1
    receipt = ClientReceipt.objects.get(key=key)
    assert receipt.state == "recorded" and receipt.attempts == 1
    # The envelope keeps the phone's key.
    assert Submission.objects.get(pk=first.json()["submission"]).payload["data"]["client_id"] == key


def test_same_payload_with_two_keys_is_two_reports(client, world):
    data = {"station": "237", "at": "10:30", "count": 412}
    assert send(client, world, "turnout", data).status_code == 201
    assert send(client, world, "turnout", data).status_code == 201
    assert TurnoutCount.objects.count() == 2


def test_rejection_is_kept_and_can_be_fixed_with_the_same_key(client, world):
    key = str(uuid.uuid4())
    r = send(client, world, "turnout", {"station": "237", "at": "10:30", "count": 9999}, key)
    assert r.status_code == 422
    body = r.json()
    assert body["status"] == "rejected"
    assert body["errors"][0]["code"] == "above_registered"
    # one problem format: code, field, and the message in kk/ru/en
    assert body["errors"][0]["field"] == "count"
    assert set(body["errors"][0]["messages"]) == {"kk", "ru", "en"}
    assert "2170" in body["errors"][0]["messages"]["ru"] and "2170" in body["message"]["kk"]
    assert ClientReceipt.objects.get(key=key).state == "rejected"
    # Resent unchanged: rejected again (and stored again: every attempt has its envelope).
    assert send(client, world, "turnout", {"station": "237", "at": "10:30", "count": 9999}, key)
    fixed = send(client, world, "turnout", {"station": "237", "at": "10:30", "count": 999}, key)
    assert fixed.status_code == 201
    assert TurnoutCount.objects.get().observer_count == 999
    assert Submission.objects.filter(payload__data__client_id=key).count() == 3
    assert ClientReceipt.objects.get(key=key).attempts == 3


def test_not_assigned_station_message_in_each_language(client, world):
    Assignment.objects.filter(observer=world.observers["A1"]).delete()
    for lang, text in {
        "kk": "Сіз ешбір сайлауға бекітілмегенсіз",
        "ru": "Вы не назначены ни на одни выборы",
    }.items():
        r = send(client, world, "turnout", {"station": "237", "at": "10:00", "count": 1}, lang=lang)
        assert r.status_code == 422
        assert r.json()["errors"][0]["messages"][lang] == text
        assert r.json()["message"][lang] == text


def test_incident_with_photo_needs_review(client, world):
    key = str(uuid.uuid4())
    r = client.post(
        API + "reports/incident",
        data={
            "data": json.dumps({"station": "237", "violation": "stuffing", "at": "14:15"}),
            "photos": [io.BytesIO(jpeg())],
        },
        HTTP_IDEMPOTENCY_KEY=key,
        **auth(world),
    )
    assert r.status_code == 201, r.content
    assert r.json()["status"] == "waiting"
    incident = Incident.objects.get()
    assert incident.submission.media.count() == 1
    assert Submission.objects.get(pk=r.json()["submission"]).channel == "web"


def test_claim_in_progress_answers_409(client, world):
    key = uuid.uuid4()
    ClientReceipt.objects.create(
        observer=world.observers["A1"], key=key, kind="turnout", state="processing"
    )
    r = send(client, world, "turnout", {"station": "237", "at": "10:30", "count": 1}, str(key))
    assert r.status_code == 409 and r.json()["status"] == "in_progress"
    assert TurnoutCount.objects.count() == 0


def test_stale_claim_is_taken_over(client, world):
    import datetime as dt

    from django.utils import timezone

    key = uuid.uuid4()
    receipt = ClientReceipt.objects.create(
        observer=world.observers["A1"], key=key, kind="turnout", state="processing"
    )
    ClientReceipt.objects.filter(pk=receipt.pk).update(
        updated_at=timezone.now() - dt.timedelta(minutes=5)
    )
    r = send(client, world, "turnout", {"station": "237", "at": "10:30", "count": 1}, str(key))
    assert r.status_code == 201


def test_keys_are_per_observer(client, world):
    key = str(uuid.uuid4())
    assert send(client, world, "turnout", {"station": "237", "at": "10:30", "count": 5}, key)
    r = send(
        client, world, "turnout", {"station": "238", "at": "10:30", "count": 5}, key, user="obs_a2"
    )
    assert r.status_code == 201 and "replayed" not in r.json()


def test_bad_key_kind_and_body(client, world):
    r = client.post(
        API + "reports/turnout",
        data=json.dumps({"data": {}}),
        content_type="application/json",
        **auth(world),
    )
    # refused, and kept all the same: the envelope and its reason
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "bad_key"
    assert set(r.json()["message"]) == {"kk", "ru", "en"}
    kept = Submission.objects.get(pk=r.json()["submission"])
    assert kept.rejection.code == "bad_key"
    r = send(client, world, "nonsense", {"station": "237"})
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "unknown_kind"
    assert Submission.objects.get(pk=r.json()["submission"]).payload["data"] == {"station": "237"}
    r = client.post(
        API + "reports/turnout",
        data={"data": "{not json"},
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        **auth(world),
    )
    # data that cannot be read is kept as received, rejected (400, the intake's semantics)
    assert r.status_code == 400
    assert r.json()["status"] == "rejected" and r.json()["errors"][0]["code"] == "malformed"
    assert Submission.objects.get(pk=r.json()["submission"]).payload["data"] == "{not json"


def test_staff_token_is_403(client, world):
    r = send(client, world, "turnout", {"station": "237"}, user="coord_a")
    assert r.status_code == 403 and r.json()["errors"][0]["code"] == "not_an_observer"
    kept = Submission.objects.get(pk=r.json()["submission"])
    assert kept.sender == f"user:{world.users['coord_a'].pk}" and kept.rejection.code


def test_recent(client, world):
    send(client, world, "turnout", {"station": "237", "at": "10:30", "count": 5})
    send(client, world, "turnout", {"station": "237", "at": "10:30", "count": 99999})
    r = client.get(API + "recent", **auth(world))
    states = sorted(row["status"] for row in r.json()["results"])
    assert states == ["recorded", "rejected"]


def test_checkin_and_checklist_through_the_outbox(client, world):
    from baqylau.reports.forms import load_form
    from baqylau.reports.models import CheckIn, ChecklistAnswer

    r = send(client, world, "checkin", {"station": "237", "status": "not_admitted", "at": "07:05"})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "reason_required"
    r = send(
        client,
        world,
        "checkin",
        {"station": "237", "status": "admitted", "at": "07:05", "election": "kz-test"},
    )
    assert r.status_code == 201 and r.json()["status"] == "recorded"
    assert CheckIn.objects.get().status == "admitted"
    answers = {q["code"]: True for q in load_form("opening")["questions"]}
    r = send(client, world, "checklist", {"station": "237", "form": "opening", "answers": answers})
    assert r.status_code == 201, r.content
    assert ChecklistAnswer.objects.count() == len(answers)
