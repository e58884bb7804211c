"""Open data: the same datasets for any unit (its stations) or the whole election, as rows.

Long format throughout: one row per station × line or station × choice (choices are rows, never
columns). No personal data: stations, figures, counts and findings only. Column definitions
(kk/ru/en through gettext) are in `DATASETS` and shown on the data dictionary page.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from baqylau.dashboard.models import UnitStats
from baqylau.elections.models import AdminUnit, Choice, Election, OfficialLine, OfficialVote

FORMATS = ("csv", "json", "xlsx")

DATASETS: dict[str, dict] = {
    "stations": {
        "title": _("Polling stations"),
        "columns": [
            ("station_id", _("Identifier of the station in this database")),
            ("path", _("Codes from the country down to the station, separated by /")),
            ("code", _("Station number")),
            ("name_kk", _("Name in Kazakh")),
            ("name_ru", _("Name in Russian")),
            ("name_en", _("Name in English")),
            ("registered_voters", _("Registered voters (station list)")),
            ("abroad", _("1 for a station abroad")),
            ("closed", _("Kind of closed station (military, hospital, detention), else empty")),
            ("observed", _("1 when observers were present or sent a report")),
            ("protocol_copies_received", _("Protocol copies received")),
            ("protocol_copies_accepted", _("Protocol copies accepted by a moderator")),
            (
                "result_status",
                _(
                    "The station's observed result: agreed (copies agree), single (one copy, waiting), "
                    "conflict (copies disagree, waiting for a moderator), resolved (settled by a "
                    "moderator), checked (one copy counted by the election's policy); empty: none"
                ),
            ),
            ("crowd_ballots", _("Ballot photos sent by voters")),
            ("violations", _("Violations confirmed by moderators")),
        ],
    },
    "official": {
        "title": _("Official results"),
        "columns": [
            ("station_id", _("Identifier of the station")),
            ("path", _("Codes from the country down to the station")),
            ("contest", _("Contest code")),
            ("item", _("'line' for a protocol line, 'choice' for votes of a choice")),
            ("code", _("Protocol line code (L1 registered … L8 unused) or choice code")),
            ("value", _("Official figure")),
        ],
    },
    "observed": {
        "title": _("Observed results (signed protocol copies)"),
        "columns": [
            ("station_id", _("Identifier of the station")),
            ("path", _("Codes from the country down to the station")),
            ("contest", _("Contest code")),
            ("status", _("agreed or resolved: settled (counted and compared); the others wait")),
            ("item", _("'line' for a protocol line, 'choice' for votes of a choice")),
            ("code", _("Protocol line code or choice code")),
            ("value", _("Figure the copies of the signed protocol settle (absent while disputed)")),
        ],
    },
    "crowd": {
        "title": _("Figures from voters"),
        "columns": [
            ("station_id", _("Identifier of the station")),
            ("path", _("Codes from the country down to the station")),
            ("contest", _("Contest code")),
            ("code", _("Choice code, or against_all / spoiled / spam / pending")),
            (
                "ballots",
                _(
                    "Voters who declared the choice (with or without a photo): verified voters "
                    "of the voters' bot (phone verified, or photo matching the sample ballot) "
                    "or a crowd platform's count, the larger; or ballots received"
                ),
            ),
            ("confirmed", _("Of which confirmed by a ballot photo")),
            ("unverified", _("Counted ballots of unverified voters, not in the figures")),
        ],
    },
    "findings": {
        "title": _("Comparison findings"),
        "columns": [
            ("finding_id", _("Identifier of the finding (as in the API and on the pages)")),
            ("unit_id", _("Identifier of the station or unit")),
            ("path", _("Codes from the country down to the station or unit")),
            ("contest", _("Contest code")),
            (
                "kind",
                _(
                    "station_differs: the official result differs from the settled copies; "
                    "subset_exceeds_total: observed stations alone exceed the official total; "
                    "parts_do_not_sum: an official total differs from the sum of its parts; "
                    "official_inconsistent: official figures break the protocol's checks; "
                    "crowd_exceeds_official: voters' photos exceed the official votes; "
                    "crowd_declared_exceeds: voters who declared a choice exceed its official "
                    "votes"
                ),
            ),
            ("line", _("Protocol line concerned, if any")),
            ("choice", _("Choice code concerned, if any")),
            ("official", _("Official figure")),
            ("observed", _("The other figure: settled copies, sum of parts, or ballot photos")),
            ("copies", _("Protocol copies the finding rests on (ids, separated by spaces)")),
            ("decisions", _("Moderators' decisions it rests on (ids)")),
            (
                "from_voters",
                _(
                    "Figures from voters it rests on: crowd platforms' counts (c<id>) and "
                    "voters' ballots (b<id>)"
                ),
            ),
        ],
    },
}


def columns(dataset: str) -> list[str]:
    return [c for c, _ in DATASETS[dataset]["columns"]]


def _under(unit: AdminUnit | None, prefix: str = ""):
    """Filter kwargs: stations under `unit` (or the whole election when None)."""
    if unit is None:
        return {}
    if unit.is_station:
        return {f"{prefix}id": unit.id}
    return {f"{prefix}path__startswith": unit.path + "/"}


def _station_stats(election: Election, unit: AdminUnit | None):
    return (
        UnitStats.objects.filter(
            election=election,
            unit__kind=AdminUnit.Kind.STATION,
            **_under(unit, "unit__"),
        )
        .select_related("unit")
        .order_by("unit__path")
        .iterator(chunk_size=2000)
    )


def rows(election: Election, unit: AdminUnit | None, dataset: str) -> Iterator[list]:
    """Rows (lists in `columns(dataset)` order) of one dataset under a unit."""
    contests = {c.id: c.code for c in election.contests.all()}
    choice_codes = {str(c.id): c.code for c in Choice.objects.filter(contest__election=election)}
    if dataset == "stations":
        status = _result_status(election, unit)
        for s in _station_stats(election, unit):
            u, d = s.unit, s.data
            yield [
                u.id, u.path, u.code, u.name_kk, u.name_ru, u.name_en,
                u.registered_voters, int(u.is_abroad), u.closed, int(bool(d.get("covered"))),
                d["copies"].get("received", 0), d["copies"].get("accepted", 0),
                status.get(u.id, ""), d["crowd"]["received"], d["violations"]["total"],
            ]  # fmt: skip
    elif dataset in ("official", "observed"):
        yield from _results(election, unit, dataset, contests, choice_codes)
    elif dataset == "crowd":
        for s in _station_stats(election, unit):
            for cid, block in s.data["contests"].items():
                confirmed = block.get("crowd_confirmed", {})
                headline = block.get("crowd", {})
                unverified = block.get("crowd_unverified", {})
                for key in sorted(set(headline) | set(unverified)):
                    code = choice_codes.get(key, key)
                    yield [
                        s.unit_id, s.unit.path, contests.get(int(cid)), code,
                        headline.get(key, 0), confirmed.get(key, "" if not key.isdigit() else 0),
                        unverified.get(key, "" if not key.isdigit() else 0),
                    ]  # fmt: skip
    elif dataset == "findings":
        yield from _findings(election, unit, contests, choice_codes)
    else:
        raise KeyError(dataset)


def _results(election, unit, dataset, contests, choice_codes) -> Iterator[list]:
    if dataset != "official":
        yield from _observed_results(election, unit, contests, choice_codes)
        return
    path = "result__unit__path"
    scope = {"result__contest__election": election, "result__unit__kind": "station"}
    scope |= _under(unit, "result__unit__")
    line_qs = OfficialLine.objects.filter(**scope).values_list(
        "result__unit_id", "result__unit__path", "result__contest_id", "line", "value"
    )
    vote_qs = OfficialVote.objects.filter(**scope).values_list(
        "result__unit_id", "result__unit__path", "result__contest_id", "choice_id", "votes"
    )
    for sid, where, cid, line, value in line_qs.order_by(path, "pk"):
        yield [sid, where, contests.get(cid), "line", line, value]
    for sid, where, cid, choice, value in vote_qs.order_by(path, "pk"):
        yield [
            sid,
            where,
            contests.get(cid),
            "choice",
            choice_codes.get(str(choice), choice),
            value,
        ]


def _result_status(election: Election, unit: AdminUnit | None) -> dict[int, str]:
    """Station id → status of its observed result (the first contest's, by code)."""
    from baqylau.tally.models import StationResult

    scope = {"contest__election": election} | _under(unit, "station__")
    out: dict[int, str] = {}
    for station_id, status in (
        StationResult.objects.filter(**scope)
        .order_by("-contest__code")
        .values_list("station_id", "status")
    ):
        out[station_id] = status
    return out


def _observed_results(election, unit, contests, choice_codes) -> Iterator[list]:
    """The reconciled station results (the tally's), with their status: only figures the copies
    settle are there; a disputed figure is absent, never 0."""
    from baqylau.tally.models import StationResult

    scope = {"contest__election": election} | _under(unit, "station__")
    rows = (
        StationResult.objects.filter(**scope)
        .order_by("station__path", "pk")
        .values_list("station_id", "station__path", "contest_id", "status", "lines", "votes")
    )
    for sid, where, cid, status, lines, _votes in rows.iterator(chunk_size=2000):
        for line, value in sorted((lines or {}).items(), key=lambda kv: (len(kv[0]), kv[0])):
            yield [sid, where, contests.get(cid), status, "line", line, value]
    for sid, where, cid, status, _lines, votes in rows.iterator(chunk_size=2000):
        for choice, value in sorted((votes or {}).items(), key=lambda kv: int(kv[0])):
            code = choice_codes.get(str(choice), int(choice))
            yield [sid, where, contests.get(cid), status, "choice", code, value]


def _findings(election, unit, contests, choice_codes) -> Iterator[list]:
    """The tally's findings at or under the unit: the same rows as the API and the pages."""
    from baqylau.tally.models import Finding

    findings = Finding.objects.filter(contest__election=election)
    if unit is not None:
        findings = findings.filter(Q(unit=unit) | Q(unit__path__startswith=unit.path + "/"))
    rows = (
        findings
        .order_by("unit__path", "kind", "line", "choice_id", "pk")
        .values_list(
            "pk", "unit_id", "unit__path", "contest_id", "kind", "line", "choice_id",
            "official", "observed", "details",
        )
    )  # fmt: skip
    for pk, uid, where, cid, kind, line, choice, official, observed, details in rows.iterator(
        chunk_size=2000
    ):
        evidence = (details or {}).get("evidence", {})
        yield [
            pk, uid, where, contests.get(cid), kind, line,
            choice_codes.get(str(choice), "") if choice else "", official, observed,
            " ".join(str(c) for c in evidence.get("copies", [])),
            " ".join(str(d) for d in evidence.get("decisions", [])),
            " ".join(
                [f"c{c}" for c in evidence.get("crowd_counts", [])]
                + [f"b{b['ballot']}" for b in evidence.get("ballots", [])]
            ),
        ]  # fmt: skip


# -- writers ------------------------------------------------------------------------------------


class _Echo:
    def write(self, value):
        return value


def csv_stream(header: list[str], data: Iterator[list]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(header)  # BOM: spreadsheets then read UTF-8 Cyrillic right
    for row in data:
        yield writer.writerow(row)


def json_stream(header: list[str], data: Iterator[list], meta: dict) -> Iterator[str]:
    yield '{"meta": ' + json.dumps(meta, ensure_ascii=False) + ', "rows": ['
    first = True
    for row in data:
        yield ("" if first else ",") + json.dumps(
            dict(zip(header, row, strict=True)), ensure_ascii=False
        )
        first = False
    yield "]}"


def xlsx_bytes(header: list[str], data: Iterator[list], sheet: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=sheet[:31])
    ws.append(header)
    for row in data:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
