"""Small hand-built elections for tests (the simulator builds the big ones)."""

from __future__ import annotations

import datetime as dt

from baqylau.elections.models import (
    AdminUnit,
    Choice,
    Contest,
    Election,
    OfficialLine,
    OfficialResult,
    OfficialVote,
)


def make_unit(election, parent, kind, code, name, **fields) -> AdminUnit:
    path = f"{parent.path}/{code}" if parent else code
    depth = parent.depth + 1 if parent else 0
    return AdminUnit.objects.create(
        election=election,
        parent=parent,
        kind=kind,
        code=code,
        path=path,
        depth=depth,
        name_en=name,
        name_ru=fields.pop("name_ru", name),
        name_kk=fields.pop("name_kk", name),
        **fields,
    )


def make_small_election(code: str = "test-kz") -> dict:
    """Country → 2 regions → 1 district each → 2 stations each, with station official results.

    Region A also has a published official total that does NOT equal the sum of its stations.
    """
    election = Election.objects.create(
        code=code,
        name_en="Test presidential election",
        name_ru="Тестовые выборы",
        name_kk="Сынақ сайлауы",
        date=dt.date(2019, 6, 9),
        kind="presidential",
        country="KZ",
    )
    contest = Contest.objects.create(
        election=election,
        code="president",
        kind="presidential",
        protocol_form="kz_president",
        name_en="President",
        name_ru="Президент",
        name_kk="Президент",
        majority_threshold=50,
    )
    lead = Choice.objects.create(
        contest=contest,
        code="tokayev",
        number=1,
        name_en="Tokayev",
        name_ru="Токаев",
        name_kk="Тоқаев",
    )
    other = Choice.objects.create(
        contest=contest,
        code="kossanov",
        number=2,
        name_en="Kossanov",
        name_ru="Косанов",
        name_kk="Қосанов",
    )
    country = make_unit(
        election, None, "country", "KZ", "Kazakhstan", name_ru="Казахстан", name_kk="Қазақстан"
    )
    stations = []
    regions = []
    for r, region_name in enumerate(["Region A", "Region B"], start=1):
        region = make_unit(election, country, "region", f"R{r}", region_name)
        regions.append(region)
        district = make_unit(election, region, "district", f"D{r}", f"District {r}")
        for s in range(1, 3):
            code = f"{r}{s:02d}"
            station = make_unit(
                election,
                district,
                "station",
                code,
                f"Station {code}",
                registered_voters=1000,
                address=f"School {code}",
            )
            result = OfficialResult.objects.create(contest=contest, unit=station, source="CEC")
            votes = {lead: 500 + 10 * s, other: 100 + r}
            took_part = sum(votes.values()) + 5
            for line, value in {"L1": 1000, "L5": took_part, "L7": 5}.items():
                OfficialLine.objects.create(result=result, line=line, value=value)
            for choice, n in votes.items():
                OfficialVote.objects.create(result=result, choice=choice, votes=n)
            stations.append(station)
    published = OfficialResult.objects.create(contest=contest, unit=regions[0], source="CEC")
    OfficialVote.objects.create(result=published, choice=lead, votes=1500)
    OfficialVote.objects.create(result=published, choice=other, votes=150)
    return {
        "election": election,
        "contest": contest,
        "country": country,
        "regions": regions,
        "stations": stations,
        "choices": [lead, other],
    }
