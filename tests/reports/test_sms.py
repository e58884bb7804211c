"""Coded SMS through the gateway endpoint: every report type, replies, anti-abuse."""

import pytest

from baqylau.intake.models import Rejection, Submission
from baqylau.protocols.models import ProtocolCopy
from baqylau.reports import sms
from baqylau.reports.models import CheckIn, Incident, Note, TurnoutCount
from tests.observers.factories import PHONE_A1, PHONE_A2, PHONE_B1


def send(client, phone, text, secret="s3cret", fields=("from", "text")):
    return client.post(
        "/sms/inbound/",
        data={fields[0]: phone, fields[1]: text},
        headers={"X-Baqylau-Secret": secret},
    )


def test_parse_grammar():
    assert sms.parse("T 237 1030 412").data == {"station": "237", "at": "1030", "count": "412"}
    assert sms.parse("т 237 10:30 412 500").data["commission_count"] == "500"
    v = sms.parse("V 237 stuffing 1415 two ballots at once")
    assert v.kind == "incident" and v.data["at"] == "1415" and v.data["text"].startswith("two")
    assert sms.parse("C 237 IN").data["status"] == "in"
    assert sms.parse("С 237 OUT chair refused").data["reason"] == "chair refused"
    p = sms.parse("P 237 L1=2170 L2=1896 1=58 2=12994")
    assert p.data["lines"] == {"L1": "2170", "L2": "1896"}
    assert p.data["votes_by_number"] == {1: "58", 2: "12994"}
    assert sms.parse("hello").problems[0].code == "unknown_command"
    assert sms.parse("T 237 412").problems[0].code == "sms_format"


def test_turnout_sms(client, world):
    r = send(client, PHONE_A1, "T 237 1030 412")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/plain")
    assert r.content.decode() == "Получено: участок 237, 10:30 — 412"
    t = TurnoutCount.objects.get()
    assert t.observer_count == 412 and t.submission.channel == "sms"
    # The envelope keeps the text and a keyed hash, never the phone number.
    assert t.submission.payload["sms"] == "T 237 1030 412"
    assert "7011112233" not in str(t.submission.payload)


def test_incident_sms_in_observers_language(client, world):
    r = send(client, PHONE_A2, "V 238 stuffing 1415 екі бюллетень", fields=("From", "Body"))
    incident = Incident.objects.get()
    # the violation by its name in the observer's language, never its code
    assert (
        r.content.decode()
        == f"Алынды: №238, Бюллетеньдерді заңсыз салу, бұрмалау (14:15). Нөмірі {incident.pk}"
    )
    assert incident.text == "екі бюллетень"


def test_checkin_in_and_out_sms(client, world):
    assert send(client, PHONE_A1, "C 237 IN").status_code == 200
    r = send(client, PHONE_A1, "C 237 OUT removed by the chair", fields=("phone", "message"))
    assert "237" in r.content.decode()
    statuses = list(CheckIn.objects.order_by("received_at").values_list("status", flat=True))
    assert statuses == ["admitted", "removed"]
    # OUT without a prior IN is "not admitted"; OUT without reason is rejected.
    assert "reason" in send(client, PHONE_B1, "C 300 OUT").content.decode().lower()
    send(client, PHONE_B1, "C 300 OUT no accreditation accepted")
    assert CheckIn.objects.filter(station__code="300").get().status == "not_admitted"


def test_note_sms(client, world):
    send(client, PHONE_A1, "N 237 long queue")
    assert Note.objects.get().text == "long queue"


PROTOCOL_SMS = "P 237 L1=2170 L2=1896 L3=1200 L5=1190 L4=10 L7=20 L8=696 1=600 2=570"


def test_protocol_sms_goes_to_protocol_intake(client, world):
    reply = send(client, PHONE_A1, PROTOCOL_SMS).content.decode()
    submission = Submission.objects.filter(kind="protocol").get()
    assert submission.channel == "sms" and submission.payload["sms"] == PROTOCOL_SMS
    assert submission.payload["data"]["station_id"] == world.stations["237"].pk
    copy = ProtocolCopy.objects.get(submission=submission)
    assert copy.station == world.stations["237"] and copy.source == "observer"
    assert copy.source_ref == world.observers["A1"].public_id
    assert {k: v for k, v in copy.lines.values_list("line", "value")}["L5"] == 1190
    # the figures add up, but an SMS has no photo of the pages: it failed the checks, and the
    # reply says so, with the receipt and the reason
    assert copy.checks == "failed"
    assert [f["code"] for f in copy.findings] == ["pages_missing"]
    assert reply.startswith(
        f"Протокол получен (копия № {copy.pk}): участок 237, но не прошёл проверки"
    )
    assert f"копия № {copy.pk}" in reply
    assert copy.findings[0]["messages"]["ru"] in reply


def test_protocol_sms_resent_is_the_same_copy(client, world):
    send(client, PHONE_A1, PROTOCOL_SMS)
    reply = send(client, PHONE_A1, PROTOCOL_SMS).content.decode()
    copy = ProtocolCopy.objects.get()
    assert reply.startswith("Это сообщение уже получено")
    assert Submission.objects.filter(kind="protocol").count() == 2
    assert Rejection.objects.get().code == "duplicate"
    assert not Rejection.objects.filter(submission=copy.submission).exists()


def test_a_station_number_repeated_elsewhere_is_settled_by_the_placement(client, world):
    """Another district also has a station No. 237: the observer's own placement decides."""
    from tests.observers.factories import unit

    other = unit(world.election, world.regions["d2"], "station", "237", registered_voters=900)
    reply = send(client, PHONE_A1, PROTOCOL_SMS).content.decode()
    copy = ProtocolCopy.objects.get()
    assert copy.station == world.stations["237"] and copy.station != other
    assert "237" in reply
    send(client, PHONE_A1, "T 237 1030 412")
    assert TurnoutCount.objects.get().station == world.stations["237"]
    # an observer of another station with that number is told they are not placed there
    answer = send(client, PHONE_B1, "T 238 1030 5").content.decode()
    assert "You are not assigned to station 238" in answer


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("T 999 1030 412", "Участок № 999 не найден"),
        ("T 300 1030 412", "Вы не назначены на участок № 300"),
        ("T 237 1030 -5", "В поле «подсчёт наблюдателя» отрицательное число: -5"),
        ("T 237 1030 99999", "больше числа избирателей участка (2170)"),
        ("V 237 teleport", "Неизвестный тип нарушения «teleport»"),
        ("T 237 2590 10", "Непонятное время"),
    ],
)
def test_sms_rejections_reply_what_is_wrong(client, world, text, reply):
    answer = send(client, PHONE_A1, text).content.decode()
    assert reply in answer
    assert Rejection.objects.count() == 1


def test_duplicate_window(client, world):
    send(client, PHONE_A1, "T 237 1030 412")
    r = send(client, PHONE_A1, "T 237 1030 412")
    assert r.content.decode() == "Это сообщение уже получено"
    assert TurnoutCount.objects.count() == 1


def test_unknown_sender_and_lockout(client, world):
    stranger = "+7 777 000 00 00"
    first = send(client, stranger, "hello").content.decode()
    assert "не зарегистрирован" in first
    for _ in range(3):
        send(client, stranger, "spam")
    locked = send(client, stranger, "spam").content.decode()
    assert "заблокирован" in locked
    # Locked: still stored, never answered.
    assert send(client, stranger, "T 237 1030 1").content == b""
    assert Submission.objects.filter(channel="sms").count() == 6
    assert Rejection.objects.filter(code="locked_out").count() == 1


def test_garbage_from_observer_locks_out(client, world):
    for _ in range(4):
        assert "Образцы" in send(client, PHONE_B1, "blah").content.decode() or True
    assert "locked" in send(client, PHONE_B1, "blah").content.decode()
    assert send(client, PHONE_B1, "T 300 1030 5").content == b""
    assert not TurnoutCount.objects.exists()


def test_secret_required(client, world):
    assert send(client, PHONE_A1, "T 237 1030 412", secret="wrong").status_code == 403
    r = client.post(
        "/sms/inbound/", {"from": PHONE_A1, "text": "x"}, HTTP_X_BAQYLAU_SECRET="s3cret"
    )
    assert r.status_code == 200
    assert not Submission.objects.filter(payload__sms="T 237 1030 412").exists()
