"""Belarus 2020 on real data: the Golos platform's per-station counts (`belarus2020/voice.csv`)
against the official per-station results transcribed in the same file.

Both files go through the platform's own paths: the importer with the shipped mappings
`belarus2020` (official results) and `belarus2020_voice` (crowd counts), then the background jobs
(the recount the imports queue: the tally compares, the dashboard summarises). The expected
numbers are computed independently of the project's code, with a few lines of pandas on the raw
CSV: for each choice, the stations whose official figure for it is known (not empty, not a
negative transcription error) and below the platform's figure for it, for the platform-registered
votes (``{choice}_registered``) and for the photo-confirmed votes (``{choice}_photoVoices``).
"""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from baqylau.elections.importing import load_mapping, run_import
from baqylau.elections.models import AdminUnit, Contest
from baqylau.jobs.worker import run_until_idle
from baqylau.tally.models import Finding, UnitCount
from tests.conftest import shared_file

pytestmark = [pytest.mark.slow, pytest.mark.realdata, pytest.mark.django_db]

CHOICES = ("tihanovkaja", "lukashenko", "dmitriyev", "kanopatskaja", "cherechen", "against")
TIERS = {"declared": "registered", "photo": "photoVoices"}


def expected_from_the_raw_file(path) -> dict[str, dict]:
    """Independent of the project: pandas on the raw CSV."""
    import pandas as pd

    raw = pd.read_csv(path, dtype={"id": str})
    out: dict[str, dict] = {}
    for tier, column in TIERS.items():
        exceeds = pd.DataFrame(
            {
                c: raw[f"{c}_{column}"]
                > raw[f"{c}_officialVotes"].where(raw[f"{c}_officialVotes"] >= 0)
                for c in CHOICES
            }
        )
        out[tier] = {
            "by_choice": {c: int(exceeds[c].sum()) for c in CHOICES},
            "stations": int(exceeds.any(axis=1).sum()),
            "ids": set(raw.loc[exceeds["tihanovkaja"], "id"]),
        }
    out["with_official"] = int(raw["officialVotes"].notna().sum())
    return out


def _number(text: str) -> int:
    return int(re.sub(r"[^\d]", "", text))


@pytest.fixture
def belarus(shared_data, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    path = shared_file(shared_data, "belarus2020/voice.csv")
    for mapping in ("belarus2020", "belarus2020_voice"):
        report = run_import(path, load_mapping(mapping))
        assert report.ok, report.problems[:5]
    run_until_idle()  # the recount and summaries the imports queued
    return path


def test_crowd_exceeds_official_on_belarus_2020(belarus, client):
    expected = expected_from_the_raw_file(belarus)
    contest = Contest.objects.get(election__code="by2020")
    codes = dict(contest.choices.values_list("pk", "code"))
    root = AdminUnit.objects.get(election=contest.election, depth=0)

    # computed by the tally: its findings, one per station and choice, and the country's count
    for tier, kind in (("declared", "crowd_declared_exceeds"), ("photo", "crowd_exceeds_official")):
        found: dict[str, int] = dict.fromkeys(CHOICES, 0)
        for choice_id in Finding.objects.filter(contest=contest, kind=kind).values_list(
            "choice_id", flat=True
        ):
            found[codes[choice_id]] += 1
        assert found == expected[tier]["by_choice"], tier
        stations = set(
            Finding.objects.filter(
                contest=contest, kind=kind, choice__code="tihanovkaja"
            ).values_list("unit__code", flat=True)
        )
        assert stations == expected[tier]["ids"]
    crowd = UnitCount.objects.get(contest=contest, unit=root).crowd
    for tier in TIERS:
        by_choice = {codes[int(c)]: n for c, n in crowd["exceeds_by_choice"][tier].items()}
        assert by_choice == expected[tier]["by_choice"]
        assert crowd["exceeds"][tier] == expected[tier]["stations"]
    assert crowd["stations"] == 5709

    # shown on the dashboard: the country page, in English
    with translation.override("en"):
        page = client.get(f"/en/e/by2020/u/{root.pk}/").content.decode()
    for tier in TIERS:
        shown = re.search(rf'data-crowd-exceeds="{tier}">([\d,\s\u00a0]+)<', page)
        assert shown and _number(shown.group(1)) == expected[tier]["stations"], tier
    for code in CHOICES:
        row = re.search(rf'<tr data-choice="{code}">(.*?)</tr>', page, re.S).group(1)
        for tier in TIERS:
            cell = re.search(rf'data-tier="{tier}">([^<]*)<', row).group(1)
            assert _number(cell) == expected[tier]["by_choice"][code], (code, tier)
    assert re.search(r"From voters, 5,?709 stations", page)  # what the figures rest on

    # a station where the photos prove the official figure wrong: the finding and what it rests on
    station_code = sorted(expected["photo"]["ids"])[0]
    station = AdminUnit.objects.get(election=contest.election, code=station_code)
    with translation.override("en"):
        station_page = client.get(f"/en/e/by2020/u/{station.pk}/").content.decode()
    finding = Finding.objects.get(
        contest=contest, unit=station, kind="crowd_exceeds_official", choice__code="tihanovkaja"
    )
    assert f'id="finding-{finding.pk}"' in station_page and 'href="#crowd-h"' in station_page
    (count_id,) = finding.details["evidence"]["crowd_counts"]
    assert f'id="crowd-count-{count_id}"' in station_page
