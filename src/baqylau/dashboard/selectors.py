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
    label: str
    choice: Choice | None = None
    crowd: int | None = None
    crowd_share: float | None = None
    observed: int | None = None
    observed_share: float | None = None
    official: int | None = None
    official_share: float | None = None
    published: int | None = None
    published_share: float | None = None
    official_at_observed: int | None = None
    official_at_observed_share: float | None = None
    category: bool = False
    # kept for the old template name
    station_sum: int | None = None
    station_sum_share: float | None = None


@dataclass
class Finding:
    kind: str
    text: str
    station: AdminUnit | None = None


@dataclass
class ContestPanel:
    contest: Contest
    rows: list[ChoiceRow]
    has_official: bool
    has_published: bool
    stations_reporting: int
    observed_stations: int
    official_total: int
    published_total: int
    station_sum_total: int
    observed_total: int
    crowd_total: int
    official_at_observed_total: int
    turnout: dict[str, float | None]
    findings: dict[str, Any]
    finding_rows: list[Finding]


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
    value = mapping.get(str(key))
    return int(value) if value is not None else None


def _panel(
    contest: Contest, block: dict, choices: dict[int, Choice], stations: dict[int, AdminUnit]
) -> ContestPanel:
    own = [c for c in choices.values() if c.contest_id == contest.id]
    official_total = block.get("official_total", 0)
    observed_total = block.get("observed_total", 0)
    crowd_total = block.get("crowd_total", 0)
    published = block.get("published") or {}
    published_total = sum(published.values())
    at_observed_total = block.get("official_at_observed_total", 0)
    rows = []
    for c in own:
        official = _int(block.get("official", {}), c.id) or 0
        observed = _int(block.get("observed", {}), c.id) or 0
        crowd = _int(block.get("crowd", {}), c.id) or 0
        at_observed = _int(block.get("official_at_observed", {}), c.id) or 0
        rows.append(
            ChoiceRow(
                label=c.localized_name,
                choice=c,
                crowd=crowd,
                crowd_share=_share(crowd, crowd_total),
                observed=observed,
                observed_share=_share(observed, observed_total),
                official=official,
                official_share=_share(official, official_total),
                published=_int(published, c.id),
                published_share=_share(_int(published, c.id), published_total),
                official_at_observed=at_observed,
                official_at_observed_share=_share(at_observed, at_observed_total),
                station_sum=official,
                station_sum_share=_share(official, official_total),
            )
        )
    rows.sort(key=lambda r: -(r.official or r.observed or r.crowd or 0))
    for key in ("against_all", "spoiled", "no_photo", "spam", "pending"):
        n = _int(block.get("crowd", {}), key)
        if n:
            rows.append(
                ChoiceRow(
                    label=_crowd_label(key),
                    crowd=n,
                    crowd_share=_share(n, crowd_total),
                    category=True,
                )
            )
    findings = block.get("findings", {})
    return ContestPanel(
        contest=contest,
        rows=rows,
        has_official=block.get("official_stations", 0) > 0,
        has_published=bool(published),
        stations_reporting=block.get("official_stations", 0),
        observed_stations=block.get("observed_stations", 0),
        official_total=official_total,
        published_total=published_total,
        station_sum_total=official_total,
        observed_total=observed_total,
        crowd_total=crowd_total,
        official_at_observed_total=at_observed_total,
        turnout=block.get("turnout", {}),
        findings=findings,
        finding_rows=[
            _finding_row(item, choices, stations) for item in block.get("findings_list", [])
        ],
    )


def _finding_row(item: dict, choices: dict[int, Choice], stations: dict[int, AdminUnit]) -> Finding:
    station = stations.get(item.get("station"))
    name = station.localized_name if station else str(item.get("station"))
    choice = choices.get(item.get("choice"))
    who = choice.localized_name if choice else ""
    if item["kind"] == "impossible":
        text = _(
            "%(station)s: the official figures do not add up (the protocol's checks fail)."
        ) % {"station": name}
    elif item["kind"] == "differs" and item.get("line"):
        text = _(
            "%(station)s: the official result differs from the signed copy of the protocol "
            "(line %(line)s: %(official)s official, %(observed)s on the copy)."
        ) % {
            "station": name,
            "line": item["line"],
            "official": item.get("official"),
            "observed": item.get("observed"),
        }
    elif item["kind"] == "differs":
        text = _(
            "%(station)s: the official result differs from the signed copy of the protocol "
            "(%(choice)s: %(official)s official, %(observed)s on the copy)."
        ) % {
            "station": name,
            "choice": who,
            "official": item.get("official"),
            "observed": item.get("observed"),
        }
    else:
        text = _(
            "%(station)s: voters sent more ballot photos for %(choice)s (%(crowd)s) than the "
            "official result gives (%(official)s)."
        ) % {
            "station": name,
            "choice": who,
            "crowd": item.get("crowd"),
            "official": item.get("official"),
        }
    return Finding(kind=item["kind"], text=text, station=station)


def _counters(data: dict, unit: AdminUnit) -> list[Counter]:
    copies = data.get("copies", {})
    rows = [
        Counter("crowd_received", _("Ballot photos received"), data["crowd"]["received"]),
        Counter("crowd_confirmed", _("Confirmed by photo"), data["crowd"]["confirmed"]),
        Counter("covered", _("Stations covered"), data["covered"], of=data["stations"]),
        Counter("copies_received", _("Protocols received"), copies.get("received", 0)),
        Counter("copies_accepted", _("Protocols accepted"), copies.get("accepted", 0)),
        Counter("copies_rejected", _("Protocols rejected"), copies.get("rejected", 0)),
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
        options = list(
            AdminUnit.objects.filter(parent=parent)
            .order_by("code")
            .values_list("id", "kind", "name_kk", "name_ru", "name_en", "code")
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
    from django.utils.translation import get_language

    lang = (get_language() or "ru")[:2]
    kk, ru, en = names
    order = {"kk": (kk, ru, en), "ru": (ru, kk, en)}.get(lang, (en, ru, kk))
    return next((n for n in order if n), code)


def _children(unit: AdminUnit, first: Contest | None, choices: dict[int, Choice]) -> list[ChildRow]:
    children = list(unit.children.select_related("stats").order_by("code"))
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
            source = block.get("published") or block.get("official") or {}
            if source:
                leader = max(source, key=source.get)
                row.leader = choices.get(int(leader))
                row.leader_share = _share(source[leader], sum(source.values()))
                if block.get("observed_total"):
                    row.leader_observed_share = _share(
                        block["observed"].get(leader, 0), block["observed_total"]
                    )
            row.findings = sum(
                v for k, v in block.get("findings", {}).items() if isinstance(v, int)
            )
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
    )
    if data is None:
        return page
    station_ids = {
        item["station"]
        for block in data["contests"].values()
        for item in block.get("findings_list", [])
    }
    stations = AdminUnit.objects.in_bulk(station_ids) if station_ids else {}
    page.panels = [
        _panel(c, data["contests"][str(c.id)], choices, stations)
        for c in contests
        if str(c.id) in data["contests"]
    ]
    page.counters = _counters(data, unit)
    reasons = _catalogue("moderation.RejectReason")
    page.rejected_reasons = sorted(
        ((reasons.get(code) or code or _("no reason given"), n))
        for code, n in data["copies"].get("reasons", {}).items()
    )
    types = _catalogue("reports.ViolationType")
    page.violations = sorted(
        ((code, types.get(code, code), n) for code, n in data["violations"]["by_type"].items()),
        key=lambda r: -r[2],
    )
    page.curve = data.get("curve", {})
    if unit.depth <= 1:
        page.snapshots = snapshots(election, unit)
    return page


def live(election: Election, unit_id: int) -> dict[str, Any]:
    """The live counters and the turnout curve of a unit, as JSON-ready data."""
    row = get_object_or_404(UnitStats, unit_id=unit_id, election=election)
    d = row.data
    return {
        "unit": unit_id,
        "computed_at": row.computed_at.isoformat(),
        "counters": {c.key: c.value for c in _counters(d, row.unit)},
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
    contest: Contest
    received_at: Any
    pages: int
    validation: str
    findings: list[dict[str, Any]]
    lines: list[tuple[str, int, int | None]]
    votes: list[tuple[str, int, int | None]]
    photos: list[str]


@dataclass
class IncidentView:
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


def station_evidence(station: AdminUnit, lang: str) -> dict[str, Any]:
    """Accepted copies (with their checks and photos) and confirmed violations of a station."""
    from baqylau.protocols.selectors import localized_findings, station_copies

    copies = [c for c in station_copies(station) if c.moderation == "accepted"]
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
    views = []
    for copy in copies:
        cid = copy.contest_id
        views.append(
            CopyView(
                contest=copy.contest,
                received_at=copy.received_at,
                pages=copy.pages_received,
                validation=copy.get_validation_display(),
                findings=[
                    {"message": f["message"], "severity": f.get("severity", "")}
                    for f in localized_findings(copy.findings, lang)
                ],
                lines=[
                    (row.line, row.value, official.get((cid, row.line)))
                    for row in sorted(copy.lines.all(), key=lambda r: r.line)
                ],
                votes=[
                    (v.choice.localized_name, v.votes, official.get((cid, f"c{v.choice_id}")))
                    for v in sorted(copy.votes.all(), key=lambda v: v.choice.number or 0)
                ],
                photos=links.get(copy.submission_id, []),
            )
        )
    incidents: list[IncidentView] = []
    try:
        incident = apps.get_model("reports.Incident")
    except LookupError:
        incident = None
    if incident is not None:
        rows = list(
            incident.objects.filter(station=station, moderation="accepted")
            .select_related("violation")
            .order_by("occurred_at")
        )
        photo_links = _display_links([r.submission_id for r in rows])
        incidents = [
            IncidentView(
                violation=r.violation.localized_name,
                law_article=r.violation.law_article,
                occurred_at=r.occurred_at,
                photos=photo_links.get(r.submission_id, []),
            )
            for r in rows
        ]
    return {"copies": views, "incidents": incidents}


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
                "Whether the joint turnout × share shape needs Klimek et al.'s incremental (fi) "
                "and extreme (fe) fraud to be explained."
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
    return number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


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
        return [
            (_("Anomalous votes for the leader"), _num(s.get("anomalous_votes"))),
            (_("Share of the leader's votes"), _pct(s.get("anomalous_share"))),
            (_("Turnout of the clean mode"), _pct(s.get("clean_mode_turnout"))),
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
            return [(_("Result"), _("Not available: too few observed stations."))]
        low, high = (s.get("excess_leader_votes_95") or [None, None])[:2]
        return [
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


@dataclass
class ForensicMethod:
    key: str
    title: str
    shows: str
    cannot_show: str
    facts: list[tuple[str, str]]
    figures: list[str]


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
            figures=[f for f in FORENSIC_FIGURES.get(key, ()) if f in available],
        )
        for key, title, shows, cannot in forensic_methods()
        if key in report
    ]
    published = report.get("published", {})
    try:
        generated = dt.datetime.fromisoformat(published.get("generated_at", ""))
    except ValueError:
        generated = None
    return {
        "summary": report.get("summary", {}),
        "consistency": report.get("consistency", {}),
        "published": published,
        "generated_at": generated,
        "methods": methods,
    }
