"""The hash-chained ledger: appends, verification, tampering of every kind, concurrency."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from django.contrib.auth.models import User
from django.db import connection, connections
from django.utils import timezone
from typer.testing import CliRunner

from baqylau.elections.models import AdminUnit, Contest, Election
from baqylau.evidence import ledger
from baqylau.evidence.cli import ledger_app
from baqylau.evidence.models import GENESIS_HASH, LedgerDigest, LedgerEntry
from baqylau.evidence.services import store_media
from baqylau.intake.models import Submission
from baqylau.moderation.models import Decision
from baqylau.protocols.models import ProtocolCopy
from baqylau.tally.services import recount

from .conftest import jpeg_bytes, picture

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.evidence.urls")]


@pytest.fixture
def decision(make_submission):
    election = Election.objects.create(
        code="kz-test", date=dt.date(2019, 6, 9), kind="presidential", country="KZ"
    )
    contest = Contest.objects.create(
        election=election, code="president", kind="presidential", protocol_form="kz_president"
    )
    station = AdminUnit.objects.create(
        election=election, kind="station", code="237", path="237", registered_voters=2000
    )
    submission = make_submission(election=election)
    ledger.record_submission(submission)
    copy = ProtocolCopy.objects.create(
        submission=submission,
        contest=contest,
        station=station,
        source="observer",
        received_at=timezone.now(),
        checks="passed",
    )
    ledger.record(copy)  # what the intake writer does for every copy it stores
    recount(contest)  # and the station's result the recount derives from it
    moderator = User.objects.create_user("mod")
    made = Decision.objects.create(
        copy=copy, verdict="accept", note="figures add up", moderator=moderator
    )
    ledger.record_decision(made)
    return made


@pytest.fixture
def filled(data_dir, make_submission, decision):
    """A ledger with submissions, a photo and a decision, all recorded."""
    submissions = [make_submission(payload={"data": {"station": str(n)}}) for n in range(3)]
    for submission in submissions:
        ledger.record_submission(submission)
    media = store_media(submissions[0], jpeg_bytes(picture(11, (400, 300))), page=1)
    return {"submissions": submissions, "media": media, "decision": decision}


def codes(report) -> set[str]:
    return {p.code for p in report.problems}


def test_entries_form_a_chain_and_verify_passes(filled):
    entries = list(LedgerEntry.objects.order_by("seq"))
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert entries[0].prev_hash == GENESIS_HASH
    for before, after in zip(entries, entries[1:], strict=False):
        assert after.prev_hash == before.entry_hash
    assert {e.kind for e in entries} == {"submission", "media", "protocol", "decision"}
    assert ledger.head() == (entries[-1].seq, entries[-1].entry_hash)

    report = ledger.verify()
    assert report.ok, report.problems
    assert report.entries == len(entries)
    assert report.records_checked == len(entries)
    assert report.files_checked == 2  # the original and the display copy


def test_the_chain_can_be_recomputed_from_the_documented_scheme(filled):
    """An outside verifier needs only the rows and the scheme in the module docstring."""
    import hashlib

    prev = "0" * 64
    for entry in LedgerEntry.objects.order_by("seq"):
        content = json.dumps(
            entry.content, sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )
        assert hashlib.sha256(content.encode()).hexdigest() == entry.content_hash
        created = entry.created_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        fields = [prev, entry.seq, entry.kind, entry.ref, entry.content_hash, created]
        text = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
        assert hashlib.sha256(text.encode()).hexdigest() == entry.entry_hash
        prev = entry.entry_hash


def test_recording_is_idempotent_and_the_submission_content_is_as_documented(filled):
    submission = filled["submissions"][0]
    first = ledger.record_submission(submission)
    assert ledger.record_submission(submission).pk == first.pk
    assert set(first.content) == {
        "id",
        "election",
        "channel",
        "kind",
        "sender",
        "received_at",
        "language",
        "payload_sha256",
        "payload_canonical_sha256",
    }
    assert first.content["payload_sha256"] == submission.payload_sha256


def test_a_changed_submission_payload_is_named(filled):
    submission = filled["submissions"][1]
    Submission.objects.filter(pk=submission.pk).update(payload={"data": {"station": "999"}})
    report = ledger.verify()
    assert codes(report) == {"record_changed"}
    (problem,) = report.problems
    assert problem.ref == f"intake.submission:{submission.pk}"
    assert "payload_canonical_sha256" in problem.message


def test_a_changed_decision_is_named(filled):
    decision = filled["decision"]
    later = decision.decided_at + dt.timedelta(hours=3)
    Decision.objects.filter(pk=decision.pk).update(note="backdated", decided_at=later)
    report = ledger.verify()
    assert codes(report) == {"record_changed"}
    assert report.problems[0].ref == f"moderation.decision:{decision.pk}"
    assert "decided_at" in report.problems[0].message and "note" in report.problems[0].message


def test_a_deleted_decision_is_named(filled):
    decision = filled["decision"]
    Decision.objects.filter(pk=decision.pk).delete()
    report = ledger.verify()
    assert codes(report) == {"record_deleted"}
    assert str(decision.pk) in report.problems[0].message


def test_a_changed_media_byte_is_named(filled, data_dir):
    media = filled["media"]
    path = data_dir / media.original
    path.chmod(0o640)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    report = ledger.verify()
    assert codes(report) == {"file_changed"}
    assert report.problems[0].ref == f"evidence.mediafile:{media.pk}"
    assert media.original in report.problems[0].message
    assert ledger.verify(check_files=False).ok


def test_a_missing_media_file_is_named(filled, data_dir):
    (data_dir / filled["media"].display).unlink()
    assert codes(ledger.verify()) == {"file_missing"}


def test_a_deleted_ledger_row_is_named(filled):
    LedgerEntry.objects.filter(seq=3).delete()  # a raw DELETE, as an intruder would do
    report = ledger.verify()
    assert "entries_missing" in codes(report)
    assert any("#3" in p.message for p in report.problems if p.code == "entries_missing")


def test_a_deleted_last_row_is_named(filled):
    last = LedgerEntry.objects.order_by("-seq").first()
    LedgerEntry.objects.filter(pk=last.pk).delete()
    report = ledger.verify()
    assert "entries_missing" in codes(report)
    assert any(f"#{last.seq}" in p.message for p in report.problems)


def test_reordered_rows_are_named(filled):
    a, b = LedgerEntry.objects.filter(seq__in=[2, 3]).order_by("seq")
    LedgerEntry.objects.filter(pk=a.pk).update(seq=1000)
    LedgerEntry.objects.filter(pk=b.pk).update(seq=2)
    LedgerEntry.objects.filter(pk=a.pk).update(seq=3)
    report = ledger.verify()
    assert {"entry_altered", "chain_broken"} <= codes(report)
    assert {p.seq for p in report.problems if p.code == "entry_altered"} == {2, 3}


def test_an_edited_ledger_row_is_named(filled):
    entry = LedgerEntry.objects.get(seq=2)
    LedgerEntry.objects.filter(pk=entry.pk).update(content={**entry.content, "sender": "x"})
    assert "entry_content_altered" in codes(ledger.verify())


def test_rewritten_history_contradicts_a_published_digest(filled, make_submission):
    digest = ledger.publish_digest()
    assert (digest.seq, digest.head_hash) == ledger.head()
    # an intruder rewrites entry #2 and every later one consistently, and moves the head
    entries = list(LedgerEntry.objects.filter(seq__gte=2).order_by("seq"))
    LedgerEntry.objects.filter(seq__gte=2).delete()
    LedgerEntry.objects.filter(seq=1).first()
    from baqylau.evidence.models import LedgerHead

    head = LedgerHead.objects.get(pk=1)
    head.seq, head.entry_hash = 1, LedgerEntry.objects.get(seq=1).entry_hash
    head.save()
    for entry in entries:
        content = {**entry.content, "forged": True}
        ledger.append(entry.kind, entry.ref, content)
    report = ledger.verify(check_records=False, check_unrecorded=False)
    assert codes(report) == {"digest_mismatch"}


def test_unrecorded_records_are_reported(filled, make_submission):
    stray = make_submission()  # inserted without the ledger
    report = ledger.verify()
    assert codes(report) == {"unrecorded"}
    assert str(stray.pk) in report.problems[0].message


def test_record_many_for_bulk_imports(data_dir, make_submission):
    submissions = [make_submission(payload={"n": n}) for n in range(25)]
    created = ledger.record_many(submissions, kind="submission")
    assert [e.seq for e in created] == list(range(1, 26))
    assert ledger.record_many(submissions, kind="submission") == []
    assert ledger.verify().ok


def test_cli_verify_and_digest(filled, client):
    runner = CliRunner()
    result = runner.invoke(ledger_app, ["verify"])
    assert result.exit_code == 0, result.output
    assert "intact" in result.output

    result = runner.invoke(ledger_app, ["digest"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert (printed["sequence"], printed["head_hash"]) == ledger.head()
    assert LedgerDigest.objects.count() == 1

    response = client.get("/ledger/digest.json")
    assert response.status_code == 200
    assert response.json()["latest"]["head_hash"] == printed["head_hash"]

    Submission.objects.filter(pk=filled["submissions"][0].pk).update(sender="someone-else")
    result = runner.invoke(ledger_app, ["verify", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert not report["ok"] and report["problems"][0]["code"] == "record_changed"


def test_the_ledger_refuses_edits_through_the_orm(filled):
    entry = LedgerEntry.objects.first()
    entry.kind = "other"
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_valid_chain(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    workers, each = 6, 15
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for n in range(each):
                ledger.append("document", f"doc:{worker}-{n}", {"worker": worker, "n": n})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    if connection.vendor == "postgresql":
        threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    else:  # SQLite's test database is in memory: one connection, so sequential
        for w in range(workers):
            work(w)
    assert not errors, errors
    seqs = list(LedgerEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, workers * each + 1))
    report = ledger.verify(check_unrecorded=False)
    assert report.ok, report.problems
