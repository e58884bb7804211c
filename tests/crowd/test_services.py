"""The exit poll's services and selectors on a small election."""

from __future__ import annotations

import datetime as dt

import pytest
from baqylau.crowd.selectors import crowd_vs_official, statistics_by_source
from django.utils import timezone

from baqylau.bots import keys
from baqylau.bots.models import BotControl, LinkCode
from baqylau.bots.services import LinkLocked, link_code_issue, link_code_redeem
from baqylau.crowd import services
from baqylau.crowd.models import CrowdBallot, CrowdVoter
from baqylau.tally.models import Finding
from tests.bots.helpers import jpeg, seed_election

pytestmark = pytest.mark.django_db


@pytest.fixture
def election(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    services.PHASH_INDEX.clear()
    services.cache_clear()
    yield seed_election()
    services.PHASH_INDEX.clear()
    services.cache_clear()


def _msg(user_id: int, text: str = "", photo_uid: str = "") -> dict:
    message = {"message_id": 1, "date": 0, "from": {"id": user_id, "first_name": "x"}}
    if photo_uid:
        message["photo"] = [{"file_id": "f" + photo_uid, "file_unique_id": photo_uid}]
    else:
        message["text"] = text
    return {"update_id": 1, "message": message}


def vote(user_id, station, image: bytes | None, answer: str, now: float):
    """One voter: station, photo (or none), choice — with human gaps."""
    received = services.voter_message_receive(
        user_id=user_id, payload=_msg(user_id, station.code), now=now
    )
    services.voter_station_set(received.voter, station.code)
    if image is None:
        received = services.voter_message_receive(
            user_id=user_id, payload=_msg(user_id, "np"), now=now + 7
        )
        return services.ballot_choice_set(received=received, ballot_id=None, answer=answer)
    received = services.voter_message_receive(
        user_id=user_id, payload=_msg(user_id, photo_uid=f"p{user_id}"), now=now + 7
    )
    ballot = services.ballot_photo_receive(received=received, data=image)
    received = services.voter_message_receive(
        user_id=user_id, payload=_msg(user_id, "cb"), now=now + 19
    )
    return services.ballot_choice_set(received=received, ballot_id=ballot.pk, answer=answer)


def test_counted_once_per_voter_and_station(election):
    station = election["stations"][0]
    ballot, counted = vote(1001, station, jpeg(1), "tokayev", 0)
    assert counted and ballot.category == "valid"
    received = services.voter_message_receive(
        user_id=1001, payload=_msg(1001, photo_uid="q"), now=100
    )
    second = services.ballot_photo_receive(received=received, data=jpeg(2))
    again, counted = services.ballot_choice_set(
        received=received, ballot_id=second.pk, answer="kossanov"
    )
    assert not counted and again.category == "valid"
    assert CrowdBallot.objects.filter(counted=True).count() == 1
    # Another voter's ballot id cannot be answered.
    other = services.voter_message_receive(user_id=1002, payload=_msg(1002, "x"), now=5)
    assert services.ballot_choice_set(received=other, ballot_id=second.pk, answer="tokayev") == (
        None,
        False,
    )


def test_photo_replaces_counted_no_photo_ballot(election):
    station = election["stations"][0]
    first, counted = vote(1003, station, None, "tokayev", 0)
    assert counted and first.category == "no_photo"
    second, counted = vote(1003, station, jpeg(3), "kossanov", 100)
    assert counted
    first.refresh_from_db()
    assert not first.counted


def test_duplicate_photo_across_voters_is_spam_for_both(election):
    station = election["stations"][0]
    image = jpeg(7)
    first, counted = vote(2001, station, image, "tokayev", 0)
    assert counted
    second, counted = vote(2002, station, image, "tokayev", 50)
    assert not counted and second.category == "spam"
    assert "duplicate_photo" in second.spam_reasons
    first.refresh_from_db()
    assert first.category == "spam" and not first.counted


def test_flooding_account_is_marked_spam_and_voter_id_never_stored(election):
    for i in range(10):
        received = services.voter_message_receive(
            user_id=3001, payload=_msg(3001, "same text"), now=1000 + i * 0.5
        )
    assert received.rate_limited and received.verdict.spam
    voter = CrowdVoter.objects.get()
    assert voter.spam and "rate_limit" in voter.spam_reasons
    assert voter.voter_hash == keys.id_hash("user", 3001) and "3001" not in voter.voter_hash


def test_new_account_signal_uses_reference(election):
    BotControl.objects.filter(bot="bayge").update(id_reference=5_000_000)
    new = services.voter_message_receive(user_id=6_000_000, payload=_msg(6_000_000, "1"), now=0)
    old = services.voter_message_receive(user_id=4_000_000, payload=_msg(4_000_000, "1"), now=0)
    assert new.voter.new_account and not old.voter.new_account
    assert "new_account" in new.verdict.reasons and not new.verdict.spam


def test_crowd_exceeds_official_findings_and_statistics(election):
    station = election["stations"][0]  # official: tokayev 510, kossanov 101
    contest = election["contest"]
    for i in range(3):
        vote(4000 + i, station, jpeg(40 + i), "kossanov", i * 100)
    vote(4100, station, jpeg(99), "tokayev", 0)
    vote(4101, station, None, "tokayev", 0)
    vote(4102, station, jpeg(98), "against_all", 0)
    # Official kossanov at this station lowered to 2 so that 3 photos prove it false.
    from baqylau.elections.models import OfficialVote

    OfficialVote.objects.filter(
        result__unit=station, choice__code="kossanov", result__contest=contest
    ).update(votes=2)
    assert services.crowd_findings_update(contest) == 1
    finding = Finding.objects.get(kind="crowd_exceeds_official")
    assert (finding.observed, finding.official, finding.choice.code) == (3, 2, "kossanov")
    assert len(finding.details["ballots"]) == 3
    rows = crowd_vs_official(contest)
    assert rows[0]["station"] == station.code and rows[0]["excess"] == 1
    assert services.crowd_findings_update(contest) == 1  # rewritten, not duplicated

    stats = {row["key"]: row for row in statistics_by_source(contest, election["country"])}
    assert stats["kossanov"]["voters"] == 3 and stats["tokayev"]["voters"] == 1
    assert stats["no_photo"]["voters"] == 1 and stats["against_all"]["voters"] == 1
    assert stats["kossanov"]["voters_share"] == pytest.approx(50.0)
    assert stats["tokayev"]["official"] == 510 + 520 + 510 + 520
    region = {row["key"]: row for row in statistics_by_source(contest, election["regions"][0])}
    assert region["tokayev"]["official"] == 1500  # the region's published total


def test_link_codes_single_use_expiring_hashed(election):
    observer = election["observer"]
    code = link_code_issue(observer)
    assert not LinkCode.objects.filter(code_hash__contains=code.replace("-", "")).exists()
    link = link_code_redeem(code.lower(), user_id=9001, chat_id=9001)
    assert link.observer == observer and link.chat_id == 9001
    assert "9001" not in link.chat_id_encrypted
    assert link_code_redeem(code, user_id=9002, chat_id=9002) is None  # used
    expired = link_code_issue(observer)
    LinkCode.objects.filter(used_at__isnull=True).update(
        expires_at=timezone.now() - dt.timedelta(1)
    )
    assert link_code_redeem(expired, user_id=9003, chat_id=9003) is None
    with pytest.raises(LinkLocked):
        for _ in range(10):
            link_code_redeem("WRONG-CODE", user_id=9004, chat_id=9004)
