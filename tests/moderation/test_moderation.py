"""Moderation: decisions with reasons from the catalogue, the reviewer lock, bulk acceptance,
conflicts, violation reports, the pages, intake statistics."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from baqylau.evidence.models import LedgerEntry, MediaFile
from baqylau.intake.models import Submission
from baqylau.jobs.worker import run_until_idle
from baqylau.moderation import selectors, services
from baqylau.moderation.models import Decision, IncidentDecision, RejectReason
from baqylau.observers.models import AuditEvent
from baqylau.protocols.intake import submit_protocol_copy
from baqylau.protocols.models import ProtocolCopy
from baqylau.reports.models import Incident
from baqylau.tally.models import Conflict, PendingRecount, StationResult
from tests.intake.factories import (
    CLEAN_237,
    HIGH_TURNOUT_237,
    SEED_237,
    payload,
    two_pages,
)

pytestmark = pytest.mark.django_db

_senders = itertools.count(1)


def submit(election, figures, station="237", photos=None, sender=None):
    """A copy from an observer of its own (by default), through the protocol intake."""
    return submit_protocol_copy(
        channel=Submission.Channel.TELEGRAM,
        sender=sender or f"obs-{next(_senders)}",
        source=ProtocolCopy.Source.OBSERVER,
        payload=payload(election, figures, station_code=station),
        photos=two_pages() if photos is None else photos,
    )


def copy_of(outcome) -> ProtocolCopy:
    return ProtocolCopy.objects.get(pk=outcome.record.pk)


#: CLEAN_237 with five votes moved from one party to another: it passes the checks too, and
#: disagrees with CLEAN_237 on two choices.
MOVED_237 = {
    "lines": CLEAN_237["lines"],
    "votes": {**CLEAN_237["votes"], "npk": 95, "adal": 55},
}


@pytest.fixture
def moderator(db):
    user = User.objects.create_user("aigerim", password="pw")
    user.user_permissions.add(Permission.objects.get(codename="change_protocolcopy"))
    return User.objects.get(pk=user.pk)


@pytest.fixture
def second_moderator(db):
    user = User.objects.create_user("dauren", password="pw")
    user.groups.add(Group.objects.get_or_create(name="moderator")[0])
    return user


@pytest.fixture
def copy(election):
    return copy_of(submit(election, SEED_237))


def reason(code):
    return RejectReason.objects.get(code=code)


def test_the_reject_reason_catalogue_is_seeded():
    codes = set(RejectReason.objects.values_list("code", flat=True))
    assert codes >= {
        "only_one_page",
        "no_commission_members",
        "figures_do_not_add_up",
        "turnout_over_limit",
        "illegible_photo",
        "duplicate",
        "wrong_station",
        "other",
    }
    for r in RejectReason.objects.all():
        assert r.name_kk and r.name_ru and r.name_en


def test_accept_records_a_decision_and_releases_the_lock(copy, moderator):
    assert services.copy_lock(copy=copy, moderator=moderator)
    decision = services.decision_create(copy=copy, moderator=moderator, verdict="accept")

    copy.refresh_from_db()
    assert copy.moderation == "accepted"
    assert copy.locked_by is None and copy.locked_until is None
    assert decision.reason is None
    assert LedgerEntry.objects.filter(ref=f"moderation.decision:{decision.pk}").exists()


def test_reject_needs_a_reason(copy, moderator):
    with pytest.raises(ValidationError):
        services.decision_create(copy=copy, moderator=moderator, verdict="reject")
    assert not Decision.objects.exists()
    services.decision_create(
        copy=copy,
        moderator=moderator,
        verdict="reject",
        reason=reason("figures_do_not_add_up"),
        note="sum of parties 16020 > 624 voters",
    )
    copy.refresh_from_db()
    assert copy.moderation == "rejected"


def test_a_new_decision_supersedes_without_editing(copy, moderator):
    first = services.decision_create(
        copy=copy, moderator=moderator, verdict="reject", reason=reason("illegible_photo")
    )
    services.decision_create(copy=copy, moderator=moderator, verdict="accept")
    copy.refresh_from_db()
    assert copy.moderation == "accepted"
    assert Decision.objects.filter(copy=copy).count() == 2
    first.refresh_from_db()
    assert first.verdict == "reject"


def test_lock_keeps_a_second_moderator_out(copy, moderator, second_moderator):
    assert services.copy_lock(copy=copy, moderator=moderator)
    other = ProtocolCopy.objects.get(pk=copy.pk)
    assert not services.copy_lock(copy=other, moderator=second_moderator)
    assert other.locked_by == moderator
    with pytest.raises(services.CopyLocked):
        services.decision_create(copy=other, moderator=second_moderator, verdict="accept")
    assert not Decision.objects.exists()
    # the first moderator may extend their own lock and decide
    assert services.copy_lock(copy=copy, moderator=moderator)
    services.decision_create(copy=copy, moderator=moderator, verdict="accept")


def test_expired_lock_can_be_taken_over(copy, moderator, second_moderator):
    services.copy_lock(copy=copy, moderator=moderator)
    ProtocolCopy.objects.filter(pk=copy.pk).update(
        locked_until=timezone.now() - timedelta(seconds=1)
    )
    assert services.copy_lock(copy=copy, moderator=second_moderator)
    copy.refresh_from_db()
    assert copy.locked_by == second_moderator


def test_unlock_only_releases_ones_own_lock(copy, moderator, second_moderator):
    services.copy_lock(copy=copy, moderator=moderator)
    assert not services.copy_unlock(copy=copy, moderator=second_moderator)
    assert services.copy_unlock(copy=copy, moderator=moderator)
    assert services.copy_lock(copy=copy, moderator=second_moderator)


def test_a_decision_marks_the_station_for_the_recount(copy, moderator):
    """No inline reconciliation: the station is marked and the recount job queued, in the
    decision's transaction; the job then settles the station."""
    DBTaskResult.objects.all().delete()
    PendingRecount.objects.all().delete()
    services.decision_create(copy=copy, moderator=moderator, verdict="accept")
    assert list(PendingRecount.objects.values_list("contest_id", "station_id")) == [
        (copy.contest_id, copy.station_id)
    ]
    job = DBTaskResult.objects.ready().get()
    assert job.task_path.endswith("recount_pending") and job.args_kwargs["args"] == [
        copy.contest_id
    ]
    assert not StationResult.objects.filter(station=copy.station, status="resolved").exists()

    run_until_idle()
    result = StationResult.objects.get(station=copy.station)
    assert result.status == "resolved" and result.copy_ids == [copy.pk]
    assert not PendingRecount.objects.exists()
    event = AuditEvent.objects.get(action="moderation.copy.decide")
    assert event.actor == moderator and event.after["verdict"] == "accept"


def test_intake_statistics(election, moderator):
    """The tally's numbers in the public pages' words: received, passed / failed the checks,
    accepted / rejected by a moderator, waiting; and what was never recorded, with why."""
    accepted = copy_of(submit(election, CLEAN_237))
    rejected = [
        copy_of(submit(election, SEED_237)),
        copy_of(submit(election, CLEAN_237, photos=two_pages()[:1])),  # one page only
    ]
    waiting = submit(election, HIGH_TURNOUT_237, sender="obs-high")  # failed: turnout flag
    submit(election, HIGH_TURNOUT_237, sender="obs-high")  # resent: the same copy
    submit(election, SEED_237, station="441")  # waiting, failed the checks (West Kazakhstan)
    invalid = submit(election, CLEAN_237, station="999", photos=[])  # never became a copy
    assert not invalid.ok and invalid.problems[0].code == "unknown_station"
    assert waiting.record.checks == "failed"
    services.decision_create(copy=accepted, moderator=moderator, verdict="accept")
    for copy, code in zip(rejected, ["figures_do_not_add_up", "only_one_page"], strict=True):
        services.decision_create(
            copy=copy, moderator=moderator, verdict="reject", reason=reason(code)
        )
    run_until_idle()

    total, east, west = selectors.intake_statistics(election)
    assert total.copies == {
        "received": 5,
        "passed": 1,
        "failed": 4,
        "accepted": 1,
        "rejected": 2,
        "waiting": 2,
    }
    assert (total.received, total.passed, total.failed) == (5, 1, 4)
    assert (total.accepted, total.rejected, total.waiting) == (1, 2, 2)
    assert total.not_recorded == 1  # the unknown station; the resend is not counted
    assert {(r.code, r.count, r.stage) for r in total.reasons} == {
        ("figures_do_not_add_up", 1, "moderation"),
        ("only_one_page", 1, "moderation"),
        ("unknown_station", 1, "intake"),
    }
    assert east.label == "East Kazakhstan"
    assert (east.received, east.accepted, east.rejected, east.waiting) == (4, 1, 2, 1)
    assert (west.received, west.rejected, west.waiting, west.failed) == (1, 0, 1, 1)

    (only_east,) = selectors.intake_statistics(election, east.region)
    assert (only_east.received, only_east.rejected) == (4, 2)
    assert only_east.not_recorded == 0


# ---------------------------------------------------------------------------------------------
# pages


def login(client, user):
    client.force_login(user)
    return client


def test_pages_need_login_and_permission(client, copy):
    url = reverse("moderation:queue")
    response = client.get(url)
    assert response.status_code == 302 and "login" in response["Location"]
    nobody = User.objects.create_user("nobody", password="pw")
    login(client, nobody)
    assert client.get(url).status_code == 403
    assert client.get(reverse("moderation:item", args=[copy.pk])).status_code == 403


def test_queue_lists_waiting_copies(client, copy, moderator):
    login(client, moderator)
    response = client.get(reverse("moderation:queue"), HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 200
    assert reverse("moderation:item", args=[copy.pk]) in response.content.decode()
    response = client.get(reverse("moderation:queue"), {"checks": "passed"})
    assert reverse("moderation:item", args=[copy.pk]) not in response.content.decode()
    response = client.get(reverse("moderation:queue"), {"checks": "failed"})
    assert reverse("moderation:item", args=[copy.pk]) in response.content.decode()


@pytest.fixture
def four_copies(election):
    """237: a copy that failed the checks and a single copy that passed; 441: two copies that
    passed and disagree. Counted by the tally."""
    failed = copy_of(submit(election, SEED_237))
    single = copy_of(submit(election, CLEAN_237))
    disputed = [
        copy_of(submit(election, CLEAN_237, station="441")),
        copy_of(submit(election, MOVED_237, station="441")),
    ]
    run_until_idle()
    return failed, single, disputed


def test_the_queue_puts_problems_first(election, four_copies):
    failed, single, disputed = four_copies
    assert StationResult.objects.get(station=single.station).status == "single"
    assert StationResult.objects.get(station=disputed[0].station).status == "conflict"
    queue = list(selectors.moderation_queue(election=election))
    assert queue == [failed, *disputed, single]
    assert [c.problem for c in queue] == [0, 1, 1, 2]
    assert [c.station_status for c in queue] == ["single", "conflict", "conflict", "single"]


@pytest.fixture
def agreeing(election):
    """Station 441: two observers' copies that passed the checks and agree (the tally's
    "copies agree"), waiting for a moderator."""
    copies = [
        copy_of(submit(election, CLEAN_237, station="441")),
        copy_of(submit(election, CLEAN_237, station="441")),
    ]
    run_until_idle()
    assert StationResult.objects.get(station=copies[0].station).status == "agreed"
    return copies


def test_bulk_accept_only_accepts_copies_that_agree(client, election, moderator):
    """Ticked: a copy that failed the checks and a single copy (237), and the two agreeing copies
    of 441. Only the agreeing ones are accepted, each by its own decision, audited and in the
    ledger, and the station goes to the recount job."""
    failed = copy_of(submit(election, SEED_237))
    single = copy_of(submit(election, CLEAN_237))
    both = [
        copy_of(submit(election, CLEAN_237, station="441")),
        copy_of(submit(election, CLEAN_237, station="441")),
    ]
    run_until_idle()
    DBTaskResult.objects.all().delete()
    login(client, moderator)
    page = client.get(reverse("moderation:queue")).content.decode()
    for copy in both:
        assert f'name="copies" value="{copy.pk}"' in page  # a box to tick
    for copy in (failed, single):
        assert f'name="copies" value="{copy.pk}"' not in page
    with translation.override("en"):
        response = client.post(
            reverse("moderation:bulk_accept"),
            {"copies": [failed.pk, single.pk, *(c.pk for c in both)], "next": "/x/"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 302 and response["Location"] == "/x/"
    moderation = dict(ProtocolCopy.objects.values_list("pk", "moderation"))
    assert [moderation[c.pk] for c in both] == ["accepted", "accepted"]
    assert moderation[failed.pk] == moderation[single.pk] == "pending"
    decisions = Decision.objects.filter(copy__in=both)
    assert decisions.count() == 2 and not Decision.objects.exclude(copy__in=both).exists()
    for decision in decisions:
        assert LedgerEntry.objects.filter(ref=f"moderation.decision:{decision.pk}").exists()
    audited = AuditEvent.objects.filter(action="moderation.copy.decide")
    assert sorted(int(e.object_id) for e in audited) == sorted(c.pk for c in both)
    assert set(PendingRecount.objects.values_list("station_id", flat=True)) == {both[0].station_id}
    assert DBTaskResult.objects.ready().filter(task_path__endswith="recount_pending").exists()
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == [
        "2 protocol copies accepted by a moderator.",
        "2 copies were left: their station's copies do not agree, they failed the checks, or "
        "another moderator is reviewing them.",
    ]
    run_until_idle()
    statuses = dict(StationResult.objects.values_list("station__code", "status"))
    assert statuses["441"] == "resolved"


def test_bulk_accept_refuses_disagreeing_copies(election, four_copies, moderator):
    failed, single, disputed = four_copies
    done, skipped = services.decisions_accept_agreeing(
        copies=[failed, single, *disputed], moderator=moderator
    )
    assert done == [] and len(skipped) == 4
    assert not Decision.objects.exists()


def test_bulk_accept_waits_for_the_recount(election, agreeing, moderator):
    """A station whose copies changed since the tally counted it is not taken as agreeing."""
    PendingRecount.objects.create(contest=agreeing[0].contest, station=agreeing[0].station)
    done, skipped = services.decisions_accept_agreeing(copies=agreeing, moderator=moderator)
    assert done == [] and skipped == agreeing


def test_bulk_accept_skips_a_copy_another_moderator_holds(
    election, agreeing, moderator, second_moderator
):
    services.copy_lock(copy=agreeing[1], moderator=second_moderator)
    done, skipped = services.decisions_accept_agreeing(copies=agreeing, moderator=moderator)
    assert [d.copy_id for d in done] == [agreeing[0].pk] and skipped == [agreeing[1]]


def test_the_queue_filters_by_kind_district_and_station(client, election, four_copies, moderator):
    failed, single, disputed = four_copies
    assert list(selectors.moderation_queue(election=election, kind="failed")) == [failed]
    assert list(selectors.moderation_queue(election=election, kind="conflict")) == disputed
    assert list(selectors.moderation_queue(election=election, kind="single")) == [single]
    assert list(selectors.moderation_queue(election=election, station_code="№ 441")) == disputed
    region = selectors.regions(election).get(code="VKO")
    (district,) = selectors.districts(region)
    assert list(selectors.moderation_queue(election=election, region=district)) == [
        failed,
        single,
    ]
    login(client, moderator)
    page = client.get(
        reverse("moderation:queue"),
        {
            "election": election.code,
            "region": region.pk,
            "district": district.pk,
            "moderation": "pending",
            "kind": "single",
        },
    ).content.decode()
    assert reverse("moderation:item", args=[single.pk]) in page
    assert reverse("moderation:item", args=[failed.pk]) not in page
    assert f'<option value="{district.pk}" selected>' in page
    page = client.get(reverse("moderation:queue"), {"station": "441"}).content.decode()
    assert reverse("moderation:item", args=[disputed[0].pk]) in page
    assert reverse("moderation:item", args=[single.pk]) not in page


def test_page_links_stay_short():
    from django.core.paginator import Paginator

    from baqylau.moderation.views import _page_numbers

    pages = Paginator(range(181 * 50), 50)
    assert _page_numbers(pages.page(1)) == [1, 2, 3, None, 181]
    assert _page_numbers(pages.page(90)) == [1, None, 88, 89, 90, 91, 92, None, 181]
    assert _page_numbers(pages.page(181)) == [1, None, 179, 180, 181]
    assert _page_numbers(Paginator(range(3), 50).page(1)) == [1]


def test_a_moderator_resolves_a_conflict_on_the_page(client, election, four_copies, moderator):
    failed, single, disputed = four_copies
    login(client, moderator)
    page = client.get(reverse("moderation:item", args=[disputed[0].pk])).content.decode()
    conflicts = list(Conflict.objects.filter(result__station=disputed[0].station))
    assert {c.choice.code for c in conflicts} == {"npk", "adal"}
    npk = next(c for c in conflicts if c.choice.code == "npk")
    url = reverse("moderation:resolve", args=[disputed[0].pk])
    assert url in page and f'name="choice" value="{npk.choice_id}"' in page
    figure = {"line": "", "choice": npk.choice_id}

    response = client.post(url, {**figure, "value": 100})  # no reason
    assert response.status_code == 302
    npk.refresh_from_db()
    assert npk.resolved_value is None
    response = client.post(url, {**figure, "value": -1, "reason": "page 1"})
    npk.refresh_from_db()
    assert npk.resolved_value is None

    response = client.post(
        url, {**figure, "value": 100, "reason": "legible on the photo of page 1"}
    )
    assert response.status_code == 302
    npk.refresh_from_db()
    assert (npk.resolved_value, npk.resolved_by) == (100, moderator)
    assert npk.resolution_reason == "legible on the photo of page 1"
    assert PendingRecount.objects.filter(station=disputed[0].station).exists()
    event = AuditEvent.objects.get(action="tally.conflict.resolve")
    assert event.actor == moderator and event.after["resolved_value"] == 100
    assert LedgerEntry.objects.filter(
        kind=LedgerEntry.Kind.DECISION, ref=f"observers.auditevent:{event.pk}"
    ).exists()
    # a figure this copy's station does not dispute cannot be chosen from its page
    other = client.post(
        reverse("moderation:resolve", args=[single.pk]), {**figure, "value": 1, "reason": "x"}
    )
    assert other.status_code == 302
    assert Conflict.objects.filter(resolved_value=1).count() == 0

    # the recount rebuilds the conflict rows; the figure is named by its choice, not the row
    run_until_idle()
    adal = Conflict.objects.get(result__station=disputed[0].station, choice__code="adal")
    client.post(
        url,
        {"line": "", "choice": adal.choice_id, "value": 50, "reason": "legible on page 1"},
    )
    run_until_idle()
    assert StationResult.objects.get(station=disputed[0].station).status == "resolved"


def test_opening_an_item_locks_it(client, copy, moderator, second_moderator):
    login(client, moderator)
    response = client.get(reverse("moderation:item", args=[copy.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "12994" in page or "12 994" in page
    assert "Ballots do not balance" in page or "Бюллетени не сходятся" in page
    copy.refresh_from_db()
    assert copy.locked_by == moderator and copy.locked_until > timezone.now()

    client.force_login(second_moderator)
    response = client.get(reverse("moderation:item", args=[copy.pk]))
    assert response.context["locked_by_me"] is False
    response = client.post(reverse("moderation:decide", args=[copy.pk]), {"verdict": "accept"})
    assert response.status_code == 302
    assert not Decision.objects.exists()


def test_decide_through_the_page(client, copy, moderator):
    login(client, moderator)
    client.get(reverse("moderation:item", args=[copy.pk]))
    url = reverse("moderation:decide", args=[copy.pk])
    response = client.post(url, {"verdict": "reject"})
    assert response.status_code == 400  # the reason is required
    response = client.post(url, {"verdict": "reject", "reason": "figures_do_not_add_up"})
    assert response.status_code == 302
    decision = Decision.objects.get()
    assert decision.reason.code == "figures_do_not_add_up" and decision.moderator == moderator
    copy.refresh_from_db()
    assert copy.moderation == "rejected" and copy.locked_by is None


def test_photos_are_served_only_to_moderators(client, copy, moderator):
    media = MediaFile.objects.filter(submission=copy.submission).first()
    url = reverse("moderation:media", args=[media.pk])
    assert client.get(url).status_code == 302
    login(client, moderator)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"  # the display JPEG


def test_statistics_page(client, election, copy, moderator):
    login(client, moderator)
    response = client.get(
        reverse("moderation:statistics_election", args=[election.code]),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert response.context["total"].received == 0  # not counted yet
    run_until_idle()
    response = client.get(
        reverse("moderation:statistics_election", args=[election.code]),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    total = response.context["total"]
    assert (total.received, total.failed, total.waiting) == (1, 1, 1)


# ---------------------------------------------------------------------------------------------
# violation reports


@pytest.fixture
def world(db):
    from tests.observers.factories import build_world

    return build_world()


def incident(world, violation="stuffing", station="237", who="A1"):
    from baqylau.reports.services import submit_report

    outcome = submit_report(
        kind="incident",
        data={"station": station, "violation": violation, "at": "11:00"},
        observer=world.observers[who],
        channel="web",
    )
    assert outcome.ok, [p.code for p in outcome.problems]
    return outcome.record


def test_confirming_a_violation_is_a_ledgered_audited_decision(world, moderator):
    report = incident(world)
    DBTaskResult.objects.all().delete()
    decision = services.incident_decide(
        incident=report, moderator=moderator, verdict="confirm", reason="evidence"
    )
    report.refresh_from_db()
    assert report.moderation == Incident.Moderation.ACCEPTED
    assert (decision.verdict, decision.reason, decision.moderator) == (
        "confirm",
        "evidence",
        moderator,
    )
    assert LedgerEntry.objects.filter(
        kind=LedgerEntry.Kind.DECISION, ref=f"moderation.incidentdecision:{decision.pk}"
    ).exists()
    event = AuditEvent.objects.get(action="moderation.incident.decide")
    assert event.before == {"moderation": "pending"}
    assert event.after == {"moderation": "accepted", "reason": "evidence", "note": ""}
    # the public summaries of the station and the units above it are refreshed by a job
    job = DBTaskResult.objects.ready().get()
    assert job.task_path.endswith("refresh_summaries")
    assert world.stations["237"].pk in job.args_kwargs["args"][1]


def test_rejecting_a_violation_needs_a_reason_and_other_needs_a_note(world, moderator):
    report = incident(world)
    with pytest.raises(ValidationError):
        services.incident_decide(
            incident=report, moderator=moderator, verdict="maybe", reason="evidence"
        )
    with pytest.raises(ValidationError):
        services.incident_decide(
            incident=report, moderator=moderator, verdict="reject", reason="no_such_reason"
        )
    with pytest.raises(ValidationError) as caught:
        services.incident_decide(
            incident=report, moderator=moderator, verdict="reject", reason="other", note="  "
        )
    assert "note" in caught.value.message_dict
    assert not IncidentDecision.objects.exists()
    report.refresh_from_db()
    assert report.moderation == Incident.Moderation.PENDING

    services.incident_decide(
        incident=report,
        moderator=moderator,
        verdict="reject",
        reason="other",
        note="the photo shows another station",
    )
    report.refresh_from_db()
    assert report.moderation == Incident.Moderation.REJECTED
    assert IncidentDecision.objects.get().note == "the photo shows another station"
    # a later decision supersedes, never edits
    services.incident_decide(
        incident=report, moderator=moderator, verdict="confirm", reason="corroborated"
    )
    report.refresh_from_db()
    assert report.moderation == Incident.Moderation.ACCEPTED
    assert IncidentDecision.objects.filter(incident=report).count() == 2


def test_violation_reports_through_the_pages(client, world, moderator):
    minor = incident(world, violation="outsiders", station="300", who="B1")
    critical = incident(world)
    login(client, moderator)
    response = client.get(reverse("moderation:incidents"))
    assert response.status_code == 200
    # critical first (ballot stuffing), although it was reported later
    assert critical.violation.severity == "critical" != minor.violation.severity
    assert list(response.context["page"].object_list) == [critical, minor]
    page = response.content.decode()
    assert reverse("moderation:incident", args=[critical.pk]) in page

    url = reverse("moderation:incident", args=[critical.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"verdict": "reject", "reason": "other", "note": ""})
    assert response.status_code == 400
    assert "note" in response.context["form"].errors
    assert not IncidentDecision.objects.exists()
    response = client.post(url, {"verdict": "confirm", "reason": "evidence"})
    assert response.status_code == 302
    critical.refresh_from_db()
    assert critical.moderation == Incident.Moderation.ACCEPTED
    # confirmed reports leave the queue of pending ones
    response = client.get(reverse("moderation:incidents"))
    assert list(response.context["page"].object_list) == [minor]


def test_violation_pages_need_a_moderator(client, world):
    report = incident(world)
    login(client, User.objects.create_user("nobody", password="pw"))
    assert client.get(reverse("moderation:incidents")).status_code == 403
    assert (
        client.post(
            reverse("moderation:incident", args=[report.pk]),
            {"verdict": "confirm", "reason": "evidence"},
        ).status_code
        == 403
    )
    assert not IncidentDecision.objects.exists()
