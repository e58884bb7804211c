"""Who may do what: every role against every way in (the API, the web pages, the bot's service,
SMS), each pair asserted allowed or forbidden. Recording is decided from the credential, never
from the request body; a refused attempt is kept as a rejected envelope with its reason."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model

from baqylau.accounts.services import api_token_create
from baqylau.intake.models import Rejection, Submission
from baqylau.protocols.models import ProtocolCopy
from baqylau.reports.models import TurnoutCount
from tests.observers.factories import PHONE_A1, build_world

pytestmark = pytest.mark.django_db

#: Lines of a copy of station 237 that passes the checks (2 pages are sent as photos elsewhere;
#: here the copy may fail on pages: recording, not checking, is what is tested).
COPY = {"L1": 2170, "L2": 1000, "L3": 900, "L5": 900, "L7": 10, "L8": 100}


@pytest.fixture
def world(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.SMS_GATEWAY_SECRET = "s3cret"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = build_world()
    nobody = get_user_model().objects.create_user(username="nobody", password="pw-nobody")
    world.users["nobody"] = nobody
    world.tokens["nobody"] = api_token_create(user=nobody)[1]
    admin = get_user_model().objects.create_superuser(username="root", password="pw-root")
    world.users["admin"] = admin
    world.tokens["admin"] = api_token_create(user=admin)[1]
    return world


# (who, on behalf of, expected status): station 237 is observer A1's (org A, region 01).
RECORDING = [
    ("obs_a1", None, 201),  # the observer placed there
    ("obs_a2", None, 403),  # an observer placed elsewhere
    ("obs_b1", None, 403),  # an observer of another organisation
    ("nobody", None, 403),  # an account with no role
    ("moderator", None, 403),
    ("lawyer_a", None, 403),
    ("coord_a", None, 403),  # staff must say on whose behalf
    ("coord_a", "A1", 201),  # ... their organisation's observer: entered on A1's behalf
    ("regional_a1", "A1", 201),  # the region holds station 237
    ("regional_a2", "A1", 403),  # another region
    ("coord_b", "A1", 403),  # another organisation's coordinator
    ("moderator", "A1", 403),  # moderators decide, they do not enter
    ("lawyer_a", "A1", 403),
    ("admin", "A1", 201),  # a platform administrator
    ("obs_a2", "A1", 403),  # an observer cannot enter for another
]


def _on_behalf(world, key):
    return world.observers[key].public_id if key else None


@pytest.mark.parametrize("who, behalf, expected", RECORDING)
def test_who_may_record_a_protocol_copy(client, world, who, behalf, expected):
    data = {
        "election": world.election.code,
        "station": "237",
        "lines": COPY,
        "votes": {"cand-a": 500, "cand-b": 390},
        "source": "import",  # never trusted: the source is set from the credential
    }
    if behalf:
        data["on_behalf_of"] = _on_behalf(world, behalf)
    before = Submission.objects.count()
    response = client.post(
        "/api/v1/protocols",
        data={"data": json.dumps(data)},
        HTTP_AUTHORIZATION=f"Bearer {world.tokens[who]}",
    )
    assert response.status_code == expected, response.content[:400]
    assert Submission.objects.count() == before + 1  # kept either way
    kept = Submission.objects.order_by("-received_at").first()
    assert kept.user == world.users[who]
    if expected == 201:
        copy = ProtocolCopy.objects.get(submission=kept)
        assert copy.source == ProtocolCopy.Source.OBSERVER  # not "import"
        assert copy.source_ref == world.observers["A1"].public_id
        assert kept.sender == world.observers["A1"].public_id
    else:
        assert not ProtocolCopy.objects.filter(submission=kept).exists()
        assert Rejection.objects.get(submission=kept).code in {
            "not_an_observer",
            "not_assigned",
            "not_in_scope",
        }
        assert response.json()["message"]


@pytest.mark.parametrize("who, behalf, expected", RECORDING)
def test_who_may_record_a_turnout_count(client, world, who, behalf, expected):
    data = {"election": world.election.code, "station": "237", "at": "10:30", "count": 100}
    if behalf:
        data["on_behalf_of"] = _on_behalf(world, behalf)
    before = Submission.objects.count()
    response = client.post(
        "/api/v1/reports/turnout",
        data=data,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {world.tokens[who]}",
    )
    assert response.status_code == expected, response.content[:400]
    assert Submission.objects.count() == before + 1
    kept = Submission.objects.order_by("-received_at").first()
    recorded = TurnoutCount.objects.filter(submission=kept).first()
    assert (recorded is not None) == (expected == 201)
    if recorded is not None:
        assert recorded.observer == world.observers["A1"]


def test_without_a_token_nothing_is_recorded_or_read(client, world):
    assert client.post("/api/v1/protocols", data={"data": "{}"}).status_code == 401
    assert client.post("/api/v1/reports/turnout", data={}).status_code == 401
    assert client.get(f"/api/v1/elections/{world.election.code}/comparisons").status_code == 401


@pytest.mark.parametrize("who", ["obs_a1", "nobody", "lawyer_a", "coord_b"])
def test_the_count_api_is_readable_with_any_token(client, world, who):
    response = client.get(
        f"/api/v1/elections/{world.election.code}/comparisons",
        HTTP_AUTHORIZATION=f"Bearer {world.tokens[who]}",
    )
    assert response.status_code == 200


PAGES = {
    "public": ("/en/", {"*"}),
    "moderation": ("/en/moderation/", {"moderator", "admin"}),
    "incidents": ("/en/moderation/incidents/", {"moderator", "admin"}),
    "voters_groups": ("/en/moderation/voters/groups/", {"moderator", "admin"}),
    "legal": ("/en/legal/", {"lawyer_a", "admin"}),
    "admin": ("/en/admin/", {"admin"}),
}
PEOPLE = [
    "anonymous",
    "nobody",
    "obs_a1",
    "coord_a",
    "regional_a1",
    "moderator",
    "lawyer_a",
    "admin",
]


@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("who", PEOPLE)
def test_who_may_open_which_page(client, world, page, who):
    from django.contrib.auth.models import Group

    moderators = Group.objects.get_or_create(name="moderator")[0]
    world.users["moderator"].groups.add(moderators)
    if who != "anonymous":
        client.force_login(world.users[who])
    url, allowed = PAGES[page]
    response = client.get(url)
    if "*" in allowed or who in allowed:
        assert response.status_code == 200, (page, who, response.status_code)
    else:
        # anonymous users are sent to log in; signed-in users without the right get 403
        assert response.status_code in ((302,) if who == "anonymous" else (403, 302)), (
            page,
            who,
            response.status_code,
        )
        if response.status_code == 302:
            assert "login" in response["Location"]


def test_the_bot_files_only_at_the_observers_own_station(world):
    from baqylau.bots import services as bot_services

    placed = bot_services.observer_protocol_submit(
        observer=world.observers["A1"],
        election_code=world.election.code,
        station_id=world.stations["237"].pk,
        lines=COPY,
        votes={"cand-a": 500, "cand-b": 390},
        photos=[],
        language="en",
    )
    assert placed.record is not None
    elsewhere = bot_services.observer_protocol_submit(
        observer=world.observers["A1"],
        election_code=world.election.code,
        station_id=world.stations["300"].pk,
        lines=COPY,
        votes={"cand-a": 500, "cand-b": 390},
        photos=[],
        language="en",
    )
    assert elsewhere.record is None
    assert [p.code for p in elsewhere.problems] == ["not_assigned"]


@pytest.mark.parametrize(
    "phone, text, recorded",
    [
        (PHONE_A1, "T 237 1030 412", True),  # the observer's own station
        (PHONE_A1, "T 300 1030 412", False),  # a station of another observer
        ("+7 777 000 00 00", "T 237 1030 412", False),  # a number nobody registered
    ],
)
def test_sms_records_only_from_a_registered_observer_at_their_station(
    client, world, phone, text, recorded
):
    before = Submission.objects.count()
    response = client.post(
        "/sms/inbound/", data={"from": phone, "text": text}, HTTP_X_BAQYLAU_SECRET="s3cret"
    )
    assert response.status_code == 200
    assert Submission.objects.count() == before + 1
    kept = Submission.objects.order_by("-received_at").first()
    assert TurnoutCount.objects.filter(submission=kept).exists() == recorded
    assert Rejection.objects.filter(submission=kept).exists() != recorded


def test_sms_without_the_gateway_secret_is_refused(client, world):
    response = client.post("/sms/inbound/", data={"from": PHONE_A1, "text": "T 237 1030 412"})
    assert response.status_code == 403
