"""Observer management on the web: import with a preview (all or nothing, errors in the
reader's language), edit, invite, placement one by one and in bulk, targets, coverage per
shift; every write checks the user's own roles."""

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation
from openpyxl import Workbook

from baqylau.observers.models import Assignment, AuditEvent, Observer, StationTarget
from baqylau.observers.selectors import shift_coverage
from baqylau.observers.services import (
    ImportFailed,
    ServiceError,
    assign_many,
    check_import,
    set_targets,
    spread,
    update_observer,
)


def xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_row_errors_in_the_readers_language(world):
    bad = b"name,phone,training\n,not a phone,guru\n"
    for lang, word in (("kk", "жол"), ("ru", "строка"), ("en", "line")):
        with translation.override(lang):
            with pytest.raises(ImportFailed) as exc:
                check_import(bad, "o.csv")
            texts = [str(e) for e in exc.value.errors]
        assert len(texts) == 3 and all(word in t for t in texts), (lang, texts)


def test_web_import_previews_then_writes_all(client, world):
    client.force_login(world.users["coord_a"])
    content = xlsx(
        [["name", "phone", "languages", "training"]]
        + [[f"Person {i}", f"+7 702 000 00 {i:02d}", "kk,ru", "trained"] for i in range(10)]
    )
    before = Observer.objects.count()
    upload = io.BytesIO(content)
    upload.name = "observers.xlsx"
    r = client.post(
        "/kk/staff/observers/import/", {"organisation": world.orgs["A"].pk, "file": upload}
    )
    assert r.status_code == 200 and 'data-testid="preview"' in r.content.decode()
    assert Observer.objects.count() == before  # a preview writes nothing
    r = client.post("/kk/staff/observers/import/confirm/")
    assert r.status_code == 302
    assert Observer.objects.filter(organisation=world.orgs["A"]).count() == 3 + 10
    assert AuditEvent.objects.filter(
        action="observer.import", actor=world.users["coord_a"]
    ).exists()


def test_web_import_refuses_an_organisation_not_theirs(client, world):
    client.force_login(world.users["coord_b"])
    upload = io.BytesIO(b"name,phone\nX,+77020000099\n")
    upload.name = "o.csv"
    r = client.post(
        "/en/staff/observers/import/", {"organisation": world.orgs["A"].pk, "file": upload}
    )
    assert r.status_code == 200 and 'data-testid="preview"' not in r.content.decode()
    assert not Observer.objects.filter(phone_hash__isnull=False, name_encrypted="").exists()


def test_edit_keeps_personal_data_encrypted_and_checks_the_role(client, world):
    observer = world.observers["A2"]
    client.force_login(world.users["coord_a"])
    r = client.post(
        f"/ru/staff/observers/{observer.public_id}/",
        {
            "name": "Dauren New",
            "phone": "+7 702 444 55 67",
            "languages": ["kk", "en"],
            "language": "kk",
            "training": "trainer",
            "availability": ["count"],
            "active": "on",
        },
    )
    assert r.status_code == 302
    fresh = Observer.objects.get(pk=observer.pk)
    assert fresh.name == "Dauren New" and fresh.languages == ["kk", "en"]
    assert "Dauren" not in fresh.name_encrypted
    client.force_login(world.users["coord_b"])
    assert client.get(f"/ru/staff/observers/{observer.public_id}/").status_code == 403
    with pytest.raises(PermissionDenied):
        update_observer(observer=fresh, actor=world.users["coord_b"], training="none")


def test_invite_issues_a_bot_link_code(client, world):
    observer = world.observers["A1"]
    client.force_login(world.users["coord_a"])
    r = client.post(f"/en/staff/observers/{observer.public_id}/invite/")
    assert r.status_code == 200 and "/link " in r.content.decode()
    from baqylau.bots.models import LinkCode

    assert LinkCode.objects.filter(observer=observer).count() == 1


def test_bulk_placement_is_all_or_nothing_and_regional_limited(world):
    stations = [world.stations["237"], world.stations["238"]]
    fresh = [Observer.objects.create(organisation=world.orgs["A"]) for _ in range(3)]
    pairs = spread(fresh, stations)
    assert [s.code for _o, s in pairs] == ["237", "238", "237"]
    taken = world.observers["A1"]  # already at 237 for the opening
    with pytest.raises(ServiceError):
        assign_many(pairs=[*pairs, (taken, stations[1])], shift="opening")
    assert not Assignment.objects.filter(observer__in=fresh).exists()
    with pytest.raises(PermissionDenied):  # region 02's coordinator, stations of region 01
        assign_many(pairs=pairs, shift="opening", actor=world.users["regional_a2"])
    done = assign_many(pairs=pairs, shift="opening", actor=world.users["regional_a1"])
    assert len(done) == 3


def test_coverage_per_shift_needs_a_plan(world):
    cov = shift_coverage(world.election, shift="opening", lang="en")
    assert not cov["has_plan"] and cov["uncovered"] == []
    assert cov["total"]["placed_share"] is None  # unknown, never 0 or "no gaps"
    set_targets(stations=list(world.stations.values()), observers=2)
    assert StationTarget.objects.count() == 3
    cov = shift_coverage(world.election, shift="opening", lang="en")
    # opening: A1 at 237, A2 at 238; nobody at 300
    assert cov["has_plan"] and cov["total"]["placed"] == 2 and cov["total"]["planned"] == 3
    assert cov["total"]["placed_pct"] == 67 and cov["total"]["on_target"] == 0
    assert [s["code"] for s in cov["uncovered"]] == ["237", "238", "300"]


def test_coverage_page_in_kk(client, world):
    client.force_login(world.users["coord_a"])
    r = client.get(f"/kk/staff/e/{world.election.code}/coverage/?shift=count")
    html = r.content.decode()
    assert r.status_code == 200 and 'data-testid="no-plan"' in html
    assert 'data-testid="no-gaps"' not in html
    client.force_login(world.users["obs_a1"])
    assert client.get(f"/kk/staff/e/{world.election.code}/placement/").status_code == 403


def test_a_station_that_loses_its_observer_is_an_alert(client, world):
    from baqylau.observers.selectors import gap_alerts
    from baqylau.reports.services import submit_report

    a1 = world.observers["A1"]
    data = {"election": world.election.code, "station": "237", "status": "admitted"}
    assert submit_report(kind="checkin", data=data, observer=a1, channel="web").record
    assert gap_alerts(world.election, user=world.users["coord_a"])["lost"] == []
    removed = {**data, "status": "removed", "reason": "Төраға шығарып жіберді", "at": "11:00"}
    assert submit_report(kind="checkin", data=removed, observer=a1, channel="web").record
    lost = gap_alerts(world.election, user=world.users["coord_a"])["lost"]
    assert [s["station"] for s in lost] == ["237"]
    assert [s["code"] for s in shift_coverage(world.election)["lost"]] == ["237"]
    client.force_login(world.users["coord_a"])
    html = client.get(f"/kk/staff/e/{world.election.code}/live/").content.decode()
    assert 'data-testid="lost"' in html and "учаскеден шығарылды" in html.lower()


def test_live_view_without_placements_says_there_is_no_plan(client, world):
    Assignment.objects.all().delete()
    client.force_login(world.users["coord_a"])
    html = client.get(f"/kk/staff/e/{world.election.code}/live/").content.decode()
    assert 'data-testid="no-plan"' in html and 'data-testid="no-count"' not in html


def test_one_station_target_and_the_regional_limit(client, world):
    code = world.election.code
    client.force_login(world.users["regional_a2"])  # region 02: station 300
    r = client.post(f"/ru/staff/e/{code}/targets/", {"station": "300", "observers": 3})
    assert r.status_code == 302 and StationTarget.objects.get().observers == 3
    r = client.post(f"/ru/staff/e/{code}/targets/", {"station": "237", "observers": 2})
    assert r.status_code == 403 and StationTarget.objects.count() == 1


def test_a_target_for_one_shift(world):
    from baqylau.observers.services import set_station_target

    set_station_target(station=world.stations["300"], observers=3, shift="count")
    set_station_target(station=world.stations["237"], observers=2)  # every shift
    opening = shift_coverage(world.election, shift="opening")
    count = shift_coverage(world.election, shift="count")
    assert opening["total"]["planned"] == 1 and opening["total"]["wanted"] == 2
    assert count["total"]["planned"] == 2 and count["total"]["wanted"] == 5
    # count: B1 at 300 (1 of 3), A1 at 237 (1 of 2): both placed, neither at target
    assert count["total"]["placed"] == 2 and count["total"]["on_target"] == 0
    assert [s["code"] for s in count["uncovered"]] == ["237", "300"]
