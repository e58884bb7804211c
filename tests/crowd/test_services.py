"""The exit poll's services and selectors on a small election."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from baqylau.bots import keys
from baqylau.bots.models import BotControl, LinkCode
from baqylau.bots.services import LinkLocked, link_code_issue, link_code_redeem
from baqylau.crowd import services
from baqylau.crowd.models import CrowdBallot, CrowdVoter
from baqylau.dashboard.selectors import unit_page
from baqylau.elections.models import OfficialVote
from baqylau.jobs.worker import run_until_idle
from baqylau.tally.models import Finding, UnitCount
from baqylau.tally.services import recount
from tests.bots.helpers import jpeg

pytestmark = pytest.mark.django_db


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


def test_duplicate_photo_marks_only_the_later_ballot(election):
    station = election["stations"][0]
    image = jpeg(7)
    first, counted = vote(2001, station, image, "tokayev", 0)
    assert counted
    second, counted = vote(2002, station, image, "tokayev", 50)
    assert not counted and second.category == "spam"
    assert "duplicate_photo" in second.spam_reasons and second.duplicate_of_id == first.pk
    third, counted = vote(2003, station, image, "tokayev", 90)
    assert not counted and third.duplicate_of_id == first.pk  # the nearest earliest, no chain
    first.refresh_from_db()
    assert first.category == "valid" and first.counted  # no cascade onto the earlier photo


def test_a_flood_of_copies_reads_a_bounded_number_of_earlier_photos(election, monkeypatch):
    """Copies of one photo (re-encoded: other bytes) from many accounts: each new copy is found
    as a duplicate while reading at most MAX_CANDIDATES earlier hashes (those sharing the most
    index keys), not every earlier copy; another photo is not taken for a copy."""
    import io

    from PIL import Image

    from baqylau.crowd import photo_index

    monkeypatch.setattr(services, "MAX_CANDIDATES", 3)
    read: list[int] = []
    within = photo_index.within

    def counting(value, candidates, *args, **kwargs):
        read.append(len(candidates))
        return within(value, candidates, *args, **kwargs)

    monkeypatch.setattr(photo_index, "within", counting)
    base = Image.open(io.BytesIO(jpeg(8, size=256)))

    def copy(quality: int) -> bytes:
        out = io.BytesIO()
        base.save(out, format="JPEG", quality=quality)
        return out.getvalue()

    station = election["stations"][0]
    first, counted = vote(2101, station, copy(95), "tokayev", 0)
    assert counted
    for n in range(6):
        later, counted = vote(2110 + n, station, copy(88 - 5 * n), "tokayev", 10 * (n + 1))
        assert not counted and "duplicate_photo" in later.spam_reasons
    assert max(read) <= 3 and read[-1] == 3
    other, counted = vote(2120, station, jpeg(9, size=256), "kossanov", 100)
    assert counted and other.duplicate_of_id is None


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


def verify_phone(user_id: int, phone: str) -> str:
    received = services.voter_message_receive(user_id=user_id, payload=_msg(user_id, "c"), now=0)
    return services.voter_phone_verify(
        received=received, sender_user_id=user_id, contact_user_id=user_id, phone=phone
    )


def test_crowd_exceeds_official_is_a_tally_finding_and_the_voters_column(election):
    """Voters' ballot photos are compared with the official result by the tally (one comparison),
    as soon as a counted ballot marks its station; the "from voters" column reads the same, and
    only verified ballots are in either."""
    station = election["stations"][0]  # official: tokayev 510, kossanov 101
    contest = election["contest"]
    for i in range(3):
        vote(4000 + i, station, jpeg(40 + i), "kossanov", i * 100)
        verify_phone(4000 + i, f"+7 701 000 00 0{i}")
    vote(4100, station, jpeg(99), "tokayev", 0)
    verify_phone(4100, "+77010000100")
    vote(4101, station, None, "tokayev", 0)
    verify_phone(4101, "+77010000101")
    vote(4102, station, jpeg(98), "against_all", 0)  # unverified: published apart
    vote(4103, station, jpeg(97), "kossanov", 0)  # unverified: not in the finding's 3
    # Official kossanov at this station lowered to 2 so that 3 photos prove it false.
    OfficialVote.objects.filter(
        result__unit=station, choice__code="kossanov", result__contest=contest
    ).update(votes=2)
    assert not Finding.objects.exists()  # the recount is a background job ...
    run_until_idle()  # ... queued by the counted ballots: it compares, then summarises
    finding = Finding.objects.get(kind="crowd_exceeds_official")
    assert (finding.unit, finding.observed, finding.official) == (station, 3, 2)
    assert finding.choice.code == "kossanov"
    # the ballots it rests on, each with its envelope and its photo's digest
    photographed = CrowdBallot.objects.filter(
        choice__code="kossanov", counted=True, tier="phone_verified"
    )
    assert CrowdBallot.objects.filter(choice__code="kossanov", counted=True).count() == 4
    evidence = finding.details["evidence"]["ballots"]
    assert [b["ballot"] for b in evidence] == sorted(photographed.values_list("pk", flat=True))
    assert {b["photo_sha256"] for b in evidence} == set(
        photographed.values_list("photo__sha256", flat=True)
    )
    assert finding.details["evidence"]["tiers"] == {"phone_verified": 3}
    assert finding.details["message"]["en"].startswith("Verified voters sent 3 photos")
    assert {b["submission"] for b in evidence} == {
        str(s) for s in photographed.values_list("submission_id", flat=True)
    }
    recount(contest)
    assert list(Finding.objects.filter(kind="crowd_exceeds_official")) == [finding]  # kept

    with translation.override("en"):
        page = unit_page(election["election"], election["country"].id)
    rows = {row.choice.code if row.choice else row.label: row for row in page.panels[0].rows}
    # a choice declared without a photo counts for its choice, in the lower tier only; only
    # verified voters are in either tier (the unverified kossanov and against-all apart)
    assert rows["kossanov"].crowd == 3 and rows["tokayev"].crowd == 2
    assert rows["kossanov"].crowd_photo == 3 and rows["tokayev"].crowd_photo == 1
    assert rows["kossanov"].crowd_share == pytest.approx(0.6)  # 3 of the 5 verified voters
    assert "Against all" not in rows and "No photo" not in rows
    assert page.panels[0].crowd_stations == 1
    assert page.panels[0].crowd_tiers == {"phone_verified": 5, "unverified": 2}
    # the declared tier's finding rests on the same verified voters (3 > 2, not 4)
    declared = Finding.objects.get(kind="crowd_declared_exceeds")
    assert (declared.unit, declared.observed, declared.official) == (station, 3, 2)
    assert declared.details["evidence"]["tiers"] == {"phone_verified": 3}
    # the tally stores the unverified ballots by choice, apart from the figures
    stored = UnitCount.objects.get(contest=contest, unit=station).crowd
    kossanov = str(contest.choices.get(code="kossanov").pk)
    assert stored["declared"][kossanov] == 3 and stored["unverified"][kossanov] == 1
    assert stored["tiers"] == {"phone_verified": 5, "unverified": 2}
    assert rows["tokayev"].official == 510 + 520 + 510 + 520
    assert page.panels[0].findings["crowd_exceeds_official"] == 1
    region = unit_page(election["election"], election["regions"][0].id).panels[0]
    assert next(r for r in region.rows if r.choice and r.choice.code == "tokayev").announced == 1500


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


def test_a_ballot_photo_gets_its_display_copy_from_its_job_and_a_broken_one_is_refused(election):
    """The display copy and perceptual hash are made by `ballot_photo_process`, off the reply
    path; a photo that cannot be decoded is still refused on receipt, in the voter's language."""
    from baqylau.evidence.services import EvidenceRejected

    station = election["stations"][0]
    received = services.voter_message_receive(user_id=1201, payload=_msg(1201, "1"), now=0)
    services.voter_station_set(received.voter, station.code)
    ballot = services.ballot_photo_receive(received=received, data=jpeg(12))
    assert ballot.photo_hash and ballot.photo.display == "" and ballot.perceptual_hash == ""

    services.ballot_photo_complete(ballot.pk)
    ballot.refresh_from_db()
    ballot.photo.refresh_from_db()
    assert ballot.photo.display and len(ballot.perceptual_hash) == 16
    assert ballot.perceptual_hash == ballot.photo.perceptual_hash

    broken = jpeg(13)[:400]  # the header of a JPEG with its image data cut off
    with pytest.raises(EvidenceRejected) as caught:
        services.ballot_photo_receive(received=received, data=broken)
    assert caught.value.code == "corrupt_image" and "JPEG" not in caught.value.message("kk")
    assert CrowdBallot.objects.filter(voter=received.voter).count() == 1
