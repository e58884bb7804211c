"""Protocol intake (`protocols.intake`): stored with its outcome, parsed, checked, recorded; bad
input is never lost; a resend is the same copy."""

from __future__ import annotations

import hashlib
import json

import pytest
from django_tasks_db.models import DBTaskResult

from baqylau.evidence.ledger import content_hash
from baqylau.evidence.models import LedgerEntry, MediaFile
from baqylau.intake.models import Rejection, Submission
from baqylau.protocols import intake
from baqylau.protocols.models import CopyLine, CopyVote, ProtocolCopy
from baqylau.tally.models import PendingRecount, StationResult

from .factories import (
    CLEAN_237,
    HIGH_TURNOUT_237,
    SEED_237,
    image_bytes,
    payload,
    station,
    two_pages,
)

pytestmark = pytest.mark.django_db


def submit(election, data, photos=None, language="ru", sender="obs-1", **kwargs):
    return intake.submit_protocol_copy(
        channel=Submission.Channel.API,
        sender=sender,
        source=ProtocolCopy.Source.OBSERVER,
        user=None,
        payload=data,
        photos=two_pages() if photos is None else photos,
        language=language,
        election=election,
        **kwargs,
    )


def codes(outcome) -> list[str]:
    return [p.code for p in outcome.problems]


def test_clean_protocol_is_recorded_and_passes_the_checks(election, data_dir):
    outcome = submit(election, payload(election, CLEAN_237))

    assert outcome.ok and outcome.problems == [] and outcome.duplicate_of is None
    copy = ProtocolCopy.objects.get(pk=outcome.record.pk)
    assert copy.submission_id == outcome.submission.pk
    assert copy.checks == "passed" and copy.moderation == "pending"
    assert copy.findings == []
    assert copy.source == "observer" and copy.source_ref == "obs-1"
    assert copy.pages_received == 2
    assert copy.station.code == "237"
    lines = dict(CopyLine.objects.filter(copy=copy).values_list("line", "value"))
    assert lines == CLEAN_237["lines"]
    votes = dict(CopyVote.objects.filter(copy=copy).values_list("choice__code", "votes"))
    assert votes == CLEAN_237["votes"]
    # the receipt, in the glossary's words ("received", "passed the checks")
    assert outcome.messages("en") == [
        f"Protocol received (copy No. {copy.pk}): station 237, it passed the checks"
    ]
    assert "алынды" in outcome.messages("kk")[0]
    assert "получен" in outcome.messages("ru")[0]
    assert "Қабылданды" not in outcome.messages_all()["kk"]
    assert "Принято" not in outcome.messages_all()["ru"]


def test_submission_payload_and_photos_are_hashed(election, data_dir):
    photos = two_pages()
    outcome = submit(election, payload(election, CLEAN_237), photos=photos)

    submission = Submission.objects.get(pk=outcome.submission.pk)
    assert submission.payload["data"]["station"] == "237"
    assert submission.payload_sha256 == content_hash(submission.payload)
    manifest = submission.payload["attachments"]
    assert [a["sha256"] for a in manifest] == [hashlib.sha256(b).hexdigest() for b, _ in photos]
    media = list(MediaFile.objects.filter(submission=submission).order_by("page"))
    assert [m.page for m in media] == [1, 2]
    assert [m.content_type for m in media] == ["image/jpeg", "image/png"]
    for m, (content, _) in zip(media, photos, strict=True):
        assert m.sha256 == hashlib.sha256(content).hexdigest()
        assert m.size == len(content)
        stored = data_dir / m.original
        assert stored.read_bytes() == content
        assert stored.is_relative_to(data_dir / "evidence")
    # the envelope and the files are in the ledger
    refs = set(LedgerEntry.objects.values_list("ref", flat=True))
    assert f"intake.submission:{submission.pk}" in refs
    assert all(f"evidence.mediafile:{m.pk}" in refs for m in media)


def test_seed_protocol_237_fails_the_checks_with_findings_in_three_languages(election):
    outcome = submit(election, payload(election, SEED_237))

    copy = ProtocolCopy.objects.get(pk=outcome.record.pk)
    assert copy.checks == "failed" and copy.moderation == "pending"
    found = {(f["code"], f["choice"]) for f in copy.findings}
    assert found == {
        ("ballots_balance", None),
        ("votes_balance", None),
        ("choice_le_took_part", "nur-otan"),
        ("choice_le_took_part", "ak-zhol"),
        ("choice_le_registered", "nur-otan"),
        ("choice_le_registered", "ak-zhol"),
    }
    for finding in copy.findings:
        assert set(finding["messages"]) == {"kk", "ru", "en"}
        assert len(set(finding["messages"].values())) == 3
    ballots = next(f for f in copy.findings if f["code"] == "ballots_balance")
    assert "1 896" in ballots["messages"]["ru"] and "3 968" in ballots["messages"]["ru"]
    assert "1,896" in ballots["messages"]["en"] and "3,968" in ballots["messages"]["en"]
    assert "1 896" in ballots["messages"]["kk"]
    assert any("Nur Otan" in f["messages"]["en"] for f in copy.findings)
    # the sender is told it was received, failed the checks and waits for a moderator
    assert outcome.messages("en") == [
        f"Protocol received (copy No. {copy.pk}): station 237, but it failed the checks; "
        f"it waits for a moderator"
    ]


def test_turnout_over_the_policy_fails_the_checks_with_a_flag(election):
    outcome = submit(election, payload(election, HIGH_TURNOUT_237), language="kk")

    copy = outcome.record
    assert copy.checks == "failed"
    assert [(f["code"], f["severity"]) for f in copy.findings] == [
        ("turnout_above_threshold", "flag")
    ]
    assert "73,7%" in copy.findings[0]["messages"]["kk"]


def test_missing_page_photo_is_reported(election):
    outcome = submit(election, payload(election, CLEAN_237), photos=two_pages()[:1])

    copy = outcome.record
    assert copy.checks == "failed" and copy.pages_received == 1
    assert [f["code"] for f in copy.findings] == ["pages_missing"]
    assert "1 of 2" in copy.findings[0]["messages"]["en"]


def test_registered_voters_mismatch_is_flagged(election):
    figures = {"lines": {**CLEAN_237["lines"], "L1": 2180}, "votes": CLEAN_237["votes"]}
    outcome = submit(election, payload(election, figures))

    assert outcome.record.checks == "failed"
    assert [f["code"] for f in outcome.record.findings] == ["registered_voters_mismatch"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"station": "9999"}, "unknown_station"),
        ({"contest": "senate"}, "unknown_contest"),
        ({"election": "no-such-election"}, "unknown_election"),
        ({"votes": {**CLEAN_237["votes"], "communists": 5}}, "unknown_choice"),
        ({"lines": {**CLEAN_237["lines"], "L2": "много"}}, "not_a_number"),
        ({"lines": {**CLEAN_237["lines"], "L7": -3}}, "negative"),
        ({"lines": {**CLEAN_237["lines"], "L7": 10**9}}, "too_large"),
        ({"lines": {**CLEAN_237["lines"], "L99": 1}}, "unknown_line"),
    ],
)
def test_bad_input_is_stored_and_rejected_with_a_reason(election, change, code):
    data = {**payload(election, CLEAN_237), **change}
    outcome = submit(election if "election" not in change else None, data)

    assert not outcome.ok and outcome.record is None
    assert codes(outcome) == [code]
    submission = Submission.objects.get(pk=outcome.submission.pk)
    assert submission.payload["data"] == json.loads(json.dumps(data))
    rejection = Rejection.objects.get(submission=submission)
    assert rejection.code == code
    # one rejection format: the messages joined per language, and the problems
    assert set(rejection.messages) == {"kk", "ru", "en", "problems"}
    texts = [rejection.messages[lang] for lang in ("kk", "ru", "en")]
    assert all(texts) and len(set(texts)) == 3
    assert [p["code"] for p in rejection.messages["problems"]] == [code]
    assert set(rejection.messages["problems"][0]["messages"]) == {"kk", "ru", "en"}
    assert not ProtocolCopy.objects.exists()
    # the photos of a rejected submission are kept as well
    assert MediaFile.objects.filter(submission=submission).count() == 2
    assert not PendingRecount.objects.exists()


def test_every_problem_is_reported_at_once(election):
    data = payload(election, CLEAN_237, station="9999")
    data["lines"]["L2"] = "abc"
    outcome = submit(None, data)
    assert codes(outcome) == ["unknown_station", "not_a_number"]
    assert [p.field for p in outcome.problems] == ["station", "L2"]
    rejection = Rejection.objects.get(submission_id=outcome.submission.pk)
    assert rejection.messages["en"].count("\n") == 1
    assert "9999" in rejection.messages["en"]


def test_text_that_is_not_json_is_stored_as_received(election):
    outcome = submit(None, '{"station": 237,,}', language="en")
    assert codes(outcome) == ["bad_json"]
    submission = Submission.objects.get(pk=outcome.submission.pk)
    assert submission.payload["data"] == '{"station": 237,,}'
    assert submission.election is None
    assert "not JSON" in outcome.messages("en")[0]


def test_numbers_written_with_spaces_are_read(election):
    figures = {
        "lines": {k: f"{v:,}".replace(",", " ") for k, v in CLEAN_237["lines"].items()},
        "votes": CLEAN_237["votes"],
    }
    outcome = submit(election, payload(election, figures))
    assert outcome.record.checks == "passed"
    lines = dict(CopyLine.objects.filter(copy=outcome.record).values_list("line", "value"))
    assert lines == CLEAN_237["lines"]


def test_station_by_id_finds_the_election(election):
    data = {
        "station_id": station(election).pk,
        "lines": CLEAN_237["lines"],
        "votes": CLEAN_237["votes"],
    }
    outcome = submit(None, data)
    assert outcome.record.checks == "passed"
    assert Submission.objects.get(pk=outcome.submission.pk).election == election


def test_the_source_comes_from_the_channel_never_from_the_data(election):
    data = payload(election, CLEAN_237, source="import")
    outcome = submit(election, data)
    assert outcome.record.source == ProtocolCopy.Source.OBSERVER


def test_oversize_photo_is_refused_with_a_message(election, settings):
    settings.EVIDENCE_MAX_PHOTO_BYTES = 1000
    big = image_bytes("PNG", size=(400, 400))
    big += b"\0" * max(0, 1001 - len(big))
    outcome = submit(
        election,
        payload(election, CLEAN_237),
        photos=[(image_bytes("JPEG"), "image/jpeg"), (big, "image/png")],
    )

    assert not outcome.ok
    assert codes(outcome) == ["file_refused"]
    assert "File 2" in outcome.messages("en")[0] and "MB" in outcome.messages("en")[0]
    submission = Submission.objects.get(pk=outcome.submission.pk)
    assert Rejection.objects.get(submission=submission).code == "file_refused"
    # the refused file is named in the manifest (size, digest) but not stored
    assert submission.payload["attachments"][1]["sha256"] == hashlib.sha256(big).hexdigest()
    assert MediaFile.objects.filter(submission=submission).count() == 1
    assert not ProtocolCopy.objects.exists()


def test_unsupported_file_is_refused_with_a_message(election):
    outcome = submit(
        election,
        payload(election, CLEAN_237),
        photos=[(image_bytes("JPEG"), "image/jpeg"), (b"%PDF-1.4 not a photo", "image/jpeg")],
        language="kk",
    )
    assert codes(outcome) == ["file_refused"]
    problem = outcome.problems[0].as_dict()
    assert problem["field"] == "photos"
    assert problem["messages"]["kk"].startswith("2-файл")
    assert "JPEG" in problem["messages"]["ru"]


def test_a_crash_in_the_checks_still_stores_the_envelope_as_rejected(election, monkeypatch):
    """A bug in the checks must not lose the copy: envelope and photos are kept, rejected."""

    def boom(**kwargs):
        raise RuntimeError("engine crashed")

    monkeypatch.setattr(intake, "protocol_check", boom)
    outcome = submit(election, payload(election, CLEAN_237))
    assert codes(outcome) == ["internal_error"]
    submission = Submission.objects.get()
    assert submission.payload["data"]["station"] == "237"
    assert Rejection.objects.get(submission=submission).code == "internal_error"
    assert MediaFile.objects.filter(submission=submission).count() == 2
    assert not ProtocolCopy.objects.exists()


# --- the same copy sent again -------------------------------------------------------------


def test_a_resend_is_the_same_copy_with_the_first_receipt(election):
    first = submit(election, payload(election, CLEAN_237))
    # the same figures spelt differently, with other photos: still the same copy
    figures = {
        "lines": {k: f"{v:,}".replace(",", " ") for k, v in CLEAN_237["lines"].items()},
        "votes": CLEAN_237["votes"],
    }
    again = submit(election, payload(election, figures), photos=two_pages()[:1], language="en")

    assert again.duplicate_of == first.submission
    assert again.record.pk == first.record.pk
    assert again.submission.pk != first.submission.pk
    assert codes(again) == ["duplicate"]
    assert ProtocolCopy.objects.count() == 1
    assert Submission.objects.count() == 2  # the resend's envelope is kept
    rejection = Rejection.objects.get(submission=again.submission)
    assert rejection.code == "duplicate"
    assert "already received" in rejection.messages["en"]
    # both envelopes carry the same content key; the copy's receipt is the first one
    keys = set(Submission.objects.values_list("dedupe_key", flat=True))
    assert keys == {
        intake.content_key(intake.parse_protocol(election, payload(election, CLEAN_237)))
    }


def test_a_correction_or_another_sender_makes_a_new_copy(election):
    submit(election, payload(election, CLEAN_237))
    corrected = {"lines": {**CLEAN_237["lines"], "L7": 11}, "votes": CLEAN_237["votes"]}
    correction = submit(election, payload(election, corrected))
    other = submit(election, payload(election, CLEAN_237), sender="obs-2")

    assert correction.ok and correction.duplicate_of is None
    assert other.ok and other.duplicate_of is None
    assert ProtocolCopy.objects.count() == 3
    assert not Rejection.objects.exists()


def test_a_recorded_copy_marks_its_station_and_queues_the_recount(election):
    from baqylau.jobs.worker import run_until_idle

    outcome = submit(election, payload(election, CLEAN_237))
    copy = outcome.record
    assert list(PendingRecount.objects.values_list("contest_id", "station_id")) == [
        (copy.contest_id, copy.station_id)
    ]
    assert DBTaskResult.objects.ready().exists()
    assert not StationResult.objects.exists()  # not counted inline

    assert run_until_idle() >= 1
    result = StationResult.objects.get(station=copy.station)
    assert result.status == StationResult.Status.SINGLE and not result.settled
    assert result.copy_ids == [copy.pk]
    assert not PendingRecount.objects.exists()
