"""Figures a commission announced for a unit above the stations: imported with a mapping or
entered on the staff page (coordinators and administrators only, decided from the user), written
with an audit event and a ledger entry; the tally compares them with the sum of the unit's parts
and the unit's page publishes the difference in kk/ru/en.

Real data: Kazakhstan 2019. The CEC's regional results (`kazakhstan/`, Table 4 of seed report 000)
add up to 1,495,401 votes for Kossanov; the national figure the CEC member announced on 10 June
2019 (section 3.2 of the same report) is 1,495,491: 90 more than the sum of the regions. The other
six candidates' national figures equal the sum of their regions.
"""

from __future__ import annotations

import csv
import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied

from baqylau.elections import services as election_services
from baqylau.elections.importing import load_mapping, mapping_from_dict, run_import
from baqylau.elections.models import AdminUnit, Contest, OfficialResult
from baqylau.evidence.models import LedgerEntry
from baqylau.jobs.worker import run_until_idle
from baqylau.observers.models import AuditEvent
from baqylau.tally.models import Finding
from tests.conftest import shared_file

pytestmark = pytest.mark.django_db

#: Announced on 10 June 2019 by the CEC (seed report 000, section 3.2), by candidate code.
ANNOUNCED = {
    "akhmetbekov": 167_649,
    "espayeva": 465_714,
    "kossanov": 1_495_491,
    "rakhimbekov": 280_451,
    "taspikhov": 182_898,
    "tokayev": 6_539_715,
    "tugel": 84_582,
}


def _regions_sum(path) -> dict[str, int]:
    """The sum of the regions, read straight from the CSV (independent of the importer)."""
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {code: sum(int(r[code]) for r in rows) for code in ANNOUNCED}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture
def kz2019(shared_data, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    regions = shared_file(shared_data, "kazakhstan/kz2019_president_official_regions.csv")
    assert run_import(regions, load_mapping("kz2019_regions")).ok
    run_until_idle()
    return regions


def _import_national(tmp_path, figures=ANNOUNCED, unit="KZ", mapping=None):
    path = tmp_path / "kz2019_announced.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["unit", *figures, "total_valid"])
        writer.writerow([unit, *figures.values(), ""])
    report = run_import(path, mapping or load_mapping("kz2019_announced"))
    run_until_idle()  # the recount and the public pages, as the worker does
    return report


def test_imported_national_figure_differs_from_the_sum_of_regions(kz2019, client, tmp_path):
    expected = _regions_sum(kz2019)
    assert expected["kossanov"] == 1_495_401  # Table 4's total row
    report = _import_national(tmp_path)
    assert report.ok, report.problems
    assert report.counts.results_created == 1 and report.counts.units_created == 0

    found = list(Finding.objects.filter(kind="parts_do_not_sum").select_related("unit", "choice"))
    # only the country, only Kossanov: the regions have no parts to compare with
    assert [(f.unit.path, f.choice.code) for f in found] == [("KZ", "kossanov")]
    (finding,) = found
    assert (finding.official, finding.observed) == (1_495_491, expected["kossanov"])
    assert finding.details["difference"] == 90
    assert finding.details["parts_count"] == 17

    country = AdminUnit.objects.get(path="KZ")
    said = {
        "kk": ["жарияланған", "1 495 491", "1 495 401", "90", "17"],
        "ru": ["объявленн", "1 495 491", "1 495 401", "на 90 больше", "17"],
        "en": ["announced", "1 495 491", "1 495 401", "90 more than the sum", "17"],
    }
    for lang, words in said.items():
        page = _text(client.get(f"/{lang}/e/kz2019/u/{country.pk}/").content.decode())
        message = finding.details["message"][lang]
        assert message in page, lang
        for word in words:
            assert word in message, (lang, word)
    kk_page = _text(client.get(f"/kk/e/kz2019/u/{country.pk}/").content.decode())
    assert "sum of its parts" not in kk_page and "Findings, each" not in kk_page

    almaty = AdminUnit.objects.get(path="KZ/almaty-city")
    region_page = _text(client.get(f"/en/e/kz2019/u/{almaty.pk}/").content.decode())
    assert "differs from the sum" not in region_page.split("0 units whose")[0]


def _by_header():
    """A mapping written for a file: every column but the unit is a choice, named by code."""
    return mapping_from_dict(
        {
            "election": {"code": "kz2019"},
            "contest": {"code": "president"},
            "units": {"unit": "unit", "root": {"code": "KZ"}},
            "file": {"empty_figures": "skip"},
            "choices": {"remaining": True, "except": ["total_valid"]},
        }
    )


def test_import_is_idempotent_and_refuses_unknown_units_and_choices(kz2019, tmp_path):
    path = tmp_path / "first.csv"
    path.write_text("unit,kossanov\nKZ/almaty-city,50366\n", encoding="utf-8")
    # an import told to create units (the admin's default) still only names existing ones
    assert run_import(path, _by_header(), existing_units=False).ok
    assert _import_national(tmp_path).changed
    assert not _import_national(tmp_path).changed
    bad = _import_national(tmp_path, unit="KZ/nowhere")
    assert not bad.ok and "unknown unit 'KZ/nowhere'" in str(bad.problems[0])
    wrong = _import_national(tmp_path, figures={**ANNOUNCED, "nobody": 5}, mapping=_by_header())
    assert not wrong.ok and "no choice 'nobody'" in str(wrong.problems[0])
    assert OfficialResult.objects.filter(unit__path="KZ").count() == 1


def test_a_regional_total_is_compared_only_where_its_parts_are_known(kz2019, tmp_path):
    """A region's own announced figure has no parts below it here: never a finding."""
    report = _import_national(
        tmp_path, figures={"kossanov": 1}, unit="almaty-city", mapping=_by_header()
    )
    assert report.ok, report.problems
    almaty = OfficialResult.objects.get(unit__path="KZ/almaty-city")
    assert almaty.votes.get(choice__code="kossanov").votes == 1
    assert not Finding.objects.filter(kind="parts_do_not_sum").exists()


@pytest.fixture
def people(db):
    from baqylau.observers.models import Membership, Organisation
    from baqylau.observers.services import add_membership

    User = get_user_model()
    org = Organisation.objects.create(code="org", kind="ngo", name_en="Org")
    users = {}
    for name, role in (
        ("coordinator", Membership.Role.COORDINATOR),
        ("moderator", Membership.Role.MODERATOR),
        ("lawyer", Membership.Role.LAWYER),
    ):
        users[name] = User.objects.create_user(username=name, password="pw")
        add_membership(user=users[name], organisation=org, role=role)
    users["nobody"] = User.objects.create_user(username="nobody", password="pw")
    users["admin"] = User.objects.create_superuser(username="root", password="pw")
    return users


@pytest.mark.parametrize(
    "who, allowed",
    [("coordinator", True), ("admin", True), ("moderator", False), ("lawyer", False)],
)
def test_staff_page_enters_the_national_figure(kz2019, client, people, who, allowed):
    contest = Contest.objects.get(election__code="kz2019")
    country = AdminUnit.objects.get(path="KZ")
    choices = dict(contest.choices.values_list("code", "id"))
    client.force_login(people[who])
    url = "/ru/staff/e/kz2019/announced/"
    page = client.get(url, {"unit": country.pk})
    assert page.status_code == (200 if allowed else 403)
    entries = LedgerEntry.objects.count()
    data = {"contest": contest.pk, "unit": country.pk, "source": "ЦИК РК, 10 июня 2019"}
    data |= {f"votes-{choices[code]}": str(v) for code, v in ANNOUNCED.items()}
    data[f"votes-{choices['tugel']}"] = ""  # not given: unknown, not 0
    response = client.post(url, data)
    if not allowed:
        assert response.status_code == 403
        assert not OfficialResult.objects.filter(unit=country).exists()
        return
    assert response.status_code == 302
    result = OfficialResult.objects.get(unit=country)
    assert dict(result.votes.values_list("choice__code", "votes")) == {
        k: v for k, v in ANNOUNCED.items() if k != "tugel"
    }
    assert LedgerEntry.objects.count() > entries
    event = AuditEvent.objects.get(action="elections.announced.enter")
    assert event.actor == people[who] and event.after["unit_id"] == country.pk
    run_until_idle()
    finding = Finding.objects.get(kind="parts_do_not_sum")
    assert (finding.unit, finding.choice_id, finding.details["difference"]) == (
        country,
        choices["kossanov"],
        90,
    )
    listed = _text(client.get(url).content.decode())
    assert "1 495 491" in listed or "1,495,491" in listed or "1 495 491" in listed


def test_service_checks_the_user_not_the_request(kz2019, people):
    contest = Contest.objects.get(election__code="kz2019")
    country = AdminUnit.objects.get(path="KZ")
    kossanov = contest.choices.get(code="kossanov")
    for who in ("moderator", "lawyer", "nobody"):
        with pytest.raises(PermissionDenied):
            election_services.enter_announced(
                contest=contest, unit=country, votes={kossanov.pk: 1}, source="x", user=people[who]
            )
    with pytest.raises(election_services.AnnouncedError):
        election_services.enter_announced(
            contest=contest, unit=country, votes={kossanov.pk: -1}, source="x", user=people["admin"]
        )
    with pytest.raises(election_services.AnnouncedError):
        election_services.enter_announced(
            contest=contest, unit=country, votes={kossanov.pk: 1}, source=" ", user=people["admin"]
        )
    assert not OfficialResult.objects.filter(unit=country).exists()
