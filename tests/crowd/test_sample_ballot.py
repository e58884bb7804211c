"""The official sample ballot: uploaded by staff, voters' photos matched with it by a job."""

from __future__ import annotations

import random

import pytest
from django.contrib.auth import get_user_model

from baqylau.crowd import services
from baqylau.crowd.models import CrowdBallot, SampleBallot
from baqylau.jobs.worker import run_until_idle
from baqylau.simulate import ballot_photos as bp
from tests.bots.helpers import seed_election
from tests.crowd.test_services import _msg

pytestmark = pytest.mark.django_db

FORM = bp.Form(
    key="test-kz",
    title="BALLOT PAPER",
    subtitle="Election of the President, 9 June 2019",
    names=("Tokayev", "Kossanov"),
    notes=("Candidate No. 1", "Candidate No. 2"),
)


@pytest.fixture
def election(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    services.cache_clear()
    yield seed_election()
    services.cache_clear()


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_superuser("chief", password="x")


def _photo(user_id: int, station, data: bytes, answer: str, now: float, capture) -> CrowdBallot:
    received = services.voter_message_receive(
        user_id=user_id, payload=_msg(user_id, station.code), now=now
    )
    services.voter_station_set(received.voter, station.code)
    received = services.voter_message_receive(
        user_id=user_id, payload=_msg(user_id, photo_uid=f"p{user_id}"), now=now + 9
    )
    with capture(execute=True):
        ballot = services.ballot_photo_receive(received=received, data=data)
    received = services.voter_message_receive(
        user_id=user_id, payload=_msg(user_id, "cb"), now=now + 21
    )
    services.ballot_choice_set(received=received, ballot_id=ballot.pk, answer=answer)
    return ballot


def test_upload_needs_the_permission(election):
    user = get_user_model().objects.create_user("voter", password="x")
    with pytest.raises(PermissionError):
        services.sample_ballot_upload(
            contest=election["contest"], data=bp.png_bytes(bp.render_form(FORM)), user=user
        )
    assert not SampleBallot.objects.exists()


def test_photos_checked_against_the_sample(election, staff, django_capture_on_commit_callbacks):
    contest = election["contest"]
    sample = services.sample_ballot_upload(
        contest=contest, data=bp.png_bytes(bp.render_form(FORM)), user=staff
    )
    choices = list(contest.choices.order_by("number"))
    assert [b["choice"] for b in sample.boxes] == [c.pk for c in choices]
    assert sample.photo.submission.kind == "other"  # kept as evidence

    rng = random.Random(3)
    station = election["stations"][0]
    agreeing = _photo(
        3001,
        station,
        bp.ballot_photo(FORM, 1, rng),
        "kossanov",
        0,
        django_capture_on_commit_callbacks,
    )
    disagreeing = _photo(
        3002,
        station,
        bp.ballot_photo(FORM, 0, rng),
        "kossanov",
        40,
        django_capture_on_commit_callbacks,
    )
    not_a_ballot = _photo(
        3003, station, bp.random_image(rng), "tokayev", 80, django_capture_on_commit_callbacks
    )
    assert run_until_idle() >= 3
    for ballot in (agreeing, disagreeing, not_a_ballot):
        ballot.refresh_from_db()
    assert agreeing.photo_match is True and agreeing.photo_marked_choice == choices[1]
    assert agreeing.photo_choice_agrees is True
    assert disagreeing.photo_match is True and disagreeing.photo_marked_choice == choices[0]
    assert disagreeing.photo_choice_agrees is False
    assert not_a_ballot.photo_match is False and not_a_ballot.photo_choice_agrees is None
    # the job sets the tier through set_photo_match: only the agreeing photo is photo matched
    assert agreeing.tier == "photo_matched"
    assert disagreeing.tier == "unverified" and not_a_ballot.tier == "unverified"


def test_choice_declared_after_the_check_sets_the_agreement(election, staff):
    contest = election["contest"]
    services.sample_ballot_upload(
        contest=contest, data=bp.png_bytes(bp.render_form(FORM)), user=staff
    )
    station = election["stations"][0]
    received = services.voter_message_receive(user_id=3010, payload=_msg(3010, "1"), now=0)
    services.voter_station_set(received.voter, station.code)
    ballot = services.ballot_photo_receive(
        received=received, data=bp.ballot_photo(FORM, 0, random.Random(4))
    )
    services.ballot_photo_check(ballot.pk)  # the job, before the voter answers
    ballot.refresh_from_db()
    assert ballot.photo_match and ballot.photo_choice_agrees is None
    received = services.voter_message_receive(user_id=3010, payload=_msg(3010, "cb"), now=30)
    ballot, _ = services.ballot_choice_set(received=received, ballot_id=ballot.pk, answer="tokayev")
    assert ballot.photo_choice_agrees is True and ballot.tier == "photo_matched"


def test_staff_upload_the_sample_in_the_admin(election, staff, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(staff)
    upload = SimpleUploadedFile("sample.png", bp.png_bytes(bp.render_form(FORM)), "image/png")
    response = client.post(
        "/en/admin/crowd/sampleballot/add/",
        {"contest": election["contest"].pk, "boxes": "[]", "upload": upload},
    )
    assert response.status_code == 302, response.content[:2000]
    sample = SampleBallot.objects.get(contest=election["contest"])
    assert len(sample.boxes) == 2 and sample.uploaded_by == "chief"
