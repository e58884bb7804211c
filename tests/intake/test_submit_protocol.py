"""Protocol intake: stored first, parsed, checked, recorded; bad input is never lost."""

from __future__ import annotations

import hashlib
import json

import pytest

from baqylau.evidence.ledger import content_hash
from baqylau.evidence.models import LedgerEntry, MediaFile
from baqylau.intake import services
from baqylau.intake.models import Rejection, Submission
from baqylau.protocols.models import CopyLine, CopyVote, ProtocolCopy

from .factories import CLEAN_237, HIGH_TURNOUT_237, SEED_237, image_bytes, payload, two_pages

pytestmark = pytest.mark.django_db


def submit(election, data, photos=None, language="ru", **kwargs):
    return services.submit_protocol_copy(
        channel=Submission.Channel.API,
        sender="obs-1",
        user=None,
        payload=data,
        photos=two_pages() if photos is None else photos,
        language=language,
        **kwargs,
    )


def test_clean_protocol_is_recorded_and_accepted(election, data_dir):
    result = submit(election, payload(election, CLEAN_237))

    assert result.status == "accepted"
    assert result.findings == ()
    copy = ProtocolCopy.objects.get(pk=result.copy_id)
    assert copy.submission_id == result.submission_id
    assert copy.validation == "accepted" and copy.moderation == "pending"
    assert copy.pages_received == 2
    assert copy.station.code == "237"
    lines = dict(CopyLine.objects.filter(copy=copy).values_list("line", "value"))
    assert lines == CLEAN_237["lines"]
    votes = dict(CopyVote.objects.filter(copy=copy).values_list("choice__code", "votes"))
    assert votes == CLEAN_237["votes"]


def test_submission_payload_and_photos_are_hashed(election, data_dir):
    photos = two_pages()
    result = submit(election, payload(election, CLEAN_237), photos=photos)

    submission = Submission.objects.get(pk=result.submission_id)
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


def test_seed_protocol_237_is_rejected_with_findings_in_three_languages(election):
    result = submit(election, payload(election, SEED_237))

    assert result.status == "rejected"
    copy = ProtocolCopy.objects.get(pk=result.copy_id)
    assert copy.validation == "rejected"
    codes = {(f["code"], f["choice"]) for f in copy.findings}
    assert codes == {
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
    # the sender's language comes first in the result
    assert result.messages("en")[0].startswith("Ballots do not balance")
    assert any("Nur Otan" in m for m in result.messages("en"))
    assert any("«Партия «Nur Otan»»" in m or "Nur Otan" in m for m in result.messages("ru"))


def test_turnout_over_the_policy_needs_review(election):
    result = submit(election, payload(election, HIGH_TURNOUT_237), language="kk")

    assert result.status == "review"
    assert [f["code"] for f in result.findings] == ["turnout_above_threshold"]
    assert "73,7%" in result.messages()[0]  # the sender's language (kk)


def test_missing_page_photo_is_reported(election):
    result = submit(election, payload(election, CLEAN_237), photos=two_pages()[:1])

    assert result.status == "rejected"
    assert [f["code"] for f in result.findings] == ["pages_missing"]
    assert "1 of 2" in result.messages("en")[0]


def test_registered_voters_mismatch_is_flagged(election):
    figures = {"lines": {**CLEAN_237["lines"], "L1": 2180}, "votes": CLEAN_237["votes"]}
    result = submit(election, payload(election, figures))

    assert result.status == "review"
    assert [f["code"] for f in result.findings] == ["registered_voters_mismatch"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"station": "9999"}, "unknown_station"),
        ({"contest": "senate"}, "unknown_contest"),
        ({"election": "no-such-election"}, "unknown_election"),
        ({"votes": {**CLEAN_237["votes"], "communists": 5}}, "unknown_choice"),
        ({"lines": {**CLEAN_237["lines"], "L2": "много"}}, "not_a_number"),
        ({"lines": {**CLEAN_237["lines"], "L7": -3}}, "negative_number"),
        ({"lines": {**CLEAN_237["lines"], "L99": 1}}, "unknown_line"),
    ],
)
def test_bad_input_is_stored_and_rejected_with_a_reason(election, change, code):
    data = {**payload(election, CLEAN_237), **change}
    result = submit(election if "election" not in change else None, data)

    assert result.status == services.INVALID
    assert result.copy_id is None
    assert result.rejection_code == code
    submission = Submission.objects.get(pk=result.submission_id)
    assert submission.payload["data"] == json.loads(json.dumps(data))
    rejection = Rejection.objects.get(submission=submission)
    assert rejection.code == code
    assert set(rejection.messages) == {"kk", "ru", "en"}
    assert all(rejection.messages.values())
    assert len(set(rejection.messages.values())) == 3
    assert not ProtocolCopy.objects.exists()
    # the photos of a rejected submission are kept as well
    assert MediaFile.objects.filter(submission=submission).count() == 2


def test_every_problem_is_reported_at_once(election):
    data = payload(election, CLEAN_237, station="9999")
    data["lines"]["L2"] = "abc"
    result = submit(None, data)
    assert [p["code"] for p in result.problems] == ["unknown_station", "not_a_number"]
    rejection = Rejection.objects.get(submission_id=result.submission_id)
    assert rejection.messages["en"].count("\n") == 1


def test_text_that_is_not_json_is_stored_as_received(election):
    result = submit(None, '{"station": 237,,}', language="en")
    assert result.status == services.INVALID and result.rejection_code == "bad_json"
    submission = Submission.objects.get(pk=result.submission_id)
    assert submission.payload["data"] == '{"station": 237,,}'
    assert "not JSON" in result.messages()[0]


def test_numbers_written_with_spaces_are_read(election):
    figures = {
        "lines": {k: f"{v:,}".replace(",", " ") for k, v in CLEAN_237["lines"].items()},
        "votes": CLEAN_237["votes"],
    }
    result = submit(election, payload(election, figures))
    assert result.status == "accepted"


def test_station_by_id_finds_the_election(election):
    from .factories import station

    data = {
        "station_id": station(election).pk,
        "lines": CLEAN_237["lines"],
        "votes": CLEAN_237["votes"],
    }
    result = submit(None, data)
    assert result.status == "accepted"
    assert Submission.objects.get(pk=result.submission_id).election == election


def test_oversize_photo_is_refused_with_a_message(election, settings):
    settings.EVIDENCE_MAX_PHOTO_BYTES = 1000
    big = image_bytes("PNG", size=(400, 400))
    big += b"\0" * max(0, 1001 - len(big))
    result = submit(
        election,
        payload(election, CLEAN_237),
        photos=[(image_bytes("JPEG"), "image/jpeg"), (big, "image/png")],
    )

    assert result.status == services.INVALID
    assert result.rejection_code == "photo_too_large"
    assert "File 2" in result.messages("en")[0] and "MB" in result.messages("en")[0]
    submission = Submission.objects.get(pk=result.submission_id)
    # the refused file is named in the manifest (size, digest) but not stored
    assert submission.payload["attachments"][1]["sha256"] == hashlib.sha256(big).hexdigest()
    assert MediaFile.objects.filter(submission=submission).count() == 1


def test_unsupported_file_is_refused_with_a_message(election):
    result = submit(
        election,
        payload(election, CLEAN_237),
        photos=[(image_bytes("JPEG"), "image/jpeg"), (b"%PDF-1.4 not a photo", "image/jpeg")],
        language="kk",
    )
    assert result.status == services.INVALID
    assert result.rejection_code == "unsupported_type"
    assert result.problems[0]["messages"]["kk"].startswith("2-файл")
    assert "JPEG" in result.problems[0]["messages"]["ru"]


@pytest.mark.django_db(transaction=True)
def test_submission_is_committed_before_processing_fails(election, monkeypatch):
    """Even if the checks crash, the envelope and photos were committed first."""
    from baqylau.protocols import services as protocol_services

    def boom(**kwargs):
        raise RuntimeError("engine crashed")

    monkeypatch.setattr(protocol_services, "protocol_copy_record", boom)
    with pytest.raises(RuntimeError):
        submit(election, payload(election, CLEAN_237))
    submission = Submission.objects.get()
    assert submission.payload["data"]["station"] == "237"
    assert MediaFile.objects.filter(submission=submission).count() == 2
    assert not ProtocolCopy.objects.exists()
