"""Report intake writes: every envelope enters the ledger with its verdict, in one transaction;
duplicates (also within one batch) and internal errors are stored, never lost."""

import io

import pytest
from PIL import Image

from baqylau.evidence import ledger
from baqylau.evidence.models import LedgerEntry, MediaFile
from baqylau.intake import writer
from baqylau.intake.models import Rejection, Submission
from baqylau.intake.services import new_submission
from baqylau.observers.models import AuditEvent
from baqylau.reports import services
from baqylau.reports.models import Incident, TurnoutCount
from tests.observers.factories import PHONE_A1
from tests.reports.test_api import post


def jpeg() -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", (64, 48), (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def ledger_refs(kind: str) -> set[str]:
    return set(LedgerEntry.objects.filter(kind=kind).values_list("ref", flat=True))


def test_every_report_envelope_is_in_the_ledger_and_verify_passes(client, world):
    assert (
        post(client, world, "turnout", {"station": "237", "at": "10:30", "count": 41}).status_code
        == 201
    )
    assert (
        post(client, world, "turnout", {"station": "999", "at": "10:30", "count": 1}).status_code
        == 422
    )
    assert post(client, world, "turnout", "{not json").status_code == 400
    r = client.post(
        "/api/v1/reports/incident",
        data={"station": "237", "violation": "stuffing", "photos": [io.BytesIO(jpeg())]},
        HTTP_AUTHORIZATION=f"Bearer {world.tokens['obs_a1']}",
    )
    assert r.status_code == 201, r.content
    secret = {"X-Baqylau-Secret": "s3cret"}
    client.post("/sms/inbound/", data={"from": PHONE_A1, "text": "T 237 1100 50"}, headers=secret)
    client.post("/sms/inbound/", data={"from": "+77000000000", "text": "T 1 1 1"}, headers=secret)

    submissions = {
        f"intake.submission:{pk}" for pk in Submission.objects.values_list("pk", flat=True)
    }
    assert len(submissions) == 6
    assert ledger_refs(LedgerEntry.Kind.SUBMISSION) == submissions
    media = MediaFile.objects.get()
    assert ledger_refs(LedgerEntry.Kind.MEDIA) == {f"evidence.mediafile:{media.pk}"}
    assert Rejection.objects.count() == 3  # unknown station, not JSON, unknown SMS sender
    report = ledger.verify()
    assert report.ok, report.as_dict()


def test_tampering_with_a_report_envelope_is_detected(client, world):
    r = post(client, world, "turnout", {"station": "237", "at": "10:30", "count": 41})
    assert r.status_code == 201
    assert ledger.verify().ok
    Submission.objects.filter(pk=r.json()["submission"]).update(
        payload={"report": "turnout", "data": {"station": "237", "at": "10:30", "count": 4100}}
    )
    report = ledger.verify()
    assert not report.ok
    assert "record_changed" in report.codes()


def plan(world, count: int):
    observer = world.observers["A1"]
    data = {"station": "237", "election": "kz-test", "at": "10:30", "count": count}
    submission = new_submission(
        kind=Submission.Kind.TURNOUT,
        channel=Submission.Channel.API,
        payload={"report": "turnout", "data": data, "attachments": []},
        sender=observer.public_id,
    )
    return services.plan_report(submission, kind="turnout", data=data, observer=observer)


def test_a_duplicate_within_one_batch_is_stored_as_rejected(world):
    first, again, other = plan(world, 41), plan(world, 41), plan(world, 42)
    writer.write_batch([first, again, other])
    assert first.outcome.ok and other.outcome.ok
    assert not again.outcome.ok and again.outcome.duplicate_of.pk == first.submission.pk
    assert TurnoutCount.objects.count() == 2
    assert Rejection.objects.get().submission_id == again.submission.pk
    assert Rejection.objects.get().code == "duplicate"
    assert Submission.objects.count() == 3
    assert AuditEvent.objects.filter(action="intake.reject").count() == 1
    assert ledger.verify().ok


def test_a_duplicate_of_an_earlier_batch_names_the_earlier_envelope(world):
    first = plan(world, 41)
    writer.write(first)
    again = writer.write(plan(world, 41))
    assert again.outcome.duplicate_of == first.submission
    assert again.outcome.problems[0].code == "duplicate"


def test_a_validation_crash_still_stores_the_envelope_rejected(client, world, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setitem(services.PARSERS, "turnout", broken)
    r = post(client, world, "turnout", {"station": "237", "at": "10:30", "count": 41})
    assert r.status_code == 422
    assert r.json()["code"] == "internal_error"
    rejection = Rejection.objects.get()
    assert rejection.code == "internal_error"
    assert rejection.submission.payload["data"]["count"] == 41
    assert ledger.verify().ok


@pytest.mark.django_db(transaction=True)  # foreign keys are checked at the real commit
def test_a_write_failure_stores_the_envelope_rejected(world):
    """A row the database refuses (here: an incident whose violation type does not exist) must
    not lose the envelope: it is stored again alone, rejected as internal_error."""
    observer = world.observers["A1"]
    data = {"station": "237", "election": "kz-test", "violation": "stuffing"}
    submission = new_submission(
        kind=Submission.Kind.INCIDENT,
        channel=Submission.Channel.API,
        payload={"report": "incident", "data": data, "attachments": []},
        sender=observer.public_id,
    )
    p = services.plan_report(submission, kind="incident", data=data, observer=observer)
    p.records[0].violation_id = 987654  # no such row: the foreign key fails on insert
    writer.write_one(p)
    assert Incident.objects.count() == 0
    assert Submission.objects.get().pk == submission.pk
    assert Rejection.objects.get().code == "internal_error"
    assert p.outcome.problems[0].code == "internal_error"
