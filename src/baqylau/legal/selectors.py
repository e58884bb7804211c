"""Reads for the legal follow-up: who may act as a lawyer, which incidents and cases they see, the
data of each document (facts by station, witnesses, evidence with ledger entries), deadlines due,
statistics. Scope comes from `observers.selectors` (one place for the rules)."""

from __future__ import annotations

import datetime as dt
import mimetypes
from collections import defaultdict
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from baqylau.elections.models import AdminUnit
from baqylau.evidence.models import LedgerEntry, MediaFile
from baqylau.legal import deadlines
from baqylau.legal.citations import format_citation, format_refs
from baqylau.legal.models import (
    Case,
    CaseEvent,
    DocumentKind,
    DocumentTemplate,
    LegalDocument,
    ReminderSent,
)
from baqylau.observers.models import Assignment, Membership, Observer, Shift
from baqylau.observers.selectors import can_see_identity, scope_for
from baqylau.reports.models import Incident
from baqylau.reports.selectors import visible_reports
from baqylau.tally.models import Finding

Role = Membership.Role

#: Local hours at which each shift starts (a shift runs to the next one; the count runs past
#: midnight into the next morning).
SHIFT_STARTS = ((0, Shift.OPENING), (13, Shift.AFTERNOON), (20, Shift.COUNT))


# --- who -----------------------------------------------------------------------------------------


def is_lawyer(user) -> bool:
    """Lawyers of an organisation and platform administrators may use the legal pages."""
    if user is None or not user.is_authenticated:
        return False
    scope = scope_for(user)
    return bool(user.is_superuser or scope.lawyer_org_ids or Role.ADMIN in scope.roles)


def visible_incidents(user, election=None) -> QuerySet[Incident]:
    """Incidents in the user's scope (a lawyer: those of their organisation's observers)."""
    qs = visible_reports(user, "incident", election).select_related(
        "violation", "station", "observer", "election"
    )
    return qs.exclude(moderation=Incident.Moderation.REJECTED).order_by(
        "station__path", "occurred_at"
    )


def visible_cases(user) -> QuerySet[Case]:
    qs = Case.objects.select_related("organisation", "election", "region", "lawyer")
    scope = scope_for(user)
    if user.is_superuser or scope.everything:
        return qs
    return qs.filter(Q(organisation_id__in=scope.lawyer_org_ids) | Q(lawyer=user))


def findings_for_stations(stations) -> QuerySet[Finding]:
    return Finding.objects.filter(unit__in=stations).select_related("unit", "choice")


def active_template(kind: str, language: str) -> DocumentTemplate:
    template = (
        DocumentTemplate.objects.filter(kind=kind, language=language).order_by("-version").first()
    )
    if template is None:
        raise DocumentTemplate.DoesNotExist(f"no template {kind}.{language}: run templates sync")
    return template


def template_history(kind: str, language: str) -> QuerySet[DocumentTemplate]:
    return DocumentTemplate.objects.filter(kind=kind, language=language).order_by("-version")


# --- pieces of the documents --------------------------------------------------------------------


def fmt_date(value: dt.date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else ""


def fmt_time(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%d.%m.%Y %H:%M")


def shift_of(incident: Incident) -> str:
    local = timezone.localtime(incident.occurred_at)
    if local.date() > incident.election.date:
        return Shift.COUNT
    current = Shift.OPENING
    for hour, shift in SHIFT_STARTS:
        if local.hour >= hour:
            current = shift
    return current


def region_of(station: AdminUnit) -> AdminUnit | None:
    parts = station.path.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts))]
    return (
        AdminUnit.objects.filter(
            election_id=station.election_id, kind=AdminUnit.Kind.REGION, path__in=prefixes
        )
        .order_by("-depth")
        .first()
    )


def _observer_label(user, observer: Observer, reveal: bool) -> str:
    if reveal and observer.consent_lawyers and can_see_identity(user, observer):
        name = observer.name
        if name:
            return f"{name} ({observer.public_id})"
    return observer.public_id


def witnesses(incident: Incident) -> list[Observer]:
    """Other observers placed at the incident's station for the shift in which it happened."""
    shift = shift_of(incident)
    ids = (
        Assignment.objects.filter(
            election_id=incident.election_id, station_id=incident.station_id, shift=shift
        )
        .exclude(observer_id=incident.observer_id)
        .values_list("observer_id", flat=True)
    )
    return list(Observer.objects.filter(pk__in=ids).order_by("public_id"))


def _size(n: int) -> str:
    return _("%(n)s bytes") % {"n": f"{n:,}".replace(",", " ")}


def latest_entry(instance) -> LedgerEntry | None:
    return (
        LedgerEntry.objects.filter(ref=f"{instance._meta.label_lower}:{instance.pk}")
        .order_by("-seq")
        .first()
    )


def evidence_files(incident: Incident) -> list[tuple[MediaFile, LedgerEntry | None]]:
    media = MediaFile.objects.filter(submission_id=incident.submission_id).order_by("page", "id")
    return [(m, latest_entry(m)) for m in media]


def file_name(media: MediaFile) -> str:
    ext = mimetypes.guess_extension(media.content_type) or ".bin"
    return f"{media.sha256[:16]}{ext}"


def _evidence_rows(incident: Incident) -> list[dict[str, Any]]:
    rows = []
    for media, entry in evidence_files(incident):
        ledger = (
            _("Ledger entry #%(seq)s, hash %(hash)s") % {"seq": entry.seq, "hash": entry.entry_hash}
            if entry
            else _("not recorded in the ledger")
        )
        rows.append(
            {
                "name": file_name(media),
                "content_type": media.content_type,
                "size": _size(media.size),
                "sha256": media.sha256,
                "ledger_seq": entry.seq if entry else None,
                "ledger_hash": entry.entry_hash if entry else "",
                "ledger": ledger,
            }
        )
    return rows


def _station(station: AdminUnit, lang: str) -> dict[str, str]:
    region = region_of(station)
    parent = station.parent
    area = [u.localized_name for u in (region, parent) if u is not None and u != station]
    return {
        "id": station.pk,
        "code": station.code,
        "name": station.localized_name if station.localized_name != station.code else "",
        "address": station.address,
        "commission": _("Precinct election commission No. %(code)s") % {"code": station.code},
        "region": ", ".join(dict.fromkeys(area)),
    }


def _incident(user, incident: Incident, reveal: bool) -> dict[str, Any]:
    names = [_observer_label(user, w, reveal) for w in witnesses(incident)]
    return {
        "id": incident.pk,
        "time": fmt_time(incident.occurred_at),
        "violation": incident.violation.localized_name,
        "code": incident.violation.code,
        "articles": format_refs(incident.violation.law_article, translation.get_language()) or "—",
        "text": incident.text,
        "observer": _observer_label(user, incident.observer, reveal),
        "witnesses": names,
        "witnesses_text": ", ".join(names) if names else _("none registered"),
        "evidence": _evidence_rows(incident),
    }


def _footer(kind: str, ident: str) -> str:
    return f"Baqylau · {kind} · {ident}"


def act_data(
    user, incident: Incident, lang: str, template: DocumentTemplate, *, reveal: bool, when
) -> dict[str, Any]:
    """Everything an act of violation shows, in `lang`."""
    from baqylau.legal.render import fill

    with translation.override(lang):
        station = _station(incident.station, lang)
        row = _incident(user, incident, reveal)
        election = incident.election.localized_name
    values = {"date": fmt_date(timezone.localtime(when).date()), "station": station["code"]}
    return {
        "layout": "act",
        "lang": lang,
        "title": f"{template.title} № {station['code']}-{incident.pk}",
        "footer": _footer(template.kind, f"incident {incident.pk}"),
        "when": timezone.localtime(when).isoformat(),
        "phrases": fill(template.phrases, values, lang),
        "election": election,
        "station": station,
        "incident": row,
    }


def _articles(incidents: list[Incident], kind: str) -> list[str]:
    """The norms violated, each once, written by the one citation formatter in the active
    language ("41-баптың 3-тармағы", "пункт 3 статьи 41"), with the violation named."""
    lang = translation.get_language()
    seen: dict[str, None] = {}
    for incident in incidents:
        article = format_refs(incident.violation.law_article, lang)
        if article:
            seen[f"{article} — {incident.violation.localized_name}"] = None
    if kind == DocumentKind.STATEMENT_PROSECUTOR:
        seen[format_citation("criminal_code 151", lang)] = None
    return list(seen)


def finding_text(finding: Finding) -> str:
    what = finding.line or (finding.choice.localized_name if finding.choice else "")
    return _(
        "%(unit)s: %(kind)s (%(what)s): observed %(observed)s, official %(official)s, "
        "difference %(diff)s"
    ) % {
        "unit": f"{finding.unit.code} {finding.unit.localized_name}".strip(),
        "kind": finding.get_kind_display(),
        "what": what or "—",
        "observed": finding.observed if finding.observed is not None else "—",
        "official": finding.official if finding.official is not None else "—",
        "diff": finding.difference if finding.difference is not None else "—",
    }


def filing_deadline(case: Case) -> tuple[dt.date | None, deadlines.Rule | None]:
    """The last day to file a complaint (None for a statement to the prosecutor)."""
    rules = deadlines.load_rules()
    rule = rules.get(case.kind)
    if rule is None or case.decision_date is None:
        return None, rule
    return deadlines.deadline(case.decision_date, rule.days, deadlines.load_calendar()), rule


def applicant_lines(user) -> tuple[list[str], str]:
    profile = getattr(user, "applicant_profile", None)
    details = profile.details if profile else {}
    name = details.get("full_name") or user.get_full_name() or user.get_username()
    lines = [name]
    if details.get("iin"):
        lines.append(_("IIN: %(iin)s") % {"iin": details["iin"]})
    if details.get("address"):
        lines.append(details["address"])
    contacts = ", ".join(x for x in (details.get("phone"), details.get("email")) if x)
    if contacts:
        lines.append(contacts)
    return lines, name


def case_incidents(case: Case) -> list[Incident]:
    return list(
        case.incidents.select_related("violation", "station", "observer", "election").order_by(
            "station__path", "occurred_at"
        )
    )


def case_data(
    user, case: Case, lang: str, template: DocumentTemplate, *, when, applicant=None
) -> dict[str, Any]:
    """Everything a complaint or statement shows, in `lang`: facts grouped by station."""
    from baqylau.legal.render import fill

    incidents = case_incidents(case)
    due, rule = filing_deadline(case)
    with translation.override(lang):
        by_station: dict[int, dict[str, Any]] = {}
        for incident in incidents:
            if incident.station_id not in by_station:
                by_station[incident.station_id] = _station(incident.station, lang) | {
                    "incidents": []
                }
            by_station[incident.station_id]["incidents"].append(
                _incident(user, incident, case.reveal_identities)
            )
        stations = list(by_station.values())
        findings = [finding_text(f) for f in case.findings.select_related("unit", "choice")]
        articles = _articles(incidents, case.kind)
        lines, name = applicant_lines(applicant or case.lawyer)
        count = _("%(n)s facts") % {"n": len(incidents)}
        attachments = [
            _("Evidence bundle: %(n)s files with SHA-256 checksums and ledger entries")
            % {"n": sum(len(i["evidence"]) for s in stations for i in s["incidents"])},
            _("Acts of violation drawn up by the observers"),
        ]
    codes = ", ".join(f"№ {s['code']}" for s in stations)
    values = {
        "stations": codes,
        "count": count,
        "decision_date": fmt_date(case.decision_date) or "—",
        "deadline": fmt_date(due),
        "basis": rule.basis_in(lang) if rule else "",
        "basis_dat": rule.basis_in(lang, "dat") if rule else "",
        "date": fmt_date(timezone.localtime(when).date()),
    }
    phrases = fill(template.phrases, values, lang)
    addressee = [x for x in (case.addressee or phrases.get("default_addressee", "")).splitlines()]
    return {
        "layout": "case",
        "lang": lang,
        "title": case.title or phrases["title"],
        "footer": _footer(case.kind, f"case {case.pk}"),
        "when": timezone.localtime(when).isoformat(),
        "phrases": phrases,
        "addressee": [x for x in addressee if x.strip()],
        "applicant": lines,
        "applicant_name": name,
        "respondent": [x for x in case.respondent.splitlines() if x.strip()],
        "stations": stations,
        "findings": findings,
        "articles": articles,
        "deadline": fmt_date(due),
        "attachments": attachments,
        "date": fmt_date(timezone.localtime(when).date()),
    }


# --- cases ---------------------------------------------------------------------------------------


def case_documents(case: Case) -> QuerySet[LegalDocument]:
    return case.documents.select_related("template").order_by("-created_at", "-id")


def case_events(case: Case) -> QuerySet[CaseEvent]:
    return case.events.order_by("on", "id")


def acts_for(incidents) -> QuerySet[LegalDocument]:
    return LegalDocument.objects.filter(kind=DocumentKind.ACT, incident__in=incidents).order_by(
        "incident_id", "-created_at"
    )


def upcoming_deadlines(user, *, today: dt.date | None = None, within: int = 30) -> list[Case]:
    """The user's open cases with a deadline, soonest first (missed ones included)."""
    today = today or timezone.localdate()
    return list(
        visible_cases(user)
        .filter(next_deadline__isnull=False, next_deadline__lte=today + dt.timedelta(days=within))
        .order_by("next_deadline", "id")
    )


def due_reminders(
    *, today: dt.date, lead_days: tuple[int, ...] = (3, 1, 0)
) -> list[tuple[Case, int]]:
    """(case, days before) for every deadline `lead_days` away (or missed) not yet reminded."""
    horizon = today + dt.timedelta(days=max(lead_days))
    due: list[tuple[Case, int]] = []
    cases = Case.objects.filter(next_deadline__isnull=False, next_deadline__lte=horizon)
    sent = defaultdict(set)
    for case_id, deadline_day, before in ReminderSent.objects.filter(case__in=cases).values_list(
        "case_id", "due", "days_before"
    ):
        sent[(case_id, deadline_day)].add(before)
    for case in cases.select_related("lawyer").order_by("next_deadline", "id"):
        left = deadlines.days_left(case.next_deadline, today)
        # the tightest lead time that has been reached: 3 days before, 1 day, the day itself
        reached = [d for d in sorted(lead_days) if left <= d]
        if not reached:
            continue
        lead = reached[0] if left >= 0 else min(lead_days)
        if lead in sent[(case.pk, case.next_deadline)]:
            continue
        due.append((case, lead))
    return due


# --- statistics ----------------------------------------------------------------------------------


def statistics(user=None, election=None) -> list[dict[str, Any]]:
    """Per region and kind: cases drafted, filed, refused to consider, accepted, decided,
    pre-trial investigations started (registered in the Unified Register; as the seed reports:
    "162 statements, 36 criminal proceedings")."""
    qs = visible_cases(user) if user is not None else Case.objects.all()
    if election is not None:
        qs = qs.filter(election=election)
    filed_states = [s for s in Case.Status.values if s != Case.Status.DRAFTED]
    rows = (
        qs.values("region_id", "region__name_kk", "region__name_ru", "region__name_en", "kind")
        .annotate(
            total=Count("id", distinct=True),
            filed=Count(
                "id", filter=Q(status__in=filed_states) | Q(filed_on__isnull=False), distinct=True
            ),
            refused=Count("id", filter=Q(events__status=Case.Status.REFUSED), distinct=True),
            accepted=Count("id", filter=Q(events__status=Case.Status.ACCEPTED), distinct=True),
            decided=Count("id", filter=Q(status=Case.Status.DECIDED), distinct=True),
            investigations=Count("id", filter=Q(investigation_started=True), distinct=True),
        )
        .order_by("region__name_ru", "kind")
    )
    lang = (translation.get_language() or "ru")[:2]
    kinds = dict(DocumentKind.choices)
    out = []
    for row in rows:
        region = row.get(f"region__name_{lang}") or row.get("region__name_ru") or "—"
        out.append(row | {"region": region, "kind_label": kinds.get(row["kind"], row["kind"])})
    return out


def statistics_totals(rows: list[dict[str, Any]]) -> dict[str, int]:
    keys = ("total", "filed", "refused", "accepted", "decided", "investigations")
    return {key: sum(row[key] for row in rows) for key in keys}


def cited_norms(lang: str | None = None) -> list[dict[str, Any]]:
    """The norms listed in citations.yaml, in `lang` (default: the active language): the
    citation, the official text's address, whether it was checked, what it is cited for (in
    English, shown on English pages only)."""
    from baqylau.legal import citations

    lang = lang or (translation.get_language() or "ru")[:2]
    rows = []
    for norm in citations.load()["norms"]:
        ref = citations.parse_ref(norm["ref"])
        rows.append(
            {
                "ref": str(ref),
                "text": citations.format_citation(ref, lang),
                "url": citations.act_url(ref.act, lang),
                "verified": bool(norm.get("verified")),
                "about": norm.get("about", "") if lang == "en" else "",
            }
        )
    return rows
