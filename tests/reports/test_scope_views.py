"""Scope of every role, the coverage table, gap alerts, turnout vs protocol, staff pages."""

import datetime as dt

from django.utils import timezone

from baqylau.intake.models import Submission
from baqylau.observers.models import AuditEvent
from baqylau.observers.selectors import coverage_table, gap_alerts, partner_coverage
from baqylau.protocols.models import CopyLine, ProtocolCopy
from baqylau.reports import selectors, services
from baqylau.reports.models import Incident
from baqylau.tally.services import recount


def report(world, who, kind, **data):
    outcome = services.submit_report(
        kind=kind, data=data, observer=world.observers[who], channel="web", language="en"
    )
    assert outcome.ok, [p.code for p in outcome.problems]
    return outcome.record


def seed_reports(world):
    report(world, "A1", "turnout", station="237", at="10:00", count=100, commission_count=130)
    report(world, "A2", "turnout", station="238", at="10:00", count=50, commission_count=50)
    report(world, "B1", "turnout", station="300", at="10:00", count=70)
    report(world, "A1", "incident", station="237", violation="stuffing", at="11:00")
    report(world, "B1", "incident", station="300", violation="outsiders")


def ids(user, kind="turnout"):
    return set(selectors.visible_reports(user, kind).values_list("station__code", flat=True))


def test_role_scopes(world):
    seed_reports(world)
    u = world.users
    assert ids(u["coord_a"]) == {"237", "238"}
    assert ids(u["coord_b"]) == {"300"}
    assert ids(u["regional_a1"]) == {"237", "238"}
    assert ids(u["regional_a2"]) == set()  # region 02 has only org B's station 300
    assert ids(u["moderator"]) == {"237", "238", "300"}
    assert ids(u["obs_a1"]) == {"237"}
    assert ids(u["obs_a2"]) == {"238"}
    assert ids(u["lawyer_a"]) == {"237", "238"}
    assert ids(u["coord_c"]) == set()


def test_api_listing_is_scoped(client, world):
    seed_reports(world)

    def listing(user):
        r = client.get(
            "/api/v1/reports?kind=turnout", HTTP_AUTHORIZATION=f"Bearer {world.tokens[user]}"
        )
        assert r.status_code == 200
        return {row["station"] for row in r.json()["results"]}

    assert listing("regional_a1") == {"237", "238"}
    assert listing("regional_a2") == set()
    assert listing("obs_a2") == {"238"}
    assert listing("obs_a1") == {"237"}


def test_observer_cannot_read_other_observers_reports(client, world):
    seed_reports(world)
    r = client.get(
        "/api/v1/reports?kind=incident", HTTP_AUTHORIZATION=f"Bearer {world.tokens['obs_a2']}"
    )
    assert r.json()["results"] == []
    r = client.get(
        "/api/v1/reports?kind=incident", HTTP_AUTHORIZATION=f"Bearer {world.tokens['obs_b1']}"
    )
    assert [row["station"] for row in r.json()["results"]] == ["300"]


def test_incident_decision_is_audited(world):
    """Violation reports are decided in moderation (`moderation.services.incident_decide`)."""
    from baqylau.moderation.services import incident_decide

    seed_reports(world)
    incident = Incident.objects.get(station__code="237")
    incident_decide(
        incident=incident,
        moderator=world.users["moderator"],
        verdict="confirm",
        reason="evidence",
    )
    incident.refresh_from_db()
    assert incident.moderation == Incident.Moderation.ACCEPTED
    event = AuditEvent.objects.get(action="moderation.incident.decide")
    assert event.before == {"moderation": "pending"} and event.after["moderation"] == "accepted"
    assert event.after["reason"] == "evidence"
    assert event.actor == world.users["moderator"]


def add_copy(world, station, l5, l4=None, moderation="accepted"):
    submission = Submission.objects.create(
        channel="api", kind="protocol", payload={}, payload_sha256="x" * 64
    )
    copy = ProtocolCopy.objects.create(
        submission=submission,
        contest=world.contest,
        station=world.stations[station],
        source="observer",
        received_at=timezone.now(),
        checks="passed",
        moderation=moderation,
    )
    CopyLine.objects.create(copy=copy, line="L5", value=l5)
    if l4 is not None:
        CopyLine.objects.create(copy=copy, line="L4", value=l4)
    recount(world.contest, stations=[copy.station_id])  # the station's settled result
    return copy


def test_turnout_vs_protocol_discrepancy(world):
    report(world, "A1", "turnout", station="237", at="19:55", count=900)
    report(world, "A2", "turnout", station="238", at="19:50", count=600)
    add_copy(world, "237", l5=1400, l4=20)  # in station 1380 vs 900 counted: flag
    add_copy(world, "238", l5=615, l4=10)  # 605 vs 600: within max(10, 2%)
    flags = {d["station"]: d for d in selectors.turnout_discrepancies(world.election)}
    assert flags["237"]["flag"] is True and flags["237"]["difference"] == 480
    assert flags["238"]["flag"] is False
    # A pending single copy (not accepted by a moderator) settles nothing: not compared.
    report(world, "B1", "turnout", station="300", at="19:50", count=400)
    add_copy(world, "300", l5=1000, moderation="pending")
    flags = {d["station"]: d for d in selectors.turnout_discrepancies(world.election)}
    assert "300" not in flags and "237" in flags


def test_coverage_table(world):
    report(world, "A1", "checkin", station="237", status="admitted")
    add_copy(world, "237", l5=1000)
    add_copy(world, "300", l5=500, moderation="rejected")
    table = coverage_table(world.election, level="region", lang="en")
    rows = {row["name"]: row for row in table["rows"]}
    r1, r2 = rows["region 01"], rows["region 02"]
    assert (r1["stations"], r1["assigned"], r1["observed"], r1["with_copy"]) == (2, 2, 1, 1)
    # 237: A1 twice (one observer) → below 2; 238: A2, L1, C1 → on target.
    assert r1["on_target"] == 1
    assert r1["organisations"] == ["Org A", "Org C"]
    assert (r2["stations"], r2["assigned"], r2["observed"], r2["with_copy"]) == (1, 1, 0, 0)
    assert r2["organisations"] == ["Org B"]
    assert table["total"]["stations"] == 3 and table["total"]["with_copy"] == 1
    districts = coverage_table(world.election, level="district", lang="en")
    assert [r["name"] for r in districts["rows"]] == ["district 0101", "district 0201"]
    # A regional coordinator sees only their region's rows.
    limited = coverage_table(world.election, level="region", user=world.users["regional_a2"])
    assert [r["stations"] for r in limited["rows"]] == [1]


def test_gap_alerts(world):
    gaps = gap_alerts(world.election, user=world.users["coord_a"])
    # Org A: 238 has no A count observer (C1 is org C's, out of A's scope).
    assert [g["station"] for g in gaps["no_count"]] == ["238"]
    report(world, "A1", "checkin", station="237", status="not_admitted", reason="no accreditation")
    gaps = gap_alerts(
        world.election,
        user=world.users["coord_a"],
        silent_since=timezone.now() - dt.timedelta(minutes=5),
    )
    assert {g["station"] for g in gaps["no_count"]} == {"237", "238"}
    assert [(g["observer"], g["status"]) for g in gaps["not_admitted"]] == [
        (world.observers["A1"].public_id, "not_admitted")
    ]
    silent = {g["observer"] for g in gaps["silent"]}
    assert world.observers["A2"].public_id in silent
    assert world.observers["A1"].public_id not in silent
    # The moderator (everything) sees C1's count at 238: only 237 lacks a count observer.
    gaps = gap_alerts(world.election, user=world.users["moderator"])
    assert [g["station"] for g in gaps["no_count"]] == ["237"]


def test_partner_coverage_never_shows_observers(world):
    rows = partner_coverage(world.users["coord_a"], world.election)
    assert rows == [
        {
            "station_id": world.stations["238"].pk,
            "station": "238",
            "path": "KZ/01/0101/238",
            "organisation": "Org C",
        }
    ]
    assert partner_coverage(world.users["coord_b"], world.election) == []


def test_live_page(client, world):
    seed_reports(world)
    client.force_login(world.users["coord_a"])
    r = client.get(f"/en/staff/e/{world.election.code}/live/")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'data-testid="mod-incidents">1<' in html
    assert html.count('data-testid="incident"') == 1
    assert "Org C" in html  # partner coverage
    assert "Aigerim" not in html
    r = client.get(f"/en/staff/e/{world.election.code}/live/?type=outsiders")
    assert r.content.decode().count('data-testid="incident"') == 0
    client.force_login(world.users["moderator"])
    r = client.get(f"/en/staff/e/{world.election.code}/live/?region={world.regions['02'].pk}")
    assert r.content.decode().count('data-testid="incident"') == 1


def test_staff_pages_forbidden_to_observers_and_anonymous(client, world):
    url = f"/en/staff/e/{world.election.code}/live/"
    assert client.get(url).status_code == 302
    client.force_login(world.users["obs_a1"])
    assert client.get(url).status_code == 403
    assert client.get(f"/en/staff/e/{world.election.code}/coverage/").status_code == 403


def test_coverage_page(client, world):
    client.force_login(world.users["coord_a"])
    r = client.get(f"/en/staff/e/{world.election.code}/coverage/?level=district")
    assert r.status_code == 200
    assert "district 0101" in r.content.decode()
