"""Trust tiers of the voters' count, one phone one vote, suspect groups and their bulk decisions,
and what reaches the tally's figures."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from baqylau.crowd import services
from baqylau.crowd.models import ClusterDecision, CrowdBallot, CrowdPhone, SuspectCluster
from baqylau.crowd.services import PhoneOutcome
from baqylau.crowd.tasks import detection_schedule
from baqylau.dashboard.selectors import unit_page
from baqylau.evidence.models import LedgerEntry
from baqylau.jobs.worker import run_until_idle
from baqylau.moderation.services import crowd_group_decide
from baqylau.observers.models import AuditEvent
from baqylau.tally.selectors import crowd_headline
from tests.bots.helpers import jpeg
from tests.crowd.test_services import _msg, vote

pytestmark = pytest.mark.django_db

BLOCK = 3_000 << 20  # one seller's accounts: consecutive ids in one id block


def verify(user_id: int, phone: str, contact_user_id: int | None = None) -> str:
    received = services.voter_message_receive(user_id=user_id, payload=_msg(user_id, "c"), now=0)
    return services.voter_phone_verify(
        received=received,
        sender_user_id=user_id,
        contact_user_id=user_id if contact_user_id is None else contact_user_id,
        phone=phone,
    )


def headline_choices(contest) -> dict[str, int]:
    out: dict[str, int] = {}
    for code in crowd_headline(CrowdBallot.objects.filter(contest=contest)).values_list(
        "choice__code", flat=True
    ):
        out[code] = out.get(code, 0) + 1
    return out


@pytest.fixture
def moderator(db):
    user = User.objects.create_user("aliya", password="pw")
    user.groups.add(Group.objects.get_or_create(name="moderator")[0])
    return user


def test_unverified_ballot_counts_but_not_in_the_headline(election):
    ballot, counted = vote(10_001, election["stations"][0], jpeg(1), "tokayev", 0)
    assert counted and ballot.tier == "unverified"
    assert headline_choices(election["contest"]) == {}


def test_phone_verified_tier_before_or_after_voting(election):
    station = election["stations"][0]
    assert verify(10_002, "+7 (701) 111-22-33") == PhoneOutcome.VERIFIED
    ballot, counted = vote(10_002, station, jpeg(2), "tokayev", 0)
    assert counted and ballot.tier == "phone_verified"
    later, _ = vote(10_003, station, jpeg(3), "kossanov", 0)
    assert later.tier == "unverified"
    assert verify(10_003, "+77011112234") == PhoneOutcome.VERIFIED
    later.refresh_from_db()
    assert later.tier == "phone_verified"
    assert headline_choices(election["contest"]) == {"tokayev": 1, "kossanov": 1}
    assert verify(10_003, "+77011112234") == PhoneOutcome.ALREADY
    # never the number in clear: a keyed hash of its digits
    stored = CrowdPhone.objects.get(voter=later.voter)
    assert stored.phone_hash == services.phone_hash("7 701 111 22 34")
    assert "77011112234" not in stored.phone_hash and len(stored.phone_hash) == 64


def test_harvested_photo_sent_first_does_not_cost_a_verified_voter_the_vote(election):
    """A fake clone sends a voter's photo on first from an unverified account: the verified
    voter's own later ballot is kept (duplicate_of recorded) and is the one in the headline."""
    station = election["stations"][0]
    image = jpeg(21)
    clone, _ = vote(10_030, station, image, "kossanov", 0)
    assert verify(10_031, "+77015550031") == PhoneOutcome.VERIFIED
    own, counted = vote(10_031, station, image, "tokayev", 50)
    assert counted and own.category == "valid" and own.tier == "phone_verified"
    assert own.duplicate_of_id == clone.pk and "duplicate_photo" not in own.spam_reasons
    assert headline_choices(election["contest"]) == {"tokayev": 1}
    # an unverified account sending the same photo later is still a duplicate
    third, counted = vote(10_032, station, image, "kossanov", 90)
    assert not counted and "duplicate_photo" in third.spam_reasons


def test_a_photo_another_account_sends_again_is_no_longer_photo_evidence(election):
    """A photo-matched ballot whose photo another account sends after it (near-copies of one
    real ballot, or a clone's harvested photo followed by its voter's own) leaves the headline:
    the photo is evidence of neither account's vote. Only that one ballot is changed; the
    copy is spam, a phone-verified voter's copy keeps the vote, and a later copy finds it
    already marked."""
    station = election["stations"][0]
    image = jpeg(40)
    original, counted = vote(10_040, station, image, "tokayev", 0)
    original = services.set_photo_match(original, True, True)
    other, _ = vote(10_041, station, jpeg(41), "kossanov", 0)
    other = services.set_photo_match(other, True, True)
    assert counted and original.tier == other.tier == "photo_matched"
    assert headline_choices(election["contest"]) == {"tokayev": 1, "kossanov": 1}

    copy, counted = vote(10_042, station, image, "tokayev", 30)
    assert not counted and "duplicate_photo" in copy.spam_reasons
    original.refresh_from_db()
    other.refresh_from_db()
    assert original.photo_shared and original.tier == "unverified" and original.counted
    assert original.category == "valid" and not original.spam_reasons  # not judged as spam
    assert not other.photo_shared and other.tier == "photo_matched"
    assert headline_choices(election["contest"]) == {"kossanov": 1}
    # the matcher running late does not give the tier back
    assert services.set_photo_match(original, True, True).tier == "unverified"

    # the clone's photo first, then its phone-verified voter: the clone's ballot leaves the
    # headline, the voter's own stays
    harvested = jpeg(43)
    clone, _ = vote(10_043, station, harvested, "tokayev", 0)
    clone = services.set_photo_match(clone, True, True)
    assert verify(10_044, "+77015550044") == PhoneOutcome.VERIFIED
    own, counted = vote(10_044, station, harvested, "kossanov", 20)
    clone.refresh_from_db()
    assert counted and own.tier == "phone_verified" and not own.photo_shared
    assert clone.photo_shared and clone.tier == "unverified"
    assert headline_choices(election["contest"]) == {"kossanov": 2}
    # a third account with the same photo: spam, and the phone-verified vote stays
    third, counted = vote(10_045, station, harvested, "tokayev", 40)
    own.refresh_from_db()
    assert not counted and third.duplicate_of_id == clone.pk and own.tier == "phone_verified"
    assert headline_choices(election["contest"]) == {"kossanov": 2}


def test_the_database_refuses_a_shared_photo_in_the_photo_tier(election):
    ballot, _ = vote(10_046, election["stations"][0], jpeg(46), "tokayev", 0)
    ballot = services.set_photo_match(ballot, True, True)
    with pytest.raises(IntegrityError), transaction.atomic():
        CrowdBallot.objects.filter(pk=ballot.pk).update(photo_shared=True)


def test_one_phone_one_vote_across_accounts(election):
    station = election["stations"][0]
    first, counted = vote(10_010, station, jpeg(10), "tokayev", 0)
    assert verify(10_010, "+77015550000") == PhoneOutcome.VERIFIED
    second, counted = vote(10_011, station, jpeg(11), "kossanov", 0)
    assert counted
    # the second account shares the same number: refused, its ballot no longer counts
    assert verify(10_011, "8 701 555 00 00".replace("8 701", "+7 701")) == (
        PhoneOutcome.USED_BY_OTHER
    )
    second.refresh_from_db()
    assert second.category == "spam" and not second.counted
    assert "duplicate_phone" in second.spam_reasons
    again, counted = vote(10_011, station, jpeg(12), "kossanov", 100)
    assert not counted and again.category == "spam"
    assert CrowdPhone.objects.count() == 1
    assert headline_choices(election["contest"]) == {"tokayev": 1}
    # the database itself refuses a second row for the number in the election
    with pytest.raises(IntegrityError), transaction.atomic():
        CrowdPhone.objects.create(
            election=election["election"],
            voter=second.voter,
            phone_hash=services.phone_hash("+77015550000"),
        )


def test_only_a_number_of_the_elections_country_verifies(election, monkeypatch):
    """Every Telegram account has a number, and accounts sold in bulk mostly sit on foreign
    (virtual) numbers: those do not give the phone tier (default prefix 77, Kazakhstan)."""
    ballot, counted = vote(10_050, election["stations"][0], jpeg(50), "tokayev", 0)
    assert verify(10_050, "+1 202 555 0100") == PhoneOutcome.FOREIGN
    assert verify(10_050, "+7 916 555 01 00") == PhoneOutcome.FOREIGN  # Russia shares +7
    ballot.refresh_from_db()
    assert counted and ballot.tier == "unverified" and not CrowdPhone.objects.exists()
    assert verify(10_050, "+7 701 555 01 00") == PhoneOutcome.VERIFIED
    monkeypatch.setenv("VOTER_PHONE_PREFIXES", "")  # any country
    assert verify(10_051, "+1 202 555 0101") == PhoneOutcome.VERIFIED
    monkeypatch.setenv("VOTER_PHONE_PREFIXES", "375, 370")  # e.g. Belarus and Lithuania
    assert verify(10_052, "+375 29 555 01 02") == PhoneOutcome.VERIFIED
    assert verify(10_053, "+7 701 555 01 03") == PhoneOutcome.FOREIGN


def test_someone_elses_contact_is_refused(election):
    vote(10_020, election["stations"][0], jpeg(20), "tokayev", 0)
    assert verify(10_020, "+77017770000", contact_user_id=99_999) == PhoneOutcome.NOT_OWN
    assert verify(10_020, "+77017770000", contact_user_id=0) == PhoneOutcome.NOT_OWN
    assert not CrowdPhone.objects.exists()
    assert CrowdBallot.objects.get().tier == "unverified"


def test_photo_matched_tier_set_by_the_matcher(election):
    ballot, _ = vote(10_030, election["stations"][0], jpeg(30), "tokayev", 0)
    ballot = services.set_photo_match(ballot, True, True)
    assert ballot.tier == "photo_matched"
    assert headline_choices(election["contest"]) == {"tokayev": 1}
    assert services.set_photo_match(ballot, True, None).tier == "photo_matched"  # mark unread
    assert services.set_photo_match(ballot, True, False).tier == "unverified"  # box disagrees
    assert services.set_photo_match(ballot, False, None).tier == "unverified"  # another form
    with pytest.raises(IntegrityError), transaction.atomic():
        CrowdBallot.objects.filter(pk=ballot.pk).update(tier="photo_matched")
    with pytest.raises(IntegrityError), transaction.atomic():
        CrowdBallot.objects.filter(pk=ballot.pk).update(tier="trusted")


def _campaign(election, n: int = 8) -> list[CrowdBallot]:
    """Bought accounts with printed ballots: consecutive ids, photos that match the sample form
    (so, without the groups, they would be in the headline), all for kossanov."""
    ballots = []
    for i in range(n):
        ballot, counted = vote(
            BLOCK + i * 11, election["stations"][1], jpeg(500 + i), "kossanov", 0
        )
        assert counted
        ballots.append(services.set_photo_match(ballot, True, True))
    return ballots


def _genuine(election) -> None:
    for i in range(6):
        uid = 100_000 + i * 50_000_000  # spread over the id range
        vote(uid, election["stations"][0], jpeg(700 + i), "tokayev", 0)
        assert verify(uid, f"+7701000{i:04d}") == PhoneOutcome.VERIFIED


def test_group_flagged_held_then_rejected_in_bulk(election, moderator):
    contest = election["contest"]
    _genuine(election)
    spam = _campaign(election)
    assert headline_choices(contest) == {"tokayev": 6, "kossanov": 8}  # the attack, unchecked

    summary = services.population_detect(contest)
    assert summary.groups == 1 and summary.accounts_held == 8 and summary.ballots_held == 8
    group = SuspectCluster.objects.get()
    assert group.status == "open" and {"id_range", "timing"} <= set(group.reasons)
    for ballot in spam:
        ballot.refresh_from_db()
        assert ballot.held and not ballot.counted and ballot.cluster == group
    assert headline_choices(contest) == {"tokayev": 6}  # pending: out of every figure
    # no genuine (phone-verified) voter is held
    assert not CrowdBallot.objects.filter(tier="phone_verified", held=True).exists()
    # a new ballot from an account of the open group waits too
    late, counted = vote(BLOCK, election["stations"][0], jpeg(599), "kossanov", 500)
    assert not counted and late.held
    # a second run adds nothing
    assert services.population_detect(contest).accounts_held == 0

    decision = crowd_group_decide(
        cluster=group, moderator=moderator, verdict="reject", reason="one seller, printed forms"
    )
    assert decision.ballots == 9
    group.refresh_from_db()
    assert group.status == "rejected"
    assert set(CrowdBallot.objects.filter(cluster=group).values_list("category", flat=True)) == {
        "spam"
    }
    assert not CrowdBallot.objects.filter(cluster=group, held=True).exists()
    assert headline_choices(contest) == {"tokayev": 6}
    # ledgered and audited
    assert LedgerEntry.objects.filter(ref__contains=f"clusterdecision:{decision.pk}").exists()
    assert AuditEvent.objects.filter(action="moderation.crowd_group.decide").exists()
    # decided once only
    with pytest.raises(ValidationError):
        crowd_group_decide(cluster=group, moderator=moderator, verdict="accept", reason="x")

    # the tally's figures: the public page rests on the six verified voters only
    run_until_idle()
    with translation.override("en"):
        panel = unit_page(election["election"], election["country"].id).panels[0]
    rows = {row.choice.code: row for row in panel.rows if row.choice}
    assert rows["tokayev"].crowd == 6 and rows["kossanov"].crowd == 0
    assert panel.crowd_tiers["phone_verified"] == 6 and panel.crowd_tiers["spam"] == 9


def test_group_accepted_in_bulk_counts_again(election, moderator):
    contest = election["contest"]
    _genuine(election)
    _campaign(election)
    services.population_detect(contest)
    group = SuspectCluster.objects.get()
    run_until_idle()
    with translation.override("en"):
        panel = unit_page(election["election"], election["country"].id).panels[0]
    assert panel.crowd_tiers.get("held") == 8
    assert {r.choice.code: r.crowd for r in panel.rows if r.choice}["kossanov"] == 0

    crowd_group_decide(
        cluster=group, moderator=moderator, verdict="accept", reason="a university's students"
    )
    assert headline_choices(contest) == {"tokayev": 6, "kossanov": 8}
    run_until_idle()
    with translation.override("en"):
        panel = unit_page(election["election"], election["country"].id).panels[0]
    assert {r.choice.code: r.crowd for r in panel.rows if r.choice}["kossanov"] == 8
    assert panel.crowd_tiers["photo_matched"] == 8 and not panel.crowd_tiers.get("held")
    # the same accounts are not put in a group again; newcomers of the signature start a new one
    assert services.population_detect(contest).accounts_held == 0
    for i in range(8, 14):
        vote(BLOCK + i * 11, election["stations"][1], jpeg(600 + i), "kossanov", 0)
    assert services.population_detect(contest).accounts_held == 6
    assert list(SuspectCluster.objects.order_by("pk").values_list("status", flat=True)) == [
        "accepted",
        "open",
    ]


def test_only_moderators_decide_and_reason_required(election, moderator):
    _campaign(election)
    services.population_detect(election["contest"])
    group = SuspectCluster.objects.get()
    nobody = User.objects.create_user("nobody", password="pw")
    with pytest.raises(PermissionDenied):
        crowd_group_decide(cluster=group, moderator=nobody, verdict="reject", reason="spam")
    with pytest.raises(ValidationError):
        crowd_group_decide(cluster=group, moderator=moderator, verdict="reject", reason="  ")
    assert not ClusterDecision.objects.exists()


def test_moderator_page_lists_groups_and_decides(election, moderator, client):
    _campaign(election)
    services.population_detect(election["contest"])
    group = SuspectCluster.objects.get()
    url = reverse("moderation:crowd_groups")
    client.force_login(User.objects.create_user("nobody", password="pw"))
    assert client.get(url).status_code == 403
    client.force_login(moderator)
    for lang, text in (
        ("kk", "күдікті топтары"),
        ("ru", "Подозрительные группы"),
        ("en", "Suspect"),
    ):
        with translation.override(lang):
            page = client.get(reverse("moderation:crowd_groups")).content.decode()
        assert text in page and f"group{group.pk}_verdict" in page
    response = client.post(
        reverse("moderation:crowd_group_decide", args=[group.pk]),
        {"verdict": "reject", "reason": "bought accounts"},
    )
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.status == "rejected"


def test_moderators_see_unverified_choices_far_from_verified(election, moderator, client):
    client.force_login(moderator)
    _genuine(election)  # six phone-verified voters: tokayev
    with translation.override("ru"):
        page = client.get(reverse("moderation:crowd_groups")).content.decode()
    assert "Неподтверждённые бюллетени" not in page  # nothing unverified to compare
    for i in range(8):  # unverified voters spread over the id range: no group, but all kossanov
        vote(900_000 + i * 70_000_000, election["stations"][1], jpeg(800 + i), "kossanov", 0)
    with translation.override("ru"):
        page = client.get(reverse("moderation:crowd_groups")).content.decode()
    assert "Неподтверждённые бюллетени" in page and "Сильное расхождение" in page
    assert "по 8 неподтверждённым и 6 подтверждённым" in page


def test_detection_is_debounced_job(election, django_capture_on_commit_callbacks):
    contest = election["contest"]
    with django_capture_on_commit_callbacks(execute=True):
        _campaign(election, n=6)  # every ballot asks for a run ...
    queued = DBTaskResult.objects.filter(task_path__endswith="detect_population")
    assert queued.count() == 1  # ... one is queued for the slot
    assert queued.get().run_after > timezone.now() - dt.timedelta(seconds=1)
    assert not detection_schedule(contest.pk)
    # a run due now (an earlier slot) holds the group's ballots with no command
    assert detection_schedule(contest.pk, now=timezone.now() - dt.timedelta(minutes=5))
    run_until_idle()
    assert SuspectCluster.objects.filter(status="open").count() == 1
    assert CrowdBallot.objects.filter(held=True).count() == 6


def test_cli_runs_detection_and_lists_groups(election):
    import typer
    from typer.testing import CliRunner

    from baqylau.bots import cli

    app = typer.Typer()
    cli.register(app)
    _campaign(election, n=6)
    result = CliRunner().invoke(app, ["bot", "groups"])
    assert result.exit_code == 0, result.output
    assert "1 suspect groups (6 accounts and 6 ballots newly held)" in result.output
    group = SuspectCluster.objects.get()
    assert f"group {group.pk} {group.signature}: 6 accounts, 6 ballots held" in result.output
