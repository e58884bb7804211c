"""Reads for the public pages. Every figure comes from precomputed rows (UnitStats, see services):
a page reads its unit, its ancestors, its children and their stats rows, and small catalogues.

Nothing here returns personal data: observers and voters appear only as counts. The station page
lists accepted protocol copies (figures, checks, display-copy photos through expiring links) and
confirmed violations (type, time, evidence) without any sender, observer id or free text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from baqylau.dashboard.models import Snapshot, UnitStats
from baqylau.elections.models import AdminUnit, Choice, Contest, Election
from baqylau.elections.selectors import natural_key
from baqylau.i18n import localized, normalize_language


def current_language() -> str:
    from django.utils.translation import get_language

    return normalize_language(get_language())


def _crowd_label(key: str) -> str:
    return {
        "against_all": _("Against all"),
        "spoiled": _("Spoiled"),
        "no_photo": _("No photo"),
        "pending": _("Photo without a choice yet"),
        "spam": _("Spam"),
    }[key]


@dataclass
class ChoiceRow:
    """One choice (or a crowd category) in the three sources. None: not known (never 0)."""

    label: str
    choice: Choice | None = None
    crowd: int | None = None  # voters who declared the choice, with or without a photo
    crowd_share: float | None = None
    crowd_photo: int | None = None  # of them, confirmed by a ballot photo
    crowd_exceeds: int | None = None  # stations where the declared votes exceed the official
    crowd_photo_exceeds: int | None = None  # ... where the photo-confirmed votes do
    observed: int | None = None
    observed_share: float | None = None
    official: int | None = None
    official_share: float | None = None
    announced: int | None = None
    announced_share: float | None = None
    official_at_observed: int | None = None
    official_at_observed_share: float | None = None
    category: bool = False


@dataclass
class FindingRow:
    """A comparison finding as the tally wrote it, in the page's language, with where it is."""

    id: int
    kind: str
    text: str
    unit: AdminUnit | None = None


@dataclass
class CoverageRow:
    """One stratum class of the coverage diagnostic: observed stations against all."""

    label: str
    stations: int
    observed: int
    share_of_all: float | None  # this class's share of all stations
    share_of_observed: float | None  # its share of the observed stations
    covered: float | None  # observed / stations of the class


@dataclass
class EstimatePanel:
    """The tally's stored estimate of a unit (leader first), with its coverage diagnostic."""

    rows: list[tuple[Choice, float, float, float]]  # choice, share, low, high
    stations_used: int
    strata_used: int
    strata_total: int
    coverage: list[CoverageRow]
    second_round: str | None


@dataclass
class ContestPanel:
    contest: Contest
    rows: list[ChoiceRow]
    official_stations: int  # stations whose official result is in the official column
    observed_stations: int  # settled stations in the "from observers" column
    has_announced: bool
    official_total: int | None
    announced_total: int | None
    observed_total: int | None
    crowd_total: int
    official_at_observed_total: int | None
    turnout: dict[str, float | None]
    findings: dict[str, int]
    results: dict[str, int]
    copies: dict[str, int]
    finding_rows: list[FindingRow]
    crowd_stations: int = 0  # stations the "from voters" figures rest on
    crowd_stations_photo: int = 0
    crowd_compared: int = 0  # of them, stations with an official result to compare with
    crowd_confirmed_total: int = 0
    crowd_exceeds: dict[str, int] = field(default_factory=dict)
    estimate: EstimatePanel | None = None
    #: What "from voters" rests on: headline ballots by verified tier, the rest by standing.
    crowd_tiers: dict[str, int] = field(default_factory=dict)


@dataclass
class ChildRow:
    unit: AdminUnit
    stations: int
    registered_voters: int
    covered: int = 0
    violations: int = 0
    leader: Choice | None = None
    leader_share: float | None = None
    leader_observed_share: float | None = None
    observed_stations: int = 0
    findings: int = 0


@dataclass
class Counter:
    key: str
    label: str
    value: int
    of: int | None = None


@dataclass
class UnitPage:
    election: Election
    unit: AdminUnit
    breadcrumbs: list[AdminUnit]
    stations: int
    registered_voters: int
    children: list[ChildRow]
    panels: list[ContestPanel] = field(default_factory=list)
    counters: list[Counter] = field(default_factory=list)
    rejected_reasons: list[tuple[str, int]] = field(default_factory=list)
    violations: list[tuple[str, str, int]] = field(default_factory=list)
    curve: dict[str, Any] = field(default_factory=dict)
    selectors: list[dict[str, Any]] = field(default_factory=list)
    snapshots: list[dict[str, Any]] = field(default_factory=list)
    stats_ready: bool = False
    computed_at: Any = None


def elections() -> list[Election]:
    return list(Election.objects.order_by("-date", "code"))


def election_by_code(code: str) -> Election:
    return get_object_or_404(Election, code=code)


def root_units(election: Election) -> list[AdminUnit]:
    return list(election.units.filter(parent__isnull=True).order_by("code"))


def _share(part: int | None, total: int | None) -> float | None:
    return None if part is None or not total else part / total


def _ancestors(unit: AdminUnit) -> list[AdminUnit]:
    codes = unit.path.split("/")
    prefixes = ["/".join(codes[: i + 1]) for i in range(len(codes) - 1)]
    by_path = {
        u.path: u for u in AdminUnit.objects.filter(election_id=unit.election_id, path__in=prefixes)
    }
    return [by_path[p] for p in prefixes if p in by_path]


def _choices(contests: list[Contest]) -> dict[int, Choice]:
    return {
        c.id: c
        for c in Choice.objects.filter(contest__in=contests).order_by("contest", "number", "code")
    }


def _catalogue(label: str) -> dict[str, str]:
    try:
        model = apps.get_model(label)
    except LookupError:
        return {}
    return {row.code: row.localized_name for row in model.objects.all()}


def _int(mapping: dict, key) -> int | None:
    value = (mapping or {}).get(str(key))
    return int(value) if value is not None else None


def _panel(
    contest: Contest, block: dict, choices: dict[int, Choice], units: dict[int, AdminUnit]
) -> ContestPanel:
    """One contest's figures of a unit. A source with no station behind it is unknown: its
    column says so, it never shows 0."""
    own = [c for c in choices.values() if c.contest_id == contest.id]
    official_stations = block.get("official_stations", 0)
    observed_stations = block.get("observed_stations", 0)
    announced = block.get("announced") or {}
    official_total = block.get("official_total") if official_stations else None
    observed_total = block.get("observed_total") if observed_stations else None
    at_observed_total = block.get("official_at_observed_total") if observed_stations else None
    announced_total = sum(announced.values()) if announced else None
    crowd_total = block.get("crowd_total", 0)
    crowd_stations = block.get("crowd_stations", 0)
    exceeds_by = block.get("crowd_exceeds_by_choice", {})
    compared = block.get("crowd_compared", 0)
    rows = []
    for c in own:
        official = _int(block.get("official"), c.id) if official_stations else None
        observed = _int(block.get("observed"), c.id) if observed_stations else None
        at_observed = _int(block.get("official_at_observed"), c.id) if observed_stations else None
        crowd = _int(block.get("crowd"), c.id) if crowd_stations else None
        rows.append(
            ChoiceRow(
                label=c.localized_name,
                choice=c,
                crowd=crowd,
                crowd_share=_share(crowd, crowd_total),
                crowd_photo=_int(block.get("crowd_confirmed"), c.id) if crowd_stations else None,
                crowd_exceeds=_int(exceeds_by.get("declared"), c.id) if compared else None,
                crowd_photo_exceeds=_int(exceeds_by.get("photo"), c.id) if compared else None,
                observed=observed,
                observed_share=_share(observed, observed_total),
                official=official,
                official_share=_share(official, official_total),
                announced=_int(announced, c.id),
                announced_share=_share(_int(announced, c.id), announced_total),
                official_at_observed=at_observed,
                official_at_observed_share=_share(at_observed, at_observed_total),
            )
        )
    rows.sort(key=lambda r: -(r.official or r.observed or r.crowd or 0))
    for key in ("against_all", "spoiled", "spam", "pending"):
        n = _int(block.get("crowd"), key)
        if n:
            rows.append(
                ChoiceRow(
                    label=_crowd_label(key),
                    crowd=n,
                    crowd_share=_share(n, crowd_total),
                    category=True,
                )
            )
    turnout = dict(block.get("turnout", {}))
    if not observed_stations:
        turnout["observed"] = None
    if not official_stations:
        turnout["official"] = None
    return ContestPanel(
        contest=contest,
        rows=rows,
        official_stations=official_stations,
        observed_stations=observed_stations,
        has_announced=bool(announced),
        official_total=official_total,
        announced_total=announced_total,
        observed_total=observed_total,
        crowd_total=crowd_total,
        official_at_observed_total=at_observed_total,
        crowd_stations=crowd_stations,
        crowd_stations_photo=block.get("crowd_stations_photo", 0),
        crowd_compared=compared,
        crowd_confirmed_total=block.get("crowd_confirmed_total", 0),
        crowd_exceeds=dict(block.get("crowd_exceeds", {})),
        turnout=turnout,
        findings=dict(block.get("findings", {})),
        results=dict(block.get("results", {})),
        copies=dict(block.get("copies", {})),
        finding_rows=[_finding_row(item, units) for item in block.get("findings_list", [])],
        crowd_tiers={k: int(v) for k, v in (block.get("crowd_tiers") or {}).items()},
    )


def _class_label(group: str, key: str) -> str:
    return {
        ("settlement", "urban"): _("Towns"),
        ("settlement", "rural"): _("Villages"),
        ("settlement", "abroad"): _("Abroad"),
        ("settlement", "closed"): _("Closed stations"),
        ("settlement", "unknown"): _("Town or village not known"),
        ("size", "small"): _("Small stations (lowest third by registered voters)"),
        ("size", "medium"): _("Middle-sized stations"),
        ("size", "large"): _("Large stations (highest third by registered voters)"),
    }.get((group, key), key)


def _estimate_panel(contest: Contest, unit: AdminUnit) -> EstimatePanel | None:
    """The estimate as the tally stored it (`tally.selectors.unit_estimates`): every choice's
    share and interval, and the coverage diagnostic of the unit (observed vs all stations by
    settlement and by size)."""
    from baqylau.tally.selectors import unit_estimates

    rows = list(unit_estimates(contest, unit))
    if not rows:
        return None
    details = rows[0].details or {}
    coverage: list[CoverageRow] = []
    for group in ("settlement", "size"):
        items = (details.get("coverage") or {}).get(group, [])
        all_total = sum(i["stations"] for i in items)
        observed_total = sum(i["observed"] for i in items)
        coverage += [
            CoverageRow(
                label=_class_label(group, i["class"]),
                stations=i["stations"],
                observed=i["observed"],
                share_of_all=_share(i["stations"], all_total),
                share_of_observed=_share(i["observed"], observed_total),
                covered=_share(i["observed"], i["stations"]),
            )
            for i in items
        ]
    leader = next((r for r in rows if (r.details or {}).get("leader")), rows[0])
    return EstimatePanel(
        rows=[
            (r.choice, r.share, max(r.share - r.margin, 0.0), min(r.share + r.margin, 1.0))
            for r in rows
        ],
        stations_used=rows[0].stations_used,
        strata_used=int(details.get("strata_used", 0)),
        strata_total=int(details.get("strata_total", 0)),
        coverage=coverage,
        second_round=(leader.details or {}).get("second_round"),
    )


def _finding_row(item: dict, units: dict[int, AdminUnit]) -> FindingRow:
    unit = units.get(item.get("unit"))
    text = localized(item.get("message") or {}, current_language())
    if unit is not None:
        text = f"{unit.localized_name}: {text}"
    return FindingRow(id=item["id"], kind=item["kind"], text=text, unit=unit)


def _counters(data: dict, unit: AdminUnit) -> list[Counter]:
    copies = data.get("copies", {})
    rows = [
        Counter("crowd_received", _("Ballot photos received"), data["crowd"]["received"]),
        Counter("crowd_confirmed", _("Confirmed by photo"), data["crowd"]["confirmed"]),
        Counter("covered", _("Stations covered"), data["covered"], of=data["stations"]),
        Counter("copies_received", _("Protocol copies received"), copies.get("received", 0)),
        Counter("copies_passed", _("Passed the checks"), copies.get("passed", 0)),
        Counter("copies_failed", _("Failed the checks"), copies.get("failed", 0)),
        Counter("copies_accepted", _("Accepted by a moderator"), copies.get("accepted", 0)),
        Counter("copies_rejected", _("Rejected by a moderator"), copies.get("rejected", 0)),
        Counter("violations", _("Violations confirmed"), data["violations"]["total"]),
        Counter("observer_bot", _("Users of the observers' bot"), data["bots"]["observer"]),
        Counter("voter_bot", _("Users of the voters' bot"), data["bots"]["voter"]),
    ]
    if unit.is_station:
        rows = [r for r in rows if r.key != "covered"]
    return rows


def _selectors(unit: AdminUnit, breadcrumbs: list[AdminUnit]) -> list[dict[str, Any]]:
    """Region → district → station drop-downs: siblings of each level on the path to `unit`."""
    chain = [*breadcrumbs, unit]
    levels = []
    for depth in range(1, 4):
        parent = chain[depth - 1] if len(chain) > depth - 1 else None
        if parent is None or parent.is_station:
            break
        current = chain[depth] if len(chain) > depth else None
        options = sorted(
            AdminUnit.objects.filter(parent=parent).values_list(
                "id", "kind", "name_kk", "name_ru", "name_en", "code"
            ),
            key=lambda o: natural_key(o[5]),
        )
        if not options:
            break
        kind = options[0][1]
        label = {
            "region": _("Choose a region"),
            "district": _("Choose a district"),
            "station": _("Choose a polling station"),
        }.get(kind, _("Choose a unit"))
        levels.append(
            {
                "name": f"level{depth}",
                "label": label,
                "options": [(o[0], _name(o[2:5], o[5])) for o in options],
                "selected": current.id if current else None,
            }
        )
        if current is None:
            break
    return levels


def _name(names: tuple, code: str) -> str:
    kk, ru, en = names
    return localized({"kk": kk, "ru": ru, "en": en}, current_language()) or code


def _children(unit: AdminUnit, first: Contest | None, choices: dict[int, Choice]) -> list[ChildRow]:
    children = sorted(unit.children.select_related("stats"), key=lambda u: natural_key(u.code))
    rows = []
    for child in children:
        stats = getattr(child, "stats", None)
        data = stats.data if stats else {}
        row = ChildRow(
            unit=child,
            stations=data.get("stations", 0),
            registered_voters=data.get("registered", child.registered_voters or 0),
            covered=data.get("covered", 0),
            violations=data.get("violations", {}).get("total", 0),
        )
        block = data.get("contests", {}).get(str(first.id)) if first else None
        if block:
            source = block.get("announced") or (
                block.get("official") if block.get("official_stations") else {}
            )
            if source and sum(source.values()):
                leader = max(source, key=source.get)
                row.leader = choices.get(int(leader))
                row.leader_share = _share(source[leader], sum(source.values()))
                row.observed_stations = block.get("observed_stations", 0)
                if row.observed_stations and block.get("observed_total"):
                    row.leader_observed_share = _share(
                        block["observed"].get(leader, 0), block["observed_total"]
                    )
            row.findings = sum(block.get("findings", {}).values())
        rows.append(row)
    return rows


def unit_page(election: Election, unit_id: int) -> UnitPage:
    unit = get_object_or_404(
        AdminUnit.objects.select_related("stats"), election=election, id=unit_id
    )
    contests = list(election.contests.order_by("code"))
    choices = _choices(contests)
    stats = getattr(unit, "stats", None)
    data = stats.data if stats else None
    breadcrumbs = _ancestors(unit)
    page = UnitPage(
        election=election,
        unit=unit,
        breadcrumbs=breadcrumbs,
        stations=data["stations"] if data else 0,
        registered_voters=data["registered"] if data else (unit.registered_voters or 0),
        children=_children(unit, contests[0] if contests else None, choices),
        selectors=_selectors(unit, breadcrumbs),
        stats_ready=data is not None,
        computed_at=stats.computed_at if stats else None,
    )
    if data is None:
        return page
    unit_ids = {
        item["unit"]
        for block in data["contests"].values()
        for item in block.get("findings_list", [])
    }
    units = AdminUnit.objects.in_bulk(unit_ids) if unit_ids else {}
    page.panels = [
        _panel(c, data["contests"][str(c.id)], choices, units)
        for c in contests
        if str(c.id) in data["contests"]
    ]
    if not unit.is_station:
        for panel in page.panels:
            panel.estimate = _estimate_panel(panel.contest, unit)
    page.counters = _counters(data, unit)
    page.rejected_reasons = _rejected_reasons(election, unit)
    types = _catalogue("reports.ViolationType")
    page.violations = sorted(
        ((code, types.get(code, code), n) for code, n in data["violations"]["by_type"].items()),
        key=lambda r: -r[2],
    )
    page.curve = data.get("curve", {})
    if unit.depth <= 1:
        page.snapshots = snapshots(election, unit)
    return page


def _rejected_reasons(election: Election, unit: AdminUnit) -> list[tuple[str, int]]:
    """Why moderators rejected copies under the unit (the reason of each copy's last decision)."""
    from baqylau.moderation.selectors import rejection_reasons

    names = _catalogue("moderation.RejectReason")
    counts = rejection_reasons(election, unit)
    return sorted(
        (names.get(code) or code or _("no reason given"), n) for code, n in counts.items()
    )


def live(election: Election, unit_id: int) -> dict[str, Any]:
    """The live counters and the turnout curve of a unit, as JSON-ready data."""
    from django.contrib.humanize.templatetags.humanize import intcomma
    from django.utils import formats, timezone

    row = get_object_or_404(UnitStats, unit_id=unit_id, election=election)
    d = row.data
    counters = _counters(d, row.unit)
    return {
        "unit": unit_id,
        "computed_at": row.computed_at.isoformat(),
        # as the page writes them (language's grouping, server's clock): the refresh shows these
        "computed_at_text": formats.date_format(timezone.localtime(row.computed_at), "H:i"),
        "counters": {c.key: c.value for c in counters},
        "counters_text": {c.key: intcomma(c.value) for c in counters},
        "stations": d["stations"],
        "curve": d.get("curve", {}),
    }


def snapshots(election: Election, unit: AdminUnit) -> list[dict[str, Any]]:
    out = []
    for snap in Snapshot.objects.filter(election=election).order_by("at"):
        figures = snap.data.get(str(unit.id))
        if figures:
            out.append({"at": snap.at, "published_at": snap.published_at, **figures})
    return out


# -- the station page ----------------------------------------------------------------------------


@dataclass
class CopyView:
    id: int
    contest: Contest
    received_at: Any
    pages: int
    checks: str
    moderation: str
    takes_part: bool
    #: The station's result for the contest is settled, so the copy is compared with the official
    #: figures; until then its figures are shown alone (a typo is no commission's change).
    compared: bool
    findings: list[dict[str, Any]]
    lines: list[tuple[str, int, int | None]]
    votes: list[tuple[str, int, int | None]]
    photos: list[str]
    decisions: list[dict[str, Any]]


@dataclass
class ResultView:
    """A station's reconciled result for one contest, as the public may see it."""

    contest: Contest
    status: str
    status_label: str
    settled: bool
    copies: int
    conflicts: list[dict[str, Any]]


@dataclass
class IncidentView:
    id: int
    violation: str
    law_article: str
    occurred_at: Any
    photos: list[str]


def _display_links(submission_ids: list, ttl: int = 600) -> dict[Any, list[str]]:
    """Expiring public links to the display copies (no EXIF) of each submission's images."""
    from baqylau.evidence.models import MediaFile
    from baqylau.evidence.services import signed_url

    links: dict[Any, list[str]] = {}
    media = MediaFile.objects.filter(submission_id__in=submission_ids).exclude(display="")
    for m in media.order_by("submission_id", "page", "id"):
        if not m.is_image:
            continue
        try:
            links.setdefault(m.submission_id, []).append(signed_url(m, None, "display", ttl))
        except Exception:  # no display copy: never fall back to the original
            continue
    return links


def _copy_moderation_label(copy, settled: bool) -> str:
    """A copy's moderation as the public reads it: a copy no moderator looked at is "waiting for
    a moderator" only while its station waits for one."""
    if copy.moderation == copy.Moderation.PENDING and settled:
        return str(_("not reviewed by a moderator (not needed: the result is settled)"))
    return copy.get_moderation_display()


def station_evidence(station: AdminUnit, lang: str) -> dict[str, Any]:
    """What a public station page rests on: every copy that takes part in the station's result
    (its figures, checks, photos and the moderators' decisions, without the sender), the result's
    status (copies agree, disagree, one copy, settled by a moderator) with any dispute, the
    official figures, and the confirmed violations."""
    from baqylau.moderation.models import Decision
    from baqylau.protocols.selectors import localized_findings, station_copies
    from baqylau.tally.selectors import station_results

    results = list(station_results(station))
    taking_part = {int(c) for r in results for c in (r.copy_ids or [])}
    copies = [
        c
        for c in station_copies(station)
        if c.pk in taking_part or c.moderation == c.Moderation.ACCEPTED
    ]
    official: dict[tuple[int, str], int] = {}
    from baqylau.elections.models import OfficialLine, OfficialVote

    for contest_id, line, value in OfficialLine.objects.filter(result__unit=station).values_list(
        "result__contest_id", "line", "value"
    ):
        official[(contest_id, line)] = value
    for contest_id, choice_id, votes in OfficialVote.objects.filter(
        result__unit=station
    ).values_list("result__contest_id", "choice_id", "votes"):
        official[(contest_id, f"c{choice_id}")] = votes
    links = _display_links([c.submission_id for c in copies])
    decisions: dict[int, list[dict[str, Any]]] = {}
    for pk, copy_id, verdict, at in Decision.objects.filter(copy__in=copies).values_list(
        "pk", "copy_id", "verdict", "decided_at"
    ):
        decisions.setdefault(copy_id, []).append({"id": pk, "verdict": verdict, "at": at})
    settled_contests = {r.contest_id for r in results if r.settled}
    views = []
    for copy in copies:
        cid = copy.contest_id
        compared = cid in settled_contests
        views.append(
            CopyView(
                id=copy.pk,
                contest=copy.contest,
                received_at=copy.received_at,
                pages=copy.pages_received,
                checks=copy.get_checks_display(),
                moderation=_copy_moderation_label(copy, compared),
                takes_part=copy.pk in taking_part,
                compared=compared,
                findings=[
                    {"message": f["message"], "severity": f.get("severity", "")}
                    for f in localized_findings(copy.findings, lang)
                ],
                lines=[
                    (row.line, row.value, official.get((cid, row.line)))
                    for row in sorted(copy.lines.all(), key=lambda r: natural_key(r.line))
                ],
                votes=[
                    (v.choice.localized_name, v.votes, official.get((cid, f"c{v.choice_id}")))
                    for v in sorted(copy.votes.all(), key=lambda v: v.choice.number or 0)
                ],
                photos=links.get(copy.submission_id, []),
                decisions=decisions.get(copy.pk, []),
            )
        )
    result_views = [
        ResultView(
            contest=r.contest,
            status=r.status,
            status_label=r.get_status_display(),
            settled=r.settled,
            copies=r.copies_count,
            conflicts=[
                {
                    "what": c.choice.localized_name if c.choice else c.line,
                    "values": [v.get("value") for v in c.values],
                    "resolved": c.resolved_value,
                }
                for c in r.conflicts.all()
            ],
        )
        for r in results
    ]
    incidents: list[IncidentView] = []
    incident = apps.get_model("reports.Incident")
    rows = list(
        incident.objects.filter(station=station, moderation="accepted")
        .select_related("violation")
        .order_by("occurred_at")
    )
    photo_links = _display_links([r.submission_id for r in rows])
    incidents = [
        IncidentView(
            id=r.pk,
            violation=r.violation.localized_name,
            law_article=r.violation.law_article,
            occurred_at=r.occurred_at,
            photos=photo_links.get(r.submission_id, []),
        )
        for r in rows
    ]
    from baqylau.crowd.selectors import station_crowd_evidence

    return {
        "copies": views,
        "results": result_views,
        "incidents": incidents,
        "crowd": station_crowd_evidence(station),
    }


# -- the map ------------------------------------------------------------------------------------


def map_measures() -> list[tuple[str, str]]:
    return [
        ("leader_official", _("Leader's share, official")),
        ("leader_observed", _("Leader's share, from observers")),
        ("leader_crowd", _("Leader's share, from voters")),
        ("difference", _("Official minus observed, leader's share at observed stations")),
        ("coverage", _("Coverage: stations observed")),
        ("violations_per_1000", _("Violations per 1,000 registered voters")),
    ]


def map_data(election: Election, measure: str, href=None) -> dict[str, Any]:
    """The regions (depth 1) with the chosen measure, matched to their shapes."""
    from baqylau.dashboard import maps

    if measure not in maps.MEASURES:
        measure = "leader_official"
    units = list(
        AdminUnit.objects.filter(election=election, depth=1)
        .select_related("stats")
        .order_by("code")
    )
    regions, unmatched, rows = [], [], []
    leader = None
    for unit in units:
        data = getattr(unit, "stats", None)
        figures = data.data.get("map", {}) if data else {}
        leader = leader or figures.get("leader")
        value = figures.get(measure)
        pcode = maps.pcode_for(unit.code, (unit.name_kk, unit.name_ru, unit.name_en))
        rows.append((unit, value))
        if pcode is None:
            unmatched.append((unit, value))
            continue
        regions.append(
            maps.Region(
                pcode=pcode,
                unit_id=unit.id,
                name=unit.localized_name,
                value=value,
                href=href(unit) if href else "",
            )
        )
    leader_choice = Choice.objects.filter(id=leader).first() if leader else None
    kind = maps.MEASURES[measure]
    label = dict(map_measures())[measure]
    if leader_choice and measure.startswith("leader"):
        label = f"{label}: {leader_choice.localized_name}"
    svg = maps.render_svg(regions, kind, title=label)
    return {
        "measure": measure,
        "label": label,
        "kind": kind,
        "svg": svg,
        "rows": [(u, v, maps.format_value(v, kind)) for u, v in rows],
        "unmatched": unmatched,
        "leader": leader_choice,
    }


# -- forensics ----------------------------------------------------------------------------------

# Titles and texts of the forensic methods, in the order of the page. `shows` and `cannot_show`
# repeat `baqylau.forensics.report.TEXTS` word for word (a test keeps them equal) so that the
# page can translate them; the stored report keeps the English originals.
FORENSIC_FIGURES = {
    "histograms": ("turnout_histogram", "leader_share_histogram"),
    "integer_percentages": ("integer_percentages",),
    "fingerprint": ("fingerprint",),
}


def forensic_methods() -> list[tuple[str, str, str, str]]:
    """(key, title, shows, cannot_show) of every method, translated."""
    sign = _("A statistical sign, not proof.")
    return [
        (
            "histograms",
            _("Turnout and leader's share histograms"),
            _(
                # xgettext:no-python-format
                "How turnout and the leader's share are spread over stations; a long right "
                "tail or a second peak near 100 % is typical of ballot stuffing."
            ),
            _("Genuinely diverse places (villages, closed institutions) also make tails.")
            + " "
            + sign,
        ),
        (
            "integer_percentages",
            _("Integer percentages"),
            _(
                "Whether more stations than binomial counting noise allows report a turnout or "
                "a leader share at a whole percent — figures written to a target, not counted."
            ),
            _(
                "Which stations were falsified, or by how much; most stations at round numbers "
                "are honest."
            )
            + " "
            + sign,
        ),
        (
            "fingerprint",
            _("Election fingerprint (Klimek et al.)"),
            _(
                "Whether the distribution of the leader's share across stations needs Klimek et "
                "al.'s incremental (fi) and extreme (fe) fraud to be explained (fitted as in the "
                "authors' program)."
            ),
            _(
                "Heterogeneous honest populations produce similar smears; fi and fe depend on "
                "the model's assumptions."
            )
            + " "
            + sign,
        ),
        (
            "shpilkin",
            _("Shpilkin's method"),
            _(
                "An order of magnitude of the leader's votes above the clean-mode share at "
                "higher turnout."
            ),
            _(
                "Honest turnout–preference correlation counts as anomalous; fraud at normal "
                "turnout is missed. An estimate under strong assumptions."
            )
            + " "
            + sign,
        ),
        (
            "digits",
            _("Digit tests"),
            _(
                # xgettext:no-python-format
                "Whether the digits of the leader's counts depart from 2BL, uniform last digits "
                "and the 20 % share of 0/5 endings."
            )
            + " "
            + _(
                "The table gives the analysts' standard statistics (Mebane; the Election "
                "Forensics Toolkit) for turnout and choices, per unit, each with its reference "
                "value and a bootstrap interval; * marks a reference outside the interval."
            ),
            _("Weak signals: honest counts need not follow these laws.") + " " + sign,
        ),
        (
            "outliers",
            _("Outlier stations within their district"),
            _(
                "Stations that differ sharply from the other stations of their district: where "
                "to look first."
            ),
            _(
                "Closed institutions and small stations differ legitimately; district-wide "
                "fraud is invisible."
            )
            + " "
            + sign,
        ),
        (
            "observed",
            _("Observed and unobserved stations"),
            _(
                "Whether stations without observers report higher turnout and leader share "
                "than observed stations of the same district, and an extrapolated excess."
            ),
            _(
                "Observers are not placed at random; fraud at observed stations or during "
                "aggregation is missed."
            )
            + " "
            + sign,
        ),
    ]


def _num(value, decimals: int = 0) -> str:
    from django.utils.formats import number_format

    if value is None:
        return "—"
    return number_format(
        round(value, decimals), decimal_pos=decimals, use_l10n=True, force_grouping=True
    )


def _pct(value, decimals: int = 1) -> str:
    return "—" if value is None else _num(100 * value, decimals) + " %"


def _forensic_facts(key: str, section: dict[str, Any]) -> list[tuple[str, str]]:
    s = section
    if key == "histograms":
        return [(_("Bin width, percentage points"), _num(s.get("bin_pp"), 1))]
    if key == "integer_percentages":
        return [
            (
                _("Stations at a whole percent"),
                _("%(observed)s of %(stations)s (turnout %(turnout)s, leader %(leader)s)")
                % {
                    "observed": _num(s.get("observed")),
                    "stations": _num(s.get("stations")),
                    "turnout": _num(s.get("observed_turnout")),
                    "leader": _num(s.get("observed_leader")),
                },
            ),
            (_("Expected from counting noise"), _num(s.get("null_mean"), 1)),
            (
                _("Excess over the expected"),
                f"{_num(s.get('excess'), 1)} ± {_num(s.get('null_sd'), 1)}",
            ),
            (_("p-value"), _num(s.get("p_value"), 3)),
        ]
    if key == "fingerprint":
        return [
            (_("Incremental fraud, fi"), _num(s.get("fi"), 2)),
            (_("Extreme fraud, fe"), _num(s.get("fe"), 2)),
        ]
    if key == "shpilkin":
        stations = [(_("Stations"), _num(s["stations"]))] if "stations" in s else []
        return stations + [
            (_("Anomalous votes for the leader"), _num(s.get("anomalous_votes"))),
            (_("Share of the leader's votes"), _pct(s.get("anomalous_share"))),
            (_("Turnout of the clean mode"), _pct(s.get("clean_mode_turnout"))),
            (
                _("Clean region ends at turnout"),
                _pct(s.get("clean_limit_turnout"))
                + " ("
                + (
                    _("the peak of the other choices' votes below the overall turnout")
                    if s.get("variant") == "peak"
                    else _("where the leader's share starts to rise")
                )
                + ")",
            ),
        ]
    if key == "digits":
        return [
            (
                _("Second digits (2BL), p-value"),
                _num(s.get("second_digit_benford", {}).get("p_value"), 3),
            ),
            (
                _("Last digits uniform, p-value"),
                _num(s.get("last_digit_uniform", {}).get("p_value"), 3),
            ),
            (
                _("Counts ending in 0 or 5"),
                _pct(s.get("zero_or_five", {}).get("share")) + " (" + _("expected 20 %") + ")",
            ),
        ]
    if key == "outliers":
        return [
            (_("Stations scored"), _num(s.get("stations_scored"))),
            (_("High turnout and high leader's share"), _num(s.get("stuffing_like"))),
        ]
    if key == "observed":
        if not s.get("available"):
            reason = {
                "no_observers": _(
                    "Not available: no station is known to have had observers (no observer "
                    "was placed at a station and no observer's protocol copy was received)."
                ),
                "no_district_with_both": _(
                    "Not available: no district has both stations with observers and "
                    "stations without them."
                ),
            }.get(s.get("reason_code"), _("Not available."))
            return [(_("Result"), reason)]
        low, high = (s.get("excess_leader_votes_95") or [None, None])[:2]
        return [
            (
                _("Stations with observers / without, in districts that have both"),
                f"{_num(s.get('observed', {}).get('stations'))} / "
                f"{_num(s.get('unobserved', {}).get('stations'))}",
            ),
            (
                _("Leader's share, unobserved minus observed"),
                _num(100 * s["leader_share_difference"], 1) + " " + _("pp"),
            ),
            (
                # xgettext:no-python-format
                _("Excess votes for the leader (95 % interval)"),
                f"{_num(s.get('excess_leader_votes'))} [{_num(low)}, {_num(high)}]",
            ),
        ]
    return []


def _figures_in(lang: str, names: tuple[str, ...], available: set[str]) -> list[str]:
    """The figures of a method in the page's language (`<name>-<lang>`); a report published
    before figures had languages has them under their bare names."""
    out = []
    for name in names:
        if f"{name}-{lang}" in available:
            out.append(f"{name}-{lang}")
        elif name in available:
            out.append(name)
    return out


@dataclass
class ForensicMethod:
    key: str
    title: str
    shows: str
    cannot_show: str
    facts: list[tuple[str, str]]
    figures: list[str]
    table: dict[str, Any] | None = None  # the digit table: {"headers": [...], "rows": [...]}


def _digit_table(election: Election, section: dict[str, Any]) -> dict[str, Any] | None:
    """The standard digit table of the report for the page: one row per variable and unit,
    each cell "value (low – high)" with a mark where the reference lies outside the interval."""
    data = section.get("table")
    if not data or not data.get("rows"):
        return None
    from baqylau.elections.models import AdminUnit, Choice

    names = {
        "2bl": _("Second-digit mean (2BL)"),
        "last_digit": _("Last-digit mean"),
        "c05": _("Counts ending in 0 or 5"),
        "p05": _("Percentages ending in 0 or 5"),
        "skew": _("Skewness"),
        "kurtosis": _("Kurtosis"),
        "dip_p": _("Dip test of unimodality, p-value"),
    }
    choices = {c.code: c.localized_name for c in Choice.objects.filter(contest__election=election)}
    units = {
        u.path: u.localized_name
        for u in AdminUnit.objects.filter(
            election=election, path__in={r["unit"] for r in data["rows"] if r["unit"]}
        )
    }
    reference = data.get("reference", {})
    headers = [_("Variable"), _("Unit"), _("Stations")]
    for key in data["statistics"]:
        label = names.get(key, key)
        if key in reference:
            label += " (" + _("reference %(value)s") % {"value": _num(reference[key], 3)} + ")"
        headers.append(label)
    rows = []
    for row in data["rows"]:
        variable = _("Turnout") if row["variable"] == "turnout" else row["variable"]
        cells = [
            choices.get(row["variable"], variable),
            units.get(row["unit"], row["unit"]) if row["unit"] else _("All stations"),
            _num(row.get("stations")),
        ]
        for key in data["statistics"]:
            cell = row.get(key) or {}
            text = _num(cell.get("value"), 3)
            if cell.get("interval"):
                low, high = cell["interval"]
                text += f" ({_num(low, 3)} – {_num(high, 3)})"
            if cell.get("departs"):
                text += " *"
            cells.append(text)
        rows.append(cells)
    return {"headers": headers, "rows": rows, "draws": data.get("draws")}


def forensics_page(election: Election) -> dict[str, Any] | None:
    """The published forensic report of an election, ready for the page; None if none."""
    import datetime as dt

    from baqylau.forensics.services import published_report

    report = published_report(election.code)
    if report is None:
        return None
    available = set(report.get("figures", []))
    methods = [
        ForensicMethod(
            key=key,
            title=title,
            shows=shows,
            cannot_show=cannot,
            facts=_forensic_facts(key, report[key]),
            figures=_figures_in(current_language(), FORENSIC_FIGURES.get(key, ()), available),
            table=_digit_table(election, report[key]) if key == "digits" else None,
        )
        for key, title, shows, cannot in forensic_methods()
        if key in report
    ]
    published = report.get("published", {})
    try:
        generated = dt.datetime.fromisoformat(published.get("generated_at", ""))
    except ValueError:
        generated = None
    figures = {
        "registered": _("Registered voters"),
        "issued": _("Ballots issued"),
        "received": _("Ballots in the boxes"),
        "valid": _("Valid ballots"),
        "invalid": _("Invalid ballots"),
        "leader_votes": _("The leader's votes"),
    }
    summary = report.get("summary", {})
    return {
        "summary": summary,
        # how many stations were left out for lacking each figure (an unknown figure is never 0)
        "missing": [
            (figures.get(name, name), _num(count))
            for name, count in (summary.get("missing") or {}).items()
        ],
        "consistency": report.get("consistency", {}),
        "published": published,
        "generated_at": generated,
        "methods": methods,
    }
