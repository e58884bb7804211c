"""Open-data exports of the election model: stations and official results, as CSV or JSON.

Both are streamed (constant memory) to any text stream.

**Stations** — one row per polling station::

    election, path, code, name_kk, name_ru, name_en,
    <kind>_code, <kind>_name  for each level above the station (country, region, district, …),
    registered_voters, address, latitude, longitude, is_abroad, closed

**Results** — the canonical *long* format, one row per unit × protocol line or choice::

    election, contest, unit_path, unit_code, unit_kind, unit_name, basis, item_type, item,
    item_name, value

``item_type`` is ``line`` (``item`` = line code such as ``L1``) or ``choice`` (``item`` = choice
code, ``item_name`` its name). ``basis`` says where the figure comes from: ``official`` — the
official result published for that very unit; ``stations`` — the sum of the official station
results below it. For levels above the station both may be present for the same unit; comparing
them is how falsification at the aggregation stage shows. The long format needs no schema change
when a contest has more choices, and it is what spreadsheets pivot and pandas ``pivot_table`` into
the wide form.
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import IO, Any

from django.db.models import Sum

from .models import AdminUnit, Choice, Election, OfficialLine, OfficialResult, OfficialVote
from .selectors import ancestor_map, ancestor_of_kind, localized

STATION_TAIL = ["registered_voters", "address", "latitude", "longitude", "is_abroad", "closed"]
RESULT_COLUMNS = [
    "election",
    "contest",
    "unit_path",
    "unit_code",
    "unit_kind",
    "unit_name",
    "basis",
    "item_type",
    "item",
    "item_name",
    "value",
]
_LINE_NUMBER = re.compile(r"^L(\d+)$")


def line_sort_key(code: str) -> tuple:
    """L1, L2, …, L10, then other codes alphabetically."""
    if m := _LINE_NUMBER.match(code):
        return (0, int(m.group(1)), "")
    return (1, 0, code)


def _write(stream: IO[str], columns: list[str], rows: Iterable[dict[str, Any]], fmt: str) -> int:
    n = 0
    if fmt == "csv":
        writer = csv.DictWriter(stream, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            n += 1
    elif fmt == "json":
        stream.write("[")
        for row in rows:
            stream.write(",\n" if n else "\n")
            stream.write(json.dumps(row, ensure_ascii=False))
            n += 1
        stream.write("\n]\n" if n else "]\n")
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return n


def _level_kinds(units: dict[int, dict]) -> list[str]:
    depth_of: dict[str, int] = {}
    for unit in units.values():
        depth = unit["path"].count("/")
        depth_of[unit["kind"]] = min(depth, depth_of.get(unit["kind"], depth))
    return sorted(depth_of, key=lambda k: depth_of[k])


def station_rows(election: Election, lang: str = "ru") -> tuple[list[str], Iterator[dict]]:
    units = ancestor_map(election)
    kinds = _level_kinds(units)
    columns = ["election", "path", "code", "name_kk", "name_ru", "name_en"]
    for kind in kinds:
        columns += [f"{kind}_code", f"{kind}_name"]
    columns += STATION_TAIL

    def rows() -> Iterator[dict]:
        chains: dict[int, dict[str, Any]] = {}
        qs = (
            AdminUnit.objects.filter(election=election, kind=AdminUnit.Kind.STATION)
            .order_by("path")
            .values("parent_id", "path", "code", "name_kk", "name_ru", "name_en", *STATION_TAIL)
        )
        for station in qs.iterator(chunk_size=5000):
            parent = station.pop("parent_id")
            if parent not in chains:
                chain: dict[str, Any] = {}
                unit_id = parent
                while unit_id is not None and unit_id in units:
                    unit = units[unit_id]
                    chain.setdefault(f"{unit['kind']}_code", unit["code"])
                    chain.setdefault(f"{unit['kind']}_name", localized(unit, lang))
                    unit_id = unit["parent_id"]
                chains[parent] = chain
            row = {"election": election.code, **station, **chains[parent]}
            yield {column: row.get(column) for column in columns}

    return columns, rows()


def export_stations(election: Election, stream: IO[str], fmt: str = "csv", lang: str = "ru") -> int:
    columns, rows = station_rows(election, lang)
    return _write(stream, columns, rows, fmt)


def _choices(election: Election, lang: str) -> dict[int, dict[str, Any]]:
    return {
        c["id"]: {**c, "name": localized(c, lang)}
        for c in Choice.objects.filter(contest__election=election).values(
            "id", "contest_id", "code", "number", "name_kk", "name_ru", "name_en"
        )
    }


def _unit_rows(
    election: Election,
    contest: Any,
    unit: dict[str, Any],
    basis: str,
    lines: dict[str, int],
    votes: dict[int, int],
    choices: dict[int, dict],
    lang: str,
) -> Iterator[dict]:
    base = {
        "election": election.code,
        "contest": contest.code,
        "unit_path": unit["path"],
        "unit_code": unit["code"],
        "unit_kind": unit["kind"],
        "unit_name": localized(unit, lang),
        "basis": basis,
    }
    for code in sorted(lines, key=line_sort_key):
        yield {**base, "item_type": "line", "item": code, "item_name": "", "value": lines[code]}
    for choice_id in sorted(votes, key=lambda c: (choices[c]["number"] or 0, choices[c]["code"])):
        choice = choices[choice_id]
        yield {
            **base,
            "item_type": "choice",
            "item": choice["code"],
            "item_name": choice["name"],
            "value": votes[choice_id],
        }


def _own_results(election, contest, kind, choices, lang, batch=2000) -> Iterator[dict]:
    """Results stored for units of `kind` themselves, in path order, figures fetched in batches."""
    qs = (
        OfficialResult.objects.filter(contest=contest, unit__kind=kind)
        .order_by("unit__path")
        .values_list(
            "id",
            "unit__path",
            "unit__code",
            "unit__kind",
            "unit__name_kk",
            "unit__name_ru",
            "unit__name_en",
        )
    )
    page: list[tuple] = []

    def flush() -> Iterator[dict]:
        ids = [r[0] for r in page]
        lines: dict[int, dict[str, int]] = defaultdict(dict)
        votes: dict[int, dict[int, int]] = defaultdict(dict)
        for rid, line, value in OfficialLine.objects.filter(result_id__in=ids).values_list(
            "result_id", "line", "value"
        ):
            lines[rid][line] = value
        for rid, choice, value in OfficialVote.objects.filter(result_id__in=ids).values_list(
            "result_id", "choice_id", "votes"
        ):
            votes[rid][choice] = value
        for rid, path, code, ukind, kk, ru, en in page:
            unit = {"path": path, "code": code, "kind": ukind, "name_kk": kk, "name_ru": ru,
                    "name_en": en}  # fmt: skip
            yield from _unit_rows(
                election, contest, unit, "official", lines[rid], votes[rid], choices, lang
            )

    for row in qs.iterator(chunk_size=batch):
        page.append(row)
        if len(page) >= min(batch, 900):
            yield from flush()
            page = []
    if page:
        yield from flush()


def _aggregated(election, contest, kind, units, choices, lang) -> Iterator[dict]:
    """Station results summed up to the units of `kind`: SQL per station parent, then roll-up."""
    line_sums: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    vote_sums: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    station = AdminUnit.Kind.STATION
    for parent, line, total in (
        OfficialLine.objects.filter(result__contest=contest, result__unit__kind=station)
        .values_list("result__unit__parent_id", "line")
        .annotate(total=Sum("value"))
        .values_list("result__unit__parent_id", "line", "total")
    ):
        if (target := ancestor_of_kind(units, parent, kind)) is not None:
            line_sums[target][line] += total
    for parent, choice, total in (
        OfficialVote.objects.filter(result__contest=contest, result__unit__kind=station)
        .values_list("result__unit__parent_id", "choice_id")
        .annotate(total=Sum("votes"))
        .values_list("result__unit__parent_id", "choice_id", "total")
    ):
        if (target := ancestor_of_kind(units, parent, kind)) is not None:
            vote_sums[target][choice] += total
    for unit_id in sorted(set(line_sums) | set(vote_sums), key=lambda u: units[u]["path"]):
        yield from _unit_rows(
            election,
            contest,
            units[unit_id],
            "stations",
            dict(line_sums.get(unit_id, {})),
            dict(vote_sums.get(unit_id, {})),
            choices,
            lang,
        )


def result_rows(election: Election, level: str = "station", lang: str = "ru") -> Iterator[dict]:
    choices = _choices(election, lang)
    units = ancestor_map(election) if level != AdminUnit.Kind.STATION else {}
    for contest in election.contests.order_by("code"):
        yield from _own_results(election, contest, level, choices, lang)
        if level != AdminUnit.Kind.STATION:
            yield from _aggregated(election, contest, level, units, choices, lang)


def export_results(
    election: Election, stream: IO[str], level: str = "station", fmt: str = "csv", lang: str = "ru"
) -> int:
    return _write(stream, RESULT_COLUMNS, result_rows(election, level, lang), fmt)
