"""Moderation reads: who may moderate, the queues (protocol copies, violation reports), one item
with its context, and the intake statistics (the tally's numbers, the public pages' words)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from baqylau.elections.models import AdminUnit, Election
from baqylau.evidence import services as evidence
from baqylau.evidence.models import MediaFile
from baqylau.intake.models import Rejection, Submission
from baqylau.moderation.models import Decision, IncidentDecision, RejectReason
from baqylau.protocols import selectors as protocol_selectors
from baqylau.protocols.models import CopyVote, ProtocolCopy
from baqylau.reports.models import Incident, ViolationType
from baqylau.tally import selectors as tally_selectors
from baqylau.tally.models import StationResult, UnitCount
from baqylau.tally.services import COPY_STATES

MODERATOR_GROUP = "moderator"
MODERATOR_PERMISSION = "protocols.change_protocolcopy"

#: Short names of the intake's own rejection codes (submissions that never became a copy).
INTAKE_REASONS = {
    "bad_json": _("unreadable data"),
    "not_an_object": _("unreadable data"),
    "election_required": _("election not given"),
    "unknown_election": _("unknown election"),
    "contest_required": _("ballot not given"),
    "unknown_contest": _("unknown ballot"),
    "station_required": _("polling station not given"),
    "unknown_station": _("unknown polling station"),
    "ambiguous_station": _("ambiguous polling station"),
    "form_unavailable": _("protocol form not available"),
    "lines_required": _("figures missing"),
    "not_a_mapping": _("unreadable data"),
    "unknown_line": _("unknown protocol line"),
    "unknown_choice": _("unknown candidate or party"),
    "not_a_number": _("figure is not a number"),
    "negative": _("negative figure"),
    "too_large": _("figure too large"),
    "file_refused": _("file refused"),
    "not_assigned": _("not the sender's polling station"),
    "photo_bad_page": _("invalid page number"),
    "empty": _("empty file"),
    "unsupported_type": _("file is not a photo"),
    "photo_too_large": _("photo too large"),
    "video_too_large": _("video too large"),
    "too_many_pixels": _("image too large"),
    "corrupt_image": _("damaged image"),
}


def is_moderator(user) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.has_perm(MODERATOR_PERMISSION) or user.groups.filter(name=MODERATOR_GROUP).exists()


def elections() -> QuerySet[Election]:
    return Election.objects.order_by("-date", "code")


def regions(election: Election | None) -> QuerySet[AdminUnit]:
    if election is None:
        return AdminUnit.objects.none()
    return AdminUnit.objects.filter(election=election, kind=AdminUnit.Kind.REGION).order_by("path")


def active_reasons() -> QuerySet[RejectReason]:
    return RejectReason.objects.filter(active=True).order_by("code")


def _under(queryset: QuerySet, region: AdminUnit | None, prefix: str = "station__") -> QuerySet:
    if region is None:
        return queryset
    return queryset.filter(**{f"{prefix}path__startswith": region.path + "/"})


def districts(region: AdminUnit | None) -> QuerySet[AdminUnit]:
    """The districts (territorial commissions) of a region, for the queues' filters."""
    if region is None:
        return AdminUnit.objects.none()
    return AdminUnit.objects.filter(
        election_id=region.election_id,
        kind=AdminUnit.Kind.DISTRICT,
        path__startswith=region.path + "/",
    ).order_by("path")


#: The kinds of problem the queue sorts by (the `problem` rank of `moderation_queue`).
PROBLEM_FAILED, PROBLEM_CONFLICT, PROBLEM_SINGLE, PROBLEM_OTHER = 0, 1, 2, 3
PROBLEM_KINDS = {
    "failed": PROBLEM_FAILED,
    "conflict": PROBLEM_CONFLICT,
    "single": PROBLEM_SINGLE,
    "other": PROBLEM_OTHER,
}


def moderation_queue(
    *,
    election: Election | None = None,
    moderation: str | None = ProtocolCopy.Moderation.PENDING,
    checks: str | None = None,
    region: AdminUnit | None = None,
    kind: str | None = None,
    station_code: str | None = None,
) -> QuerySet[ProtocolCopy]:
    """Copies to moderate, problems first: copies that failed the checks, then copies of stations
    whose copies disagree, then single copies, then the rest; oldest first within each.

    ``region`` is any unit (a region or a district); ``kind`` one of `PROBLEM_KINDS`;
    ``station_code`` the station's number ("237" or "№ 237")."""
    copies = ProtocolCopy.objects.select_related("contest__election", "station", "locked_by")
    if election is not None:
        copies = copies.filter(contest__election=election)
    if moderation:
        copies = copies.filter(moderation=moderation)
    if checks:
        copies = copies.filter(checks=checks)
    if station_code:
        copies = copies.filter(station__code=station_code.replace("№", "").strip())
    status = StationResult.objects.filter(
        contest=OuterRef("contest"), station=OuterRef("station")
    ).values("status")[:1]
    copies = copies.annotate(station_status=Subquery(status)).annotate(
        problem=Case(
            When(checks=ProtocolCopy.Checks.FAILED, then=Value(0)),
            When(station_status=StationResult.Status.CONFLICT, then=Value(1)),
            When(station_status=StationResult.Status.SINGLE, then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        )
    )
    if kind in PROBLEM_KINDS:
        copies = copies.filter(problem=PROBLEM_KINDS[kind])
    return _under(copies, region).order_by("problem", "received_at", "pk")


def copy_for_moderation(copy_id: int) -> ProtocolCopy | None:
    return (
        ProtocolCopy.objects.select_related(
            "contest__election", "station", "submission", "locked_by"
        )
        .prefetch_related(
            "lines",
            Prefetch("votes", queryset=CopyVote.objects.select_related("choice")),
            Prefetch("submission__media", queryset=MediaFile.objects.order_by("page", "pk")),
            Prefetch(
                "decisions",
                queryset=Decision.objects.select_related("reason", "moderator").order_by(
                    "-decided_at", "-pk"
                ),
            ),
        )
        .filter(pk=copy_id)
        .first()
    )


def is_locked_by_other(copy: ProtocolCopy, user) -> bool:
    return (
        copy.locked_by_id is not None
        and copy.locked_by_id != user.pk
        and copy.locked_until is not None
        and copy.locked_until > timezone.now()
    )


@dataclass
class ModerationItem:
    copy: ProtocolCopy
    lines: list[tuple[str, str, int | None]]  # (code, number and name, value)
    votes: list[tuple[object, int]]
    findings: list[dict]
    media: list[MediaFile]
    other_copies: list[ProtocolCopy]
    conflicts: list  # (conflict, the value most copies hold or None)
    decisions: list[Decision]
    result: StationResult | None = None


def moderation_item(copy: ProtocolCopy, lang: str) -> ModerationItem:
    """Everything a moderator needs to decide on one copy."""
    values = protocol_selectors.copy_lines(copy)
    try:
        from baqylau.protocols.engine import load_form

        form = load_form(copy.contest.protocol_form, copy.contest.protocol_form_version)
        lines = [
            (line.code, f"{line.number}. {line.name.get(lang)}", values.get(line.code))
            for line in form.lines
        ]
    except LookupError:
        lines = [(code, code, value) for code, value in sorted(values.items())]
    others = [
        other
        for other in protocol_selectors.station_copies(copy.station, contest=copy.contest)
        if other.pk != copy.pk
    ]
    return ModerationItem(
        copy=copy,
        lines=lines,
        votes=protocol_selectors.copy_votes(copy),
        findings=protocol_selectors.localized_findings(copy.findings, lang),
        media=list(copy.submission.media.all()),
        other_copies=others,
        conflicts=[
            (conflict, tally_selectors.proposed_value(conflict))
            for conflict in tally_selectors.station_conflicts(copy.station, contest=copy.contest)
        ],
        result=tally_selectors.station_results(copy.station).filter(contest=copy.contest).first(),
        decisions=list(copy.decisions.all()),
    )


def station_conflict(copy: ProtocolCopy, *, line: str, choice: str):
    """The open or resolved dispute over one figure (a line, or a choice's votes) of the copy's
    station, as the latest recount left it; None when there is none."""
    conflicts = tally_selectors.station_conflicts(copy.station, contest=copy.contest)
    if choice.isdigit():
        return conflicts.filter(choice_id=int(choice)).first()
    return conflicts.filter(line=line, choice__isnull=True).first() if line else None


def media_file_path(
    media_id: int, user, *, original: bool = False
) -> tuple[MediaFile, Path] | None:
    """A protocol's or a violation report's photo for the permission-checked view: its display
    copy (no EXIF/GPS), or the original for users with `evidence.view_original`. None when there
    is nothing to show."""
    media = (
        MediaFile.objects.filter(
            pk=media_id,
            submission__kind__in=(Submission.Kind.PROTOCOL, Submission.Kind.INCIDENT),
        )
        .select_related("submission")
        .first()
    )
    if media is None:
        return None
    may_see_original = user.has_perm("evidence.view_original")
    variant = "original" if (original or not media.display) and may_see_original else "display"
    try:
        path = evidence.open_variant(media, variant)
    except evidence.EvidenceError:
        return None
    if not path.is_file():
        return None
    return media, path


# ---------------------------------------------------------------------------------------------
# Violation reports


SEVERITY_ORDER = Case(
    When(violation__severity=ViolationType.Severity.CRITICAL, then=Value(0)),
    When(violation__severity=ViolationType.Severity.SERIOUS, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def incident_queue(
    *,
    election: Election | None = None,
    moderation: str | None = Incident.Moderation.PENDING,
    region: AdminUnit | None = None,
) -> QuerySet[Incident]:
    """Violation reports to moderate: critical first, then serious, then minor; oldest first."""
    incidents = Incident.objects.select_related("violation", "station", "election")
    if election is not None:
        incidents = incidents.filter(election=election)
    if moderation:
        incidents = incidents.filter(moderation=moderation)
    return (
        _under(incidents, region)
        .annotate(severity_rank=SEVERITY_ORDER)
        .order_by("severity_rank", "occurred_at", "pk")
    )


def incident_for_moderation(incident_id: int) -> Incident | None:
    return (
        Incident.objects.select_related("violation", "station", "election", "submission")
        .prefetch_related(
            Prefetch("submission__media", queryset=MediaFile.objects.order_by("page", "pk")),
            Prefetch(
                "decisions",
                queryset=IncidentDecision.objects.select_related("moderator").order_by(
                    "-decided_at", "-pk"
                ),
            ),
        )
        .filter(pk=incident_id)
        .first()
    )


def cases_citing(incident: Incident) -> list:
    """The legal follow-up of a violation report: the cases that cite it."""
    from baqylau.legal.models import Case

    return list(Case.objects.filter(incidents=incident).order_by("pk"))


def station_incidents(incident: Incident) -> QuerySet[Incident]:
    """Other reports of violations at the same station (corroboration, duplicates)."""
    return (
        Incident.objects.filter(station=incident.station, election=incident.election)
        .exclude(pk=incident.pk)
        .select_related("violation")
        .order_by("occurred_at")
    )


# ---------------------------------------------------------------------------------------------
# Intake statistics: "162 received, 71 failed the checks …", in the public pages' numbers


@dataclass
class ReasonCount:
    code: str
    label: str
    count: int
    stage: str  # "intake" (never became a copy) or "moderation"


@dataclass
class IntakeStats:
    """Protocol copies of a unit by state (the tally's `UnitCount.copies`, summed over the
    election's contests), and why copies were rejected."""

    label: str
    copies: dict[str, int] = field(default_factory=dict)
    not_recorded: int = 0  # envelopes that could not become a copy (unknown station, …)
    reasons: list[ReasonCount] = field(default_factory=list)
    region: AdminUnit | None = None

    def __getattr__(self, name: str) -> int:
        if name in COPY_STATES:
            return self.copies.get(name, 0)
        raise AttributeError(name)


def _copy_counts(election: Election, units: list[AdminUnit]) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {u.pk: dict.fromkeys(COPY_STATES, 0) for u in units}
    for unit_id, copies in UnitCount.objects.filter(
        contest__election=election, unit__in=units
    ).values_list("unit_id", "copies"):
        for key, value in (copies or {}).items():
            out[unit_id][key] = out[unit_id].get(key, 0) + value
    return out


def rejection_reasons(election: Election, unit: AdminUnit | None) -> Counter:
    """Reason code → copies at or under ``unit`` (None: the whole election) that moderators
    rejected, by each copy's last decision."""
    last = (
        Decision.objects.filter(copy=OuterRef("pk"))
        .order_by("-decided_at", "-pk")
        .values("reason__code")[:1]
    )
    copies = ProtocolCopy.objects.filter(
        contest__election=election, moderation=ProtocolCopy.Moderation.REJECTED
    )
    if unit is not None and unit.is_station:
        copies = copies.filter(station=unit)
    elif unit is not None and unit.parent_id is not None:
        copies = _under(copies, unit)
    return Counter(
        code or "other" for code in copies.annotate(r=Subquery(last)).values_list("r", flat=True)
    )


def intake_statistics(election: Election, region: AdminUnit | None = None) -> list[IntakeStats]:
    """The totals of the election (or of one region), then one row per region.

    Submissions rejected at intake (unknown station, unreadable data, …) have no station, so they
    count in the election's totals only, as "not recorded".
    """
    reason_names = {r.code: r.localized_name for r in RejectReason.objects.all()}
    if region is None:
        root_units = list(AdminUnit.objects.filter(election=election, parent__isnull=True))
        region_list = list(regions(election))
    else:
        root_units, region_list = [region], []
    counts = _copy_counts(election, root_units + region_list)
    total = IntakeStats(label=str(region or election), region=region)
    for unit in root_units:
        for key, value in counts[unit.pk].items():
            total.copies[key] = total.copies.get(key, 0) + value

    def reasons(counter: Counter, stage: str, names) -> list[ReasonCount]:
        return [
            ReasonCount(code, str(names.get(code, code)), n, stage)
            for code, n in sorted(counter.items(), key=lambda item: (-item[1], item[0]))
        ]

    total.reasons = reasons(rejection_reasons(election, region), "moderation", reason_names)
    if region is None:
        intake = Counter(
            dict(
                Rejection.objects.filter(
                    submission__election=election, submission__kind=Submission.Kind.PROTOCOL
                )
                .exclude(code="duplicate")
                .values_list("code")
                .annotate(n=Count("pk"))
                .order_by()
            )
        )
        total.not_recorded = sum(intake.values())
        total.reasons = sorted(
            total.reasons + reasons(intake, "intake", INTAKE_REASONS), key=lambda r: -r.count
        )
    rows = []
    for unit in region_list:
        row = IntakeStats(label=str(unit), region=unit, copies=counts[unit.pk])
        row.reasons = reasons(rejection_reasons(election, unit), "moderation", reason_names)
        rows.append(row)
    return [total, *rows]
