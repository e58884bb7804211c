"""The tamper test: every record a published figure or a legal document rests on is in the ledger.

A scene is built through the platform's own paths (the reports API, the protocol intake, the
moderators' services, the importer of official results, the tally's recount job), then the
database is changed behind the platform's back, as an outsider with database access would:
each kind of ledgered record and evidence file is changed, deleted, and inserted, and
`ledger verify` must fail and name every one. Rewriting the whole chain with its stored digest is
found through the signed checkpoints kept outside the database.
"""

from __future__ import annotations

import io
import json

import pytest
from django.utils import timezone
from PIL import Image
from typer.testing import CliRunner

from baqylau.crowd.models import CrowdCount
from baqylau.elections.importing import mapping_from_dict, run_import
from baqylau.elections.models import (
    Contest,
    Election,
    OfficialLine,
    OfficialResult,
    OfficialVote,
)
from baqylau.evidence import checkpoints, ledger
from baqylau.evidence.cli import ledger_app
from baqylau.evidence.models import LedgerDigest, LedgerEntry, LedgerHead, MediaFile
from baqylau.evidence.services import resolve
from baqylau.intake.models import Rejection, Submission
from baqylau.moderation import services as moderation
from baqylau.moderation.models import Decision, IncidentDecision
from baqylau.protocols import services as protocol_services
from baqylau.protocols.intake import submit_protocol_copy
from baqylau.protocols.models import CopyLine, CopyVote, ElectionPolicy, ProtocolCopy
from baqylau.reports.models import CheckIn, ChecklistAnswer, Incident, Note, TurnoutCount
from baqylau.tally.models import PendingRecount, StationResult
from baqylau.tally.services import recount_pending
from tests.elections import helpers as import_helpers
from tests.intake.factories import CLEAN_237, make_election, payload, two_pages
from tests.observers.factories import build_world
from tests.reports.test_api import post

pytestmark = pytest.mark.django_db


def jpeg(colour=(10, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "JPEG")
    return out.getvalue()


class Scene:
    """Records of every ledgered kind, made through the platform."""

    def __init__(self, client, tmp_path):
        from baqylau.reports.forms import load_form

        self.world = world = build_world()
        # reports of every kind, through the API (one with a photo), and two rejections
        for kind, body in [
            ("checkin", {"station": "237", "status": "admitted", "at": "07:05"}),
            ("turnout", {"station": "237", "at": "10:30", "count": 41}),
            ("turnout", {"station": "237", "at": "12:30", "count": 90}),
            ("note", {"station": "237", "text": "Queue outside since 07:00"}),
            ("note", {"station": "237", "text": "Second note"}),
            ("checkin", {"station": "237", "status": "left", "at": "22:05"}),
        ]:
            assert post(client, world, kind, body).status_code == 201
        answers = {q["code"]: True for q in load_form("opening")["questions"]}
        assert (
            post(
                client,
                world,
                "checklist",
                {"station": "237", "form": "opening", "answers": answers},
            ).status_code
            == 201
        )
        for text in ("first incident", "second incident"):
            r = client.post(
                "/api/v1/reports/incident",
                data={
                    "station": "237",
                    "violation": "stuffing",
                    "text": text,
                    "photos": [io.BytesIO(jpeg((len(text), 10, 10)))],
                },
                HTTP_AUTHORIZATION=f"Bearer {world.tokens['obs_a1']}",
            )
            assert r.status_code == 201, r.content
        for station in ("999", "998", "997"):
            body = {"station": station, "at": "10:30", "count": 1}
            assert post(client, world, "turnout", body).status_code == 422

        # protocol copies: two senders agree at 237; one copy at 441, accepted, one rejected
        self.election = make_election()
        protocol_services.election_policy_set(
            election=self.election, validation={"turnout_review_above": 0.7}
        )
        for sender in ("obs-1", "obs-2"):
            outcome = submit_protocol_copy(
                channel=Submission.Channel.API,
                sender=sender,
                source=ProtocolCopy.Source.OBSERVER,
                payload=payload(self.election, CLEAN_237),
                photos=two_pages(),
            )
            assert outcome.ok, outcome.problems
        for sender in ("obs-3", "obs-4"):
            outcome = submit_protocol_copy(
                channel=Submission.Channel.API,
                sender=sender,
                source=ProtocolCopy.Source.OBSERVER,
                payload=payload(self.election, CLEAN_237, station_code="441"),
                photos=(),
            )
            assert outcome.ok, outcome.problems
        copies = list(ProtocolCopy.objects.filter(station__code="441").order_by("pk"))
        moderator = world.users["moderator"]
        moderation.decision_create(copy=copies[0], moderator=moderator, verdict="accept")
        from baqylau.moderation.models import RejectReason

        moderation.decision_create(
            copy=copies[1],
            moderator=moderator,
            verdict="reject",
            reason=RejectReason.objects.filter(active=True).first(),
        )
        for incident in Incident.objects.order_by("pk"):
            moderation.incident_decide(
                incident=incident, moderator=moderator, verdict="confirm", reason="evidence"
            )

        # the recounts the intake and the decisions queued (what the recount job does; the
        # worker itself closes the test's connection on PostgreSQL)
        for contest in Contest.objects.filter(pk__in=PendingRecount.objects.values("contest")):
            recount_pending(contest)
        assert StationResult.objects.count() >= 2
        # official results, through the importer (its jobs are left queued: they recount an
        # election with no copies, and its forensic report needs more stations than 4)
        report = run_import(
            import_helpers.write_csv(tmp_path / "official.csv"), import_helpers.mapping()
        )
        assert report.ok
        # a crowd platform's counts, through the importer with a crowd mapping
        crowd = tmp_path / "crowd.csv"
        crowd.write_text(
            "region_code,district,station,alpha-alphaeva_registered,alpha-alphaeva_photo\n"
            "01,Kokshetau,1,450,410\n01,Kokshetau,2,20,\n",
            encoding="utf-8",
        )
        crowd_mapping = {
            **{k: import_helpers.MAPPING[k] for k in ("election", "contest")},
            "units": {"root": {"code": "KZ"}, "levels": [
                {"kind": "region", "code": "region_code"}, {"kind": "district", "code": "district"},
                {"kind": "station", "code": "station"}]},
            "crowd": {"source": "platform", "declared": "{code}_registered",
                      "photo": "{code}_photo"},
            "choices": [{"column": "x", "code": "alpha-alphaeva"}],
        }  # fmt: skip
        report = run_import(crowd, mapping_from_dict(crowd_mapping))
        assert report.ok, report.problems
        self.checkpoint = checkpoints.write_checkpoint(force=True)

    @staticmethod
    def ref(obj) -> str:
        return ledger.ref_for(obj)


@pytest.fixture
def scene(client, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.SMS_GATEWAY_SECRET = "s3cret"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return Scene(client, tmp_path)


def verify():
    return ledger.verify(checkpoints=checkpoints.checkpoint_file())


def named(report, ref: str, codes: set[str]) -> bool:
    return any(p.ref == ref and p.code in codes for p in report.problems)


def unrecorded(report, label: str, pk) -> bool:
    return any(
        p.code == "unrecorded" and p.ref == label and str(pk) in p.message for p in report.problems
    )


def test_the_scene_is_fully_ledgered_and_verify_passes(scene):
    report = verify()
    assert report.ok, [p.message for p in report.problems]
    assert report.checkpoints_checked == 1
    assert report.results_checked == StationResult.objects.count()
    for label in ledger.TRACKED_MODELS:
        from django.apps import apps

        model = apps.get_model(label)
        assert model.objects.exists(), f"the scene has no {label}"
    # a copy's content carries its figures; the moderation state follows the decision
    copy = ProtocolCopy.objects.filter(moderation="rejected").get()
    entries = LedgerEntry.objects.filter(ref=ledger.ref_for(copy)).order_by("seq")
    assert [e.content["moderation"] for e in entries] == ["pending", "rejected"]
    assert entries.last().content["lines"] == {
        line.line: line.value for line in CopyLine.objects.filter(copy=copy)
    }
    result = OfficialResult.objects.first()
    entry = LedgerEntry.objects.filter(ref=ledger.ref_for(result)).last()
    assert entry.kind == "official"
    assert entry.content["votes"] == {
        str(v.choice_id): v.votes for v in OfficialVote.objects.filter(result=result)
    }


def test_every_change_is_named(scene):
    changed: list[tuple[str, object]] = []  # (ref, what) expected to be named

    def update(model, obj, **values):
        model.objects.filter(pk=obj.pk).update(**values)
        changed.append(ledger.ref_for(obj))

    submission = Submission.objects.filter(kind="turnout").first()
    update(Submission, submission, payload={"report": "turnout", "data": {"count": 4100}})
    update(Rejection, Rejection.objects.first(), code="duplicate")
    update(MediaFile, MediaFile.objects.filter(submission__kind="incident").first(), size=1)
    update(CheckIn, CheckIn.objects.first(), status="removed", reason="forged")
    update(TurnoutCount, TurnoutCount.objects.first(), observer_count=4100)
    first, second = Incident.objects.order_by("pk")
    update(Incident, first, text="something else")
    from baqylau.reports.models import ViolationType

    other = ViolationType.objects.exclude(pk=second.violation_id).first()
    update(Incident, second, violation=other)
    update(ChecklistAnswer, ChecklistAnswer.objects.first(), answer=False)
    update(Note, Note.objects.first(), text="rewritten")
    pending = list(ProtocolCopy.objects.filter(moderation="pending").order_by("pk"))
    update(ProtocolCopy, pending[0], moderation="rejected")  # rejected with no decision
    vote = CopyVote.objects.filter(copy=pending[1]).first()
    CopyVote.objects.filter(pk=vote.pk).update(votes=vote.votes + 1000)
    changed.append(ledger.ref_for(pending[1]))
    update(Decision, Decision.objects.first(), note="backdated")
    update(IncidentDecision, IncidentDecision.objects.first(), reason="no_evidence")
    update(ElectionPolicy, ElectionPolicy.objects.first(), auto_accept_valid=True)
    results = list(OfficialResult.objects.order_by("pk")[:2])
    line = OfficialLine.objects.filter(result=results[0]).first()
    OfficialLine.objects.filter(pk=line.pk).update(value=line.value + 7)
    changed.append(ledger.ref_for(results[0]))
    update(OfficialResult, results[1], source="forged.csv")
    update(CrowdCount, CrowdCount.objects.order_by("pk").first(), photo=449)
    station_result = StationResult.objects.filter(status="agreed").first()
    StationResult.objects.filter(pk=station_result.pk).update(lines={"L1": 1})
    # the bytes of an evidence file
    photo = MediaFile.objects.filter(submission__kind="incident").last()
    resolve(photo.original).write_bytes(jpeg((1, 2, 3)))

    report = verify()
    assert not report.ok
    for ref in changed:
        assert named(report, ref, {"record_changed"}), (ref, [p.message for p in report.problems])
    assert named(
        report,
        f"tally.stationresult:{station_result.contest_id}/{station_result.station_id}",
        {"result_changed"},
    )
    assert named(report, ledger.ref_for(photo), {"file_changed"})
    # the figure that changed is said
    message = next(p.message for p in report.problems if p.ref == ledger.ref_for(pending[1]))
    assert "votes" in message


def test_every_deletion_is_named(scene):
    gone: list[str] = []

    def delete(obj):
        gone.append(ledger.ref_for(obj))
        type(obj).objects.filter(pk=obj.pk).delete()

    rejections = list(Rejection.objects.select_related("submission").order_by("pk"))
    envelope = rejections[0].submission
    gone.append(ledger.ref_for(rejections[0]))
    delete(envelope)  # the envelope with its rejection
    delete(rejections[1])
    media = MediaFile.objects.filter(submission__kind="incident").first()
    delete(media)
    photo = MediaFile.objects.filter(submission__kind="incident").last()
    resolve(photo.original).unlink()
    delete(CheckIn.objects.first())
    delete(TurnoutCount.objects.first())
    incident = Incident.objects.first()
    gone += [ledger.ref_for(d) for d in IncidentDecision.objects.filter(incident=incident)]
    delete(incident)
    delete(ChecklistAnswer.objects.first())
    delete(Note.objects.first())
    copy = ProtocolCopy.objects.filter(decisions__isnull=False).first()
    gone += [ledger.ref_for(d) for d in Decision.objects.filter(copy=copy)]
    delete(copy)
    other_copy = ProtocolCopy.objects.filter(moderation="pending").first()
    CopyLine.objects.filter(copy=other_copy).first().delete()
    delete(Decision.objects.first())
    delete(ElectionPolicy.objects.first())
    results = list(OfficialResult.objects.order_by("pk")[:2])
    delete(results[0])
    OfficialVote.objects.filter(result=results[1]).first().delete()
    station_result = StationResult.objects.filter(status="agreed").first()
    station_result.delete()

    report = verify()
    assert not report.ok
    for ref in gone:
        assert named(report, ref, {"record_deleted"}), (ref, [p.message for p in report.problems])
    assert named(report, ledger.ref_for(other_copy), {"record_changed"})
    assert named(report, ledger.ref_for(results[1]), {"record_changed"})
    assert named(
        report,
        f"tally.stationresult:{station_result.contest_id}/{station_result.station_id}",
        {"result_missing"},
    )
    assert named(report, ledger.ref_for(photo), {"file_missing"})


def test_every_insertion_is_named(scene):
    s = scene
    world = s.world
    observer = world.observers["A1"]
    station = world.stations["237"]
    now = timezone.now()
    submission = Submission.objects.create(
        channel="api", kind="turnout", sender="forger", payload={}, payload_sha256="0" * 64
    )
    rejection = Rejection.objects.create(submission=submission, code="forged")
    media = MediaFile.objects.create(
        submission=submission, sha256="1" * 64, content_type="image/jpeg", size=1, original="x"
    )
    common = {
        "election": world.election,
        "observer": observer,
        "station": station,
        "received_at": now,
    }

    def envelope():
        return Submission.objects.create(
            channel="api", kind="note", sender="forger", payload={}, payload_sha256="0" * 64
        )

    checkin = CheckIn.objects.create(submission=envelope(), status="admitted", at=now, **common)
    turnout = TurnoutCount.objects.create(
        submission=envelope(), at=now, observer_count=5000, **common
    )
    from baqylau.reports.models import ViolationType

    incident = Incident.objects.create(
        submission=envelope(), violation=ViolationType.objects.first(), occurred_at=now, **common
    )
    answer = ChecklistAnswer.objects.create(
        submission=envelope(), form="opening", form_version=1, question="q", answer=True, **common
    )
    note = Note.objects.create(submission=envelope(), text="planted", **common)
    existing = ProtocolCopy.objects.filter(station__code="237").first()
    copy = ProtocolCopy.objects.create(
        submission=envelope(),
        contest=existing.contest,
        station=existing.station,
        source="observer",
        source_ref="forger",
        received_at=now,
        checks="passed",
    )
    CopyLine.objects.create(copy=copy, line="L1", value=5)
    pending = ProtocolCopy.objects.filter(moderation="pending").exclude(pk=copy.pk).first()
    CopyLine.objects.create(copy=pending, line="L99", value=5)  # a line added to a copy
    moderator = world.users["moderator"]
    decision = Decision.objects.create(copy=existing, verdict="accept", moderator=moderator)
    incident_decision = IncidentDecision.objects.create(
        incident=Incident.objects.first(), verdict="reject", reason="duplicate", moderator=moderator
    )
    policy = ElectionPolicy.objects.create(election=world.election, auto_accept_valid=True)
    imported = Election.objects.get(code="t2024")
    result = OfficialResult.objects.create(
        contest=imported.contests.first(),
        unit=world.stations["300"],
        source="planted",
    )
    existing_result = OfficialResult.objects.first()
    OfficialLine.objects.create(result=existing_result, line="L99", value=1)
    planted = StationResult.objects.create(
        contest=world.contest, station=world.stations["300"], status="agreed", lines={"L1": 1}
    )

    report = verify()
    assert not report.ok
    for label, obj in [
        ("intake.submission", submission),
        ("intake.rejection", rejection),
        ("evidence.mediafile", media),
        ("reports.checkin", checkin),
        ("reports.turnoutcount", turnout),
        ("reports.incident", incident),
        ("reports.checklistanswer", answer),
        ("reports.note", note),
        ("protocols.protocolcopy", copy),
        ("moderation.decision", decision),
        ("moderation.incidentdecision", incident_decision),
        ("protocols.electionpolicy", policy),
        ("elections.officialresult", result),
    ]:
        assert unrecorded(report, label, obj.pk), (label, [p.message for p in report.problems])
    assert named(report, ledger.ref_for(pending), {"record_changed"})
    assert named(report, ledger.ref_for(existing_result), {"record_changed"})
    assert named(
        report,
        f"tally.stationresult:{planted.contest_id}/{planted.station_id}",
        {"result_unfounded"},
    )


def _rewrite_chain() -> None:
    """What an outsider with database access can do: rebuild the whole chain (and its stored
    digest) over the records as they are now, after changing one."""
    LedgerEntry.objects.all().delete()  # a queryset delete: the model's guard is no obstacle
    LedgerDigest.objects.all().delete()
    LedgerHead.objects.filter(pk=1).update(seq=0, entry_hash="0" * 64)
    from django.apps import apps

    ledger.record_pks(
        {
            apps.get_model(label): list(apps.get_model(label).objects.values_list("pk", flat=True))
            for label in ledger.TRACKED_MODELS
        }
    )
    ledger.publish_digest()


def test_a_rewritten_chain_with_its_digest_is_found_by_the_checkpoints(scene):
    ledger.publish_digest()
    signed = scene.checkpoint
    TurnoutCount.objects.filter(pk=TurnoutCount.objects.first().pk).update(observer_count=4100)
    _rewrite_chain()

    inside = ledger.verify()  # the database alone agrees with itself now
    assert inside.ok, [p.message for p in inside.problems]
    report = verify()
    assert not report.ok
    problem = next(p for p in report.problems if p.code.startswith("checkpoint_"))
    assert problem.code in {"checkpoint_mismatch", "checkpoint_ahead"}
    assert problem.seq == signed["seq"] and signed["at"] in problem.message

    # the CLI says the same and exits non-zero; a forged checkpoint line is named too
    path = checkpoints.checkpoint_file()
    forged = dict(json.loads(path.read_text().splitlines()[-1]))
    forged["head_hash"] = ledger.head()[1]
    with path.open("a") as handle:
        handle.write(json.dumps(forged) + "\n")
    result = CliRunner().invoke(ledger_app, ["verify", "--against", str(path)])
    assert result.exit_code == 1
    assert "checkpoint_" in result.output and "checkpoint_forged" in result.output


def test_checkpoints_are_signed_appended_and_served(scene, client):
    path = checkpoints.checkpoint_file()
    assert path.parent.name == "ledger-checkpoints"
    first = checkpoints.latest()
    assert checkpoints.signature_valid(first)
    assert checkpoints.write_checkpoint() is None  # the head has not moved
    post(client, scene.world, "note", {"station": "237", "text": "one more"})
    second = checkpoints.write_checkpoint()
    assert second["seq"] > first["seq"] and second["key"] == first["key"]
    lines = path.read_text().splitlines()
    assert [json.loads(line) for line in lines] == [first, second]
    assert (path.parent.parent / "ledger_signing_key").stat().st_mode & 0o777 == 0o600

    served = client.get("/ledger/checkpoints.jsonl")
    assert served.status_code == 200
    assert served.content.decode().splitlines() == lines
    digest = client.get("/ledger/digest.json").json()
    assert digest["checkpoints"]["public_key"] == first["key"]
    assert digest["checkpoints"]["latest"] == second
    # the periodic job is on the schedule and writes one
    from baqylau.jobs.registry import SCHEDULE

    assert any(entry.name == "ledger.checkpoint" for entry in SCHEDULE)
    # a checkpoint by an unknown key is refused when our key is trusted
    assert verify().ok
    report = ledger.verify(checkpoints=path, keys=["AAAA" + first["key"][4:]])
    assert "checkpoint_untrusted" in report.codes()


def test_ledger_digest_command_writes_a_checkpoint(scene):
    before = len(checkpoints.checkpoint_file().read_text().splitlines())
    result = CliRunner().invoke(ledger_app, ["digest"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["checkpoint"]["seq"] == data["sequence"]
    assert len(checkpoints.checkpoint_file().read_text().splitlines()) == before + 1
    ok = CliRunner().invoke(ledger_app, ["verify"])
    assert ok.exit_code == 0, ok.output
    assert "checkpoints compared" in ok.output


def test_a_moderators_choice_of_a_disputed_figure_cannot_be_changed_silently(scene):
    from baqylau.tally.models import Conflict
    from tests.intake.factories import HIGH_TURNOUT_237

    outcome = submit_protocol_copy(
        channel=Submission.Channel.API,
        sender="obs-5",
        source=ProtocolCopy.Source.OBSERVER,
        payload=payload(scene.election, HIGH_TURNOUT_237),
        photos=two_pages(),
    )
    assert outcome.record is not None
    moderator = scene.world.users["moderator"]
    first = ProtocolCopy.objects.get(source_ref="obs-1")
    for copy in (first, outcome.record):  # two accepted copies that disagree
        moderation.decision_create(copy=copy, moderator=moderator, verdict="accept")
    recount_pending(first.contest)
    conflict = Conflict.objects.filter(result__station=first.station).order_by("pk").first()
    chosen = conflict.values[0]["value"]
    moderation.conflict_resolve(
        conflict=conflict, value=chosen, reason="the photo shows it", moderator=moderator
    )
    recount_pending(first.contest)
    assert verify().ok, [p.message for p in verify().problems]

    resolved = Conflict.objects.get(result__station=first.station, resolved_value=chosen)
    Conflict.objects.filter(pk=resolved.pk).update(resolved_value=chosen + 500)
    report = verify()
    assert named(report, f"tally.conflict:{resolved.pk}", {"resolution_unrecorded"})
    result = StationResult.objects.get(contest=first.contest, station=first.station)
    assert named(
        report, f"tally.stationresult:{result.contest_id}/{result.station_id}", {"result_changed"}
    )
