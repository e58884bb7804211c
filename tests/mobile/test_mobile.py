"""Mobile groups: registered with their area, sent to a station from a critical incident by a
coordinator whose role allows it; the group's arrival and report arrive through the intake
writer (any channel) and are tied to the dispatch, which is ledgered."""

import pytest
from django.core.exceptions import PermissionDenied

from baqylau.evidence import ledger
from baqylau.mobile import services
from baqylau.mobile.models import Dispatch
from baqylau.mobile.selectors import dispatch_story, open_dispatches
from baqylau.observers.models import AuditEvent
from baqylau.observers.services import ServiceError, create_observer
from baqylau.reports.models import CheckIn, Note, ViolationType
from tests.legal.factories import make_incident, photo


@pytest.fixture
def group(world):
    rover = create_observer(organisation=world.orgs["A"], name="Roving Lawyer", language="kk")
    return services.register_group(
        organisation=world.orgs["A"],
        name="Mobile 1",
        area=world.regions["01"],
        members=[rover],
        lawyer_on_board=True,
        actor=world.users["coord_a"],
    )


@pytest.fixture
def critical(world):
    incident = make_incident(world, "A1", "237", "stuffing", 10, 15, "Вброс", 1)
    ViolationType.objects.filter(pk=incident.violation_id).update(severity="critical")
    incident.violation.refresh_from_db()
    return incident


def test_register_checks_the_role_and_the_members(world):
    rover = create_observer(organisation=world.orgs["B"], name="Other org")
    with pytest.raises(PermissionDenied):
        services.register_group(
            organisation=world.orgs["A"],
            name="X",
            area=world.regions["01"],
            members=[world.observers["A2"]],
            actor=world.users["coord_b"],
        )
    with pytest.raises(ServiceError):
        services.register_group(
            organisation=world.orgs["A"],
            name="X",
            area=world.regions["01"],
            members=[rover],
            actor=world.users["coord_a"],
        )


def test_dispatch_arrival_and_report_through_the_intake(world, group, critical):
    with pytest.raises(PermissionDenied):  # region 02's coordinator, station in region 01
        services.dispatch(group=group, incident=critical, actor=world.users["regional_a2"])
    task = services.dispatch(group=group, incident=critical, actor=world.users["coord_a"])
    with pytest.raises(ServiceError):  # one task at a time
        services.dispatch(group=group, incident=critical, actor=world.users["coord_a"])
    rover = group.members.get()
    assert list(open_dispatches(rover)) == [task]

    outcome = services.record_arrival(observer=rover, dispatch_id=task.pk, channel="web")
    assert isinstance(outcome.record, CheckIn) and outcome.record.station == critical.station
    task.refresh_from_db()
    assert task.status == "arrived" and task.arrival_id == outcome.submission.pk

    outcome = services.record_report(
        observer=rover,
        dispatch_id=task.pk,
        text="Акт жасалды: урнаға бюллетеньдер салынғаны расталды.",
        files=[(photo(7), "act.jpg")],
        channel="web",
    )
    assert isinstance(outcome.record, Note)
    task.refresh_from_db()
    assert task.status == "reported" and task.report_id == outcome.submission.pk
    story = dispatch_story(task)
    assert story["report"].text.startswith("Акт") and len(story["media"]) == 1
    assert story["media"][0]["url"].startswith("/evidence/")
    assert not list(open_dispatches(rover))  # closed: no longer a place to report from
    assert ledger.verify().ok
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "mobile.group.create",
        "mobile.dispatch",
        "mobile.arrived",
        "mobile.reported",
    } <= actions


def test_a_report_from_elsewhere_is_not_the_groups(world, group, critical):
    task = services.dispatch(group=group, incident=critical, actor=world.users["coord_a"])
    other = world.observers["A2"]  # not a member
    with pytest.raises(PermissionDenied):
        services.record_arrival(observer=other, dispatch_id=task.pk, channel="web")
    assert Dispatch.objects.get(pk=task.pk).status == "sent"


def test_only_critical_incidents(world, group):
    incident = make_incident(world, "A2", "238", "protocol_refused", 21, 30, "x", 3)
    ViolationType.objects.filter(pk=incident.violation_id).update(severity="serious")
    incident.violation.refresh_from_db()
    with pytest.raises(ServiceError):
        services.dispatch(group=group, incident=incident, actor=world.users["coord_a"])


def test_pages(client, world, group, critical):
    client.force_login(world.users["coord_a"])
    assert client.get("/kk/staff/mobile/").status_code == 200
    r = client.post(f"/kk/staff/mobile/dispatch/{critical.pk}/", {"group": group.pk})
    assert r.status_code == 302
    task = Dispatch.objects.get()
    assert client.get(f"/kk/staff/mobile/tasks/{task.pk}/").status_code == 200
    client.force_login(world.users["obs_a1"])  # an observer, not a member of the group
    assert client.get(f"/kk/staff/mobile/tasks/{task.pk}/").status_code == 403
    r = client.get("/kk/observe/tasks/")
    assert r.status_code == 200 and 'data-testid="my-task"' not in r.content.decode()
