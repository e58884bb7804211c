"""Moderation: decisions with reasons from the catalogue, the reviewer lock, the pages,
intake statistics."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from baqylau.evidence.models import LedgerEntry, MediaFile
from baqylau.intake import services as intake
from baqylau.intake.models import Submission
from baqylau.moderation import selectors, services
from baqylau.moderation.models import Decision, RejectReason
from baqylau.protocols.models import ProtocolCopy
from tests.intake.factories import (
    CLEAN_237,
    HIGH_TURNOUT_237,
    SEED_237,
    payload,
    two_pages,
)

pytestmark = pytest.mark.django_db


def submit(election, figures, station="237", photos=None):
    return intake.submit_protocol_copy(
        channel=Submission.Channel.TELEGRAM,
        sender="obs",
        payload=payload(election, figures, station_code=station),
        photos=two_pages() if photos is None else photos,
    )


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
    return ProtocolCopy.objects.get(pk=submit(election, SEED_237).copy_id)


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


def test_intake_statistics(election, moderator):
    """Received = accepted + rejected (at intake and by moderators) + waiting."""
    accepted = submit(election, CLEAN_237)
    rejected = [submit(election, SEED_237), submit(election, CLEAN_237, photos=two_pages()[:1])]
    submit(election, HIGH_TURNOUT_237)  # waiting, needs review
    submit(election, SEED_237, station="441")  # waiting, failed the checks (West Kazakhstan)
    invalid = intake.submit_protocol_copy(  # rejected at intake: unknown station
        channel="api", payload=payload(election, CLEAN_237, station_code="999"), photos=[]
    )
    assert invalid.status == "invalid"
    services.decision_create(
        copy=ProtocolCopy.objects.get(pk=accepted.copy_id), moderator=moderator, verdict="accept"
    )
    for result, code in zip(rejected, ["figures_do_not_add_up", "only_one_page"], strict=True):
        services.decision_create(
            copy=ProtocolCopy.objects.get(pk=result.copy_id),
            moderator=moderator,
            verdict="reject",
            reason=reason(code),
        )

    total, east, west = selectors.intake_statistics(election)
    assert (total.received, total.accepted, total.rejected, total.waiting) == (6, 1, 3, 2)
    assert (total.needs_review, total.failed_checks) == (1, 1)
    assert {(r.code, r.count, r.stage) for r in total.reasons} == {
        ("figures_do_not_add_up", 1, "moderation"),
        ("only_one_page", 1, "moderation"),
        ("unknown_station", 1, "intake"),
    }
    assert east.label == "East Kazakhstan"
    assert (east.received, east.accepted, east.rejected, east.waiting) == (4, 1, 2, 1)
    assert (west.received, west.rejected, west.waiting, west.failed_checks) == (1, 0, 1, 1)

    (only_east,) = selectors.intake_statistics(election, east.region)
    assert (only_east.received, only_east.rejected) == (4, 2)


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
    response = client.get(reverse("moderation:queue"), {"validation": "accepted"})
    assert reverse("moderation:item", args=[copy.pk]) not in response.content.decode()


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
    assert response.context["total"].received == 1
