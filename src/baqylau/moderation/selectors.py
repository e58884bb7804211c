"""Moderation reads: who may moderate, the queue, one copy with its context, intake statistics."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from baqylau.elections.models import AdminUnit, Election
from baqylau.evidence import services as evidence
from baqylau.evidence.models import MediaFile
from baqylau.intake.models import Rejection, Submission
from baqylau.moderation.models import Decision, RejectReason
from baqylau.protocols import selectors as protocol_selectors
from baqylau.protocols.models import CopyVote, ProtocolCopy

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
    "negative_number": _("negative figure"),
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


def moderation_queue(
    *,
    election: Election | None = None,
    moderation: str | None = ProtocolCopy.Moderation.PENDING,
    validation: str | None = None,
    region: AdminUnit | None = None,
) -> QuerySet[ProtocolCopy]:
    """Copies to moderate, oldest first (filters: moderation state, checks, region)."""
    copies = ProtocolCopy.objects.select_related("contest__election", "station", "locked_by")
    if election is not None:
        copies = copies.filter(contest__election=election)
    if moderation:
        copies = copies.filter(moderation=moderation)
    if validation:
        copies = copies.filter(validation=validation)
    return _under(copies, region).order_by("received_at", "pk")


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
    conflicts: list
    decisions: list[Decision]


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
        conflicts=list(protocol_selectors.station_conflicts(copy.station, contest=copy.contest)),
        decisions=list(copy.decisions.all()),
    )


def media_file_path(
    media_id: int, user, *, original: bool = False
) -> tuple[MediaFile, Path] | None:
    """A protocol photo for the permission-checked view: its display copy (no EXIF/GPS), or the
    original for users with `evidence.view_original`. None when there is nothing to show."""
    media = (
        MediaFile.objects.filter(pk=media_id, submission__kind=Submission.Kind.PROTOCOL)
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
# Intake statistics: "162 received, 71 rejected: reasons …"


@dataclass
class ReasonCount:
    code: str
    label: str
    count: int
    stage: str  # "intake" (never became a copy) or "moderation"


@dataclass
class IntakeStats:
    label: str
    received: int = 0
    accepted: int = 0
    rejected: int = 0
    waiting: int = 0
    needs_review: int = 0  # waiting, flagged by the checks
    failed_checks: int = 0  # waiting, broken control relations
    reasons: list[ReasonCount] = field(default_factory=list)
    region: AdminUnit | None = None

    @property
    def rejected_share(self) -> float | None:
        return self.rejected / self.received if self.received else None


def _copy_rows(election: Election):
    last_reason = (
        Decision.objects.filter(copy=OuterRef("pk"))
        .order_by("-decided_at", "-pk")
        .values("reason__code")[:1]
    )
    return (
        ProtocolCopy.objects.filter(contest__election=election)
        .annotate(last_reason=Subquery(last_reason))
        .values("station__path", "moderation", "validation", "last_reason")
        .annotate(n=Count("pk"))
        .order_by()
    )


def intake_statistics(election: Election, region: AdminUnit | None = None) -> list[IntakeStats]:
    """The totals of the election (or of one region), then one row per region.

    Submissions rejected at intake (unknown station, unreadable data, …) have no station, so they
    count in the election's totals only.
    """
    reason_names = {r.code: r.localized_name for r in RejectReason.objects.all()}
    region_list = list(regions(election)) if region is None else [region]
    by_path = {unit.path: unit for unit in region_list}
    total = IntakeStats(label=str(region or election), region=region)
    rows = {unit.pk: IntakeStats(label=str(unit), region=unit) for unit in region_list}
    moderation_reasons: dict[int | None, Counter] = {None: Counter()}

    for row in _copy_rows(election):
        path = row["station__path"] or ""
        parts = path.split("/")
        unit = next(
            (
                by_path[p]
                for p in ("/".join(parts[:i]) for i in range(1, len(parts)))
                if p in by_path
            ),
            None,
        )
        if region is not None and unit is None:
            continue
        targets = [total] + ([rows[unit.pk]] if unit is not None and region is None else [])
        for stats in targets:
            n = row["n"]
            stats.received += n
            if row["moderation"] == ProtocolCopy.Moderation.ACCEPTED:
                stats.accepted += n
            elif row["moderation"] == ProtocolCopy.Moderation.REJECTED:
                stats.rejected += n
                key = None if stats is total else unit.pk
                moderation_reasons.setdefault(key, Counter())[row["last_reason"] or "other"] += n
            else:
                stats.waiting += n
                if row["validation"] == ProtocolCopy.Validation.REVIEW:
                    stats.needs_review += n
                elif row["validation"] == ProtocolCopy.Validation.REJECTED:
                    stats.failed_checks += n

    def reasons(counter: Counter, stage: str, names) -> list[ReasonCount]:
        return [
            ReasonCount(code, str(names.get(code, code)), n, stage)
            for code, n in sorted(counter.items(), key=lambda item: (-item[1], item[0]))
        ]

    total.reasons = reasons(moderation_reasons[None], "moderation", reason_names)
    if region is None:
        intake = Counter(
            dict(
                Rejection.objects.filter(
                    submission__election=election, submission__kind=Submission.Kind.PROTOCOL
                )
                .values_list("code")
                .annotate(n=Count("pk"))
                .order_by()
            )
        )
        unprocessed = Submission.objects.filter(
            election=election,
            kind=Submission.Kind.PROTOCOL,
            protocol_copy__isnull=True,
            rejection__isnull=True,
        ).count()
        total.received += sum(intake.values()) + unprocessed
        total.rejected += sum(intake.values())
        total.waiting += unprocessed
        total.reasons = sorted(
            total.reasons + reasons(intake, "intake", INTAKE_REASONS), key=lambda r: -r.count
        )
        for unit_pk, stats in rows.items():
            stats.reasons = reasons(
                moderation_reasons.get(unit_pk, Counter()), "moderation", reason_names
            )
    return [total, *[rows[unit.pk] for unit in region_list if region is None]]
