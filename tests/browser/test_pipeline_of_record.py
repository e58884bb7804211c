"""One pipeline of record, end to end, as users meet it: observers post three copies of one
protocol through the API (two agree, one has a typo), the public pages say the copies disagree and
accuse nobody; a moderator accepts a copy in the moderation pages, and the background worker (no
command run by anyone) brings the settled result and the finding to the station, district, region
and country pages within seconds, with the same numbers as the API and the CSV export.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
import urllib.request

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from baqylau.accounts.services import api_token_create
from baqylau.elections.models import (
    AdminUnit,
    Choice,
    Contest,
    Election,
    OfficialLine,
    OfficialResult,
    OfficialVote,
)
from baqylau.jobs.worker import run_until_idle
from baqylau.observers.models import Membership, Organisation
from baqylau.observers.services import add_membership, assign_observer, create_observer
from baqylau.tally.models import StationResult

pytestmark = pytest.mark.django_db(transaction=True)

#: The protocol signed at station 150: 1000 on the list, 650 ballots received, 600 issued and
#: found in the boxes, 580 valid votes.
SIGNED = {"L1": 1000, "L2": 650, "L3": 600, "L4": 10, "L5": 600, "L7": 20, "L8": 50}
VOTES = {"tokayev": 420, "kossanov": 160}
#: What the commission published for the station: 100 votes moved to the leader.
OFFICIAL_VOTES = {"tokayev": 520, "kossanov": 60}


def _unit(election, parent, kind, code, name):
    return AdminUnit.objects.create(
        election=election,
        parent=parent,
        kind=kind,
        code=code,
        path=f"{parent.path}/{code}" if parent else code,
        depth=parent.depth + 1 if parent else 0,
        name_en=name,
        name_ru=name,
        name_kk=name,
        registered_voters=1000 if kind == "station" else None,
    )


def _world():
    election = Election.objects.create(
        code="e2e-kz", date="2026-12-04", kind="presidential", country="KZ", name_en="E2E"
    )
    contest = Contest.objects.create(
        election=election, code="president", kind="presidential", protocol_form="kz_president"
    )
    choices = {
        code: Choice.objects.create(contest=contest, code=code, number=n, name_en=code.title())
        for n, code in enumerate(VOTES, start=1)
    }
    country = _unit(election, None, "country", "KZ", "Kazakhstan")
    region = _unit(election, country, "region", "R1", "Region One")
    district = _unit(election, region, "district", "D1", "District One")
    station = _unit(election, district, "station", "150", "Station 150")
    other = _unit(election, district, "station", "151", "Station 151")
    for unit, votes in ((station, OFFICIAL_VOTES), (other, VOTES)):
        result = OfficialResult.objects.create(contest=contest, unit=unit)
        for line, value in SIGNED.items():
            OfficialLine.objects.create(result=result, line=line, value=value)
        for code, value in votes.items():
            OfficialVote.objects.create(result=result, choice=choices[code], votes=value)
    organisation = Organisation.objects.create(code="e2e", kind="ngo", name_en="E2E observers")
    User = get_user_model()
    tokens = []
    for n in range(3):
        observer = create_observer(organisation=organisation, name=f"Observer {n}", language="en")
        assign_observer(observer=observer, station=station, shift="count")
        user = User.objects.create_user(username=f"observer{n}", password="x")
        add_membership(
            user=user, organisation=organisation, role=Membership.Role.OBSERVER, observer=observer
        )
        tokens.append(api_token_create(user=user)[1])
    moderator = User.objects.create_user(username="moderator", password="pw-moderator-1")
    moderator.is_staff = True
    moderator.save()
    moderator.groups.add(Group.objects.get_or_create(name="moderator")[0])
    return (
        election,
        contest,
        {"country": country, "region": region, "district": district},
        station,
        tokens,
    )


class BackgroundWorker:
    """The worker `baqylau serve` runs beside the web server: here a thread on the test database
    (the same code, `jobs.worker`), running whatever is queued, as it is queued."""

    def __init__(self):
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        from django.db import connection

        while not self.stop.is_set():
            run_until_idle(timeout=5)
            self.stop.wait(0.2)
        connection.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=30)


def _post_copy(base: str, token: str, station: AdminUnit, l4: int) -> dict:
    data = {
        "election": "e2e-kz",
        "station_id": station.pk,
        "lines": {**SIGNED, "L4": l4},
        "votes": VOTES,
        "source": "import",  # ignored: the source comes from the credential
    }
    boundary = "----e2e"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="data"\r\n\r\n'
        f"{json.dumps(data)}\r\n".encode()
    ]
    for page_number in (1, 2):  # the form has two pages: a photo of each
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; '
            f'filename="page{page_number}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
            + _photo((l4, page_number, token[:4]))
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        f"{base}/api/v1/protocols",
        data=body,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Accept-Language": "en",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201
        return json.loads(response.read())


def _photo(seed) -> bytes:
    from PIL import Image

    colour = tuple(hash(seed) % 200 + k for k in (10, 20, 30))
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "JPEG")
    return out.getvalue()


def _get_json(base: str, path: str, token: str) -> dict:
    request = urllib.request.Request(f"{base}{path}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _wait_for(check, seconds: float) -> float:
    """Seconds until `check()` holds; fails after `seconds`."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if check():
            return time.monotonic() - started
        time.sleep(0.2)
    pytest.fail(f"not true within {seconds} s")


def test_copies_disagree_then_a_moderator_settles_the_station_everywhere(
    live_server, page, screenshot
):
    election, contest, units, station, tokens = _world()
    base = live_server.url
    with BackgroundWorker():
        receipts = [
            _post_copy(base, tokens[0], station, 10),
            _post_copy(base, tokens[1], station, 40),  # the typo (still passes the checks)
            _post_copy(base, tokens[2], station, 10),
        ]
        assert [r["checks"] for r in receipts] == ["passed", "passed", "passed"], receipts
        _wait_for(
            lambda: StationResult.objects.filter(station=station, status="conflict").exists(), 10
        )

        # the public station page: copies disagree, no claim about the official result
        station_url = f"{base}/en/e/e2e-kz/u/{station.pk}/"

        def summarised() -> bool:
            page.goto(station_url)
            return "1 station whose copies disagree" in page.locator("main").inner_text()

        _wait_for(summarised, 10)
        text = page.locator("main").inner_text()
        assert "copies disagree, waiting for a moderator" in text
        assert "0 stations where the official result differs" in text
        assert "The official result gives" not in text
        screenshot("station-copies-disagree")

        # a moderator accepts one of the two agreeing copies in the moderation pages
        page.goto(f"{base}/en/moderation/")
        page.fill("input[name=username]", "moderator")
        page.fill("input[name=password]", "pw-moderator-1")
        page.click("form:has(input[name=username]) [type=submit]")  # not the language buttons
        page.wait_for_url("**/moderation/**")
        page.click(f'a[href="/en/moderation/copies/{receipts[0]["receipt"]}/"]')
        page.check('input[name=verdict][value="accept"]')
        page.click("text=Save the decision")
        page.wait_for_selector("text=Decision saved.")
        decided = time.monotonic()

        def settled_on_page() -> bool:
            page.goto(station_url)
            text = page.locator("main").inner_text()
            return "settled by a moderator" in text and "1 station where the official" in text

        _wait_for(settled_on_page, 10)
        text = page.locator("main").inner_text()
        assert "The official result gives votes for Tokayev as 520" in text
        assert "1 station where the official result differs" in text
        screenshot("station-settled")
        # the evidence it rests on: the copy and the decision are on the page
        assert page.locator(f"#copy-{receipts[0]['receipt']}").count() == 1
        assert "decision" in page.locator(f"#copy-{receipts[0]['receipt']}").inner_text()

        for name in ("district", "region", "country"):
            page.goto(f"{base}/en/e/e2e-kz/u/{units[name].pk}/")
            _wait_for(
                lambda: (
                    "1 station where the official result differs"
                    in page.locator("main").inner_text()
                    or bool(page.reload())
                ),
                10,
            )
            text = page.locator("main").inner_text()
            assert "From observers, 1 station" in text
            screenshot(f"{name}-settled")
        assert time.monotonic() - decided < 10 + 4 * 10  # each page waited at most 10 s

    # the same numbers in the API ...
    comparisons = _get_json(base, "/api/v1/elections/e2e-kz/comparisons", tokens[0])
    differs = [i for i in comparisons["items"] if i["kind"] == "station_differs"]
    assert {(i["unit_id"], i["choice"], i["official"], i["observed"]) for i in differs} == {
        (station.pk, "tokayev", 520, 420),
        (station.pk, "kossanov", 60, 160),
    }
    assert differs[0]["details"]["evidence"]["copies"] == [receipts[0]["receipt"]]
    assert differs[0]["details"]["evidence"]["decisions"]
    count = _get_json(
        base, f"/api/v1/elections/e2e-kz/count?unit={units['district'].pk}", tokens[0]
    )
    district_count = next(c for c in count["counts"] if c["unit_id"] == units["district"].pk)
    assert district_count["votes"] == VOTES
    assert district_count["stations_covered"] == 1
    assert district_count["findings"]["station_differs"] == 1

    # ... and in the open data
    with urllib.request.urlopen(
        f"{base}/en/e/e2e-kz/u/{units['country'].pk}/data/findings.csv", timeout=30
    ) as response:
        rows = list(csv.DictReader(io.StringIO(response.read().decode("utf-8-sig"))))
    assert {
        (int(r["unit_id"]), r["choice"], int(r["official"]), int(r["observed"])) for r in rows
    } == {
        (station.pk, "tokayev", 520, 420),
        (station.pk, "kossanov", 60, 160),
    }
    assert {int(r["finding_id"]) for r in rows} == {i["id"] for i in differs}
