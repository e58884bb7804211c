"""Crowd platforms' counts as a source: the API (staff with the right only, every bad row named
in kk/ru/en, nothing recorded unless all rows are valid) and the importer with a crowd mapping;
both stored in the ledger and counted by the tally (its recount job follows by itself)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from baqylau.accounts.services import api_token_create
from baqylau.crowd.models import CrowdCount
from baqylau.elections.importing import mapping_from_dict, run_import
from baqylau.evidence import ledger
from baqylau.evidence.models import LedgerEntry
from baqylau.intake.models import Rejection, Submission
from baqylau.jobs.worker import run_until_idle
from baqylau.tally.models import Finding, UnitCount
from tests.factories import make_small_election

pytestmark = pytest.mark.django_db
URL = "/api/v1/crowd/counts"


@pytest.fixture
def small(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return make_small_election()


def _token(*, staff: bool, perm: bool, name: str = "u") -> str:
    user = get_user_model().objects.create_user(name, password="x" * 12, is_staff=staff)
    if perm:
        user.user_permissions.add(Permission.objects.get(codename="add_crowdcount"))
    return api_token_create(user=user)[1]


def _post(client, token: str | None, body: dict, lang: str = "en"):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post(f"{URL}?lang={lang}", data=body, content_type="application/json", **headers)


def _body(**rows) -> dict:
    counts = rows.pop("counts", None) or [
        {"station": "101", "choice": "kossanov", "declared": 150, "photo": 90},
        {"station": "101", "choice": "tokayev", "declared": 40, "photo": 30},
        {"station": "102", "choice": "kossanov", "photo": 120},
    ]
    return {"election": "test-kz", "contest": "president", "source": "Golos", "counts": counts}


def test_staff_with_the_right_records_counts_the_tally_compares_them(client, small):
    token = _token(staff=True, perm=True)
    response = _post(client, token, _body())
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["rows"] == 3 and body["status"] == "recorded"
    assert set(body["messages"]) == {"kk", "ru", "en"} and "3 counts" in body["messages"]["en"]
    rows = list(CrowdCount.objects.order_by("id"))
    assert [(r.station.code, r.choice.code, r.registered, r.photo) for r in rows] == [
        ("101", "kossanov", 150, 90),
        ("101", "tokayev", 40, 30),
        ("102", "kossanov", None, 120),
    ]
    assert {str(r.submission_id) for r in rows} == {body["submission"]}
    refs = set(LedgerEntry.objects.values_list("ref", flat=True))
    assert {f"crowd.crowdcount:{r.pk}" for r in rows} <= refs
    # the same counts again: the first receipt, nothing new
    again = _post(client, token, _body())
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert CrowdCount.objects.count() == 3

    run_until_idle()  # the recount the counts queued
    kinds = {
        (f.unit.code, f.kind, f.choice.code, f.observed, f.official)
        for f in Finding.objects.filter(kind__startswith="crowd")
    }
    # 101: 150 declared for Kossanov against the official 101 (photos 90: no proof);
    # 102: 120 photo-confirmed (so at least 120 declared) against the official 101
    assert kinds == {
        ("101", "crowd_declared_exceeds", "kossanov", 150, 101),
        ("102", "crowd_declared_exceeds", "kossanov", 120, 101),
        ("102", "crowd_exceeds_official", "kossanov", 120, 101),
    }
    finding = Finding.objects.get(kind="crowd_exceeds_official")
    assert finding.details["evidence"]["crowd_counts"] == [rows[2].pk]
    country = UnitCount.objects.get(unit=small["country"]).crowd
    lead, other = (str(c.pk) for c in small["choices"])
    assert country["declared"] == {lead: 40, other: 270}
    assert country["photo"] == {lead: 30, other: 210}
    assert country["stations"] == 2 and country["compared"] == 2
    assert country["exceeds"] == {"declared": 2, "photo": 1}
    # the same figures in the count API, choices by code
    api = client.get(
        f"/api/v1/elections/test-kz/count?unit={small['country'].pk}",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    ).json()
    (mine,) = [c for c in api["counts"] if c["unit_id"] == small["country"].pk]
    assert mine["crowd"]["declared"] == {"tokayev": 40, "kossanov": 270}
    assert mine["crowd"]["exceeds_by_choice"]["photo"] == {"tokayev": 0, "kossanov": 1}
    _crowd_counts_verify()


def test_a_later_count_replaces_the_earlier_one_of_the_same_platform(client, small):
    token = _token(staff=True, perm=True)
    _post(client, token, _body())
    later = _body(counts=[{"station": "102", "choice": "kossanov", "declared": 100, "photo": 80}])
    assert _post(client, token, later).status_code == 201
    run_until_idle()
    assert not Finding.objects.filter(unit__code="102", kind__startswith="crowd").exists()


@pytest.mark.parametrize(
    ("staff", "perm"), [(False, False), (True, False), (False, True)], ids=["user", "staff", "perm"]
)
def test_only_staff_with_the_right_may_send_counts(client, small, staff, perm):
    response = _post(client, _token(staff=staff, perm=perm), _body(), lang="ru")
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "crowd_not_permitted"
    assert "сотрудник" in body["messages"]["ru"] and "staff" in body["messages"]["en"]
    assert body["messages"]["kk"]
    assert not CrowdCount.objects.exists()
    kept = Submission.objects.get(pk=body["submission"])  # the attempt is kept, refused
    assert kept.kind == "crowd_count" and Rejection.objects.filter(submission=kept).exists()


def test_no_token_no_counts(client, small):
    assert _post(client, None, _body()).status_code == 401
    assert not CrowdCount.objects.exists()


def test_bad_rows_are_named_in_three_languages_and_nothing_is_recorded(client, small):
    token = _token(staff=True, perm=True)
    bad = _body(
        counts=[
            {"station": "101", "choice": "kossanov", "declared": 10, "photo": 5},  # fine
            {"station": "999", "choice": "kossanov", "declared": 1},
            {"station": "101", "choice": "nobody", "declared": 1},
            {"station": "102", "choice": "tokayev", "declared": -3},
            {"station": "102", "choice": "kossanov", "declared": 5, "photo": 9},
            {"station": "201", "choice": "kossanov"},
        ]
    )
    response = _post(client, token, bad)
    assert response.status_code == 422
    body = response.json()
    en = body["messages"]["en"].splitlines()
    assert en == [
        "Row 2: Polling station 999 not found",
        'Row 3: There is no "nobody" on the ballot (it has: kossanov, tokayev)',
        'Row 4: The field "declared votes" is negative: -3',
        "Row 5: More votes confirmed by a ballot photo (9) than declared (5)",
        'Row 6: The field "declared votes" is missing',
    ]
    ru = body["messages"]["ru"].splitlines()
    assert ru[0] == "Строка 2: Участок № 999 не найден" and ru[3].startswith("Строка 5:")
    kk = body["messages"]["kk"].splitlines()
    assert kk[0] == "2-жол: №999 учаске табылмады" and len(kk) == 5
    assert not CrowdCount.objects.exists()
    assert Rejection.objects.filter(submission_id=body["submission"]).exists()


def _crowd_counts_verify() -> None:
    """Every crowd count is in the ledger, unchanged (the factory's official results are written
    directly, so they are left out here)."""
    problems = ledger.verify(check_files=False).problems
    assert not [p for p in problems if "crowd" in (p.ref or "") or "crowd" in p.message]


def _crowd_mapping() -> dict:
    return {
        "election": {"code": "test-kz", "kind": "presidential", "country": "KZ",
                     "date": "2019-06-09"},
        "contest": {"code": "president", "kind": "presidential", "protocol_form": "kz_president"},
        "file": {"format": "csv"},
        "crowd": {"source": "Golos", "declared": "{code}_registered", "photo": "{code}_photo"},
        "units": {"root": {"code": "KZ"}, "levels": [
            {"kind": "region", "code": "region"}, {"kind": "district", "code": "district"},
            {"kind": "station", "code": "station"}]},
        "choices": [{"column": "kossanov", "code": "kossanov"},
                    {"column": "tokayev", "code": "tokayev"}],
    }  # fmt: skip


HEADER = (
    "region,district,station,kossanov_registered,kossanov_photo,tokayev_registered,tokayev_photo\n"
)


def test_importer_reads_crowd_counts_with_a_mapping(small, tmp_path):
    path = tmp_path / "crowd.csv"
    path.write_text(HEADER + "R1,D1,101,150,90,40,30\nR1,D1,102,,120,,\n", encoding="utf-8")
    report = run_import(path, mapping_from_dict(_crowd_mapping()))
    assert report.ok, report.problems
    assert CrowdCount.objects.count() == 3
    assert set(CrowdCount.objects.values_list("import_run_id", flat=True)) == {report.import_run_id}
    again = run_import(path, mapping_from_dict(_crowd_mapping()))
    assert again.ok and CrowdCount.objects.count() == 3  # the same file writes nothing
    run_until_idle()
    assert set(
        Finding.objects.filter(kind__startswith="crowd").values_list("kind", "unit__code")
    ) == {
        ("crowd_declared_exceeds", "101"),
        ("crowd_declared_exceeds", "102"),
        ("crowd_exceeds_official", "102"),
    }
    _crowd_counts_verify()


def test_importer_refuses_bad_crowd_rows(small, tmp_path):
    path = tmp_path / "crowd.csv"
    path.write_text(
        HEADER + "R1,D1,101,5,9,1,1\nR1,D1,999,1,1,1,1\nR1,D1,102,x,1,1,1\n", encoding="utf-8"
    )
    report = run_import(path, mapping_from_dict(_crowd_mapping()))
    reasons = {(p.line, p.column, p.reason) for p in report.problems}
    assert (2, "kossanov_photo", "more photo-confirmed votes (9) than declared (5)") in reasons
    assert any(line == 3 and "unknown station" in reason for line, _c, reason in reasons)
    assert (4, "kossanov_registered", "not a number: 'x'") in reasons
    assert not CrowdCount.objects.exists()
    mapping = _crowd_mapping()
    mapping["choices"].append({"column": "nobody", "code": "nobody"})
    path.write_text(HEADER.strip() + ",nobody_registered,nobody_photo\n", encoding="utf-8")
    report = run_import(path, mapping_from_dict(mapping))
    assert any("no choice 'nobody'" in p.reason for p in report.problems)
