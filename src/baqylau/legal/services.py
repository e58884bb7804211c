"""Writes for the legal follow-up: templates (versioned), applicants' details, acts, cases and
their documents, case events with computed deadlines, evidence bundles, reminders.

Every generated document and bundle is written once under DATA_DIR/legal (named by its SHA-256)
and recorded in the evidence ledger in the same transaction as its row; every write is audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from baqylau.evidence import ledger
from baqylau.evidence.models import LedgerEntry
from baqylau.legal import bundle as bundles
from baqylau.legal import deadlines, render, selectors
from baqylau.legal.models import (
    CASE_KINDS,
    LANGUAGES,
    ApplicantProfile,
    Bundle,
    Case,
    CaseEvent,
    DocumentKind,
    DocumentTemplate,
    LegalDocument,
    ReminderSent,
)
from baqylau.observers.services import record_audit
from baqylau.reports.models import Incident
from baqylau.tally.models import Finding

Status = Case.Status
Outcome = CaseEvent.Outcome

#: Which statuses may follow which (a refused complaint may be corrected and filed again).
TRANSITIONS: dict[str, set[str]] = {
    Status.DRAFTED: {Status.FILED},
    Status.FILED: {Status.REFUSED, Status.ACCEPTED, Status.DECIDED},
    Status.REFUSED: {Status.APPEALED, Status.FILED, Status.DECIDED},
    Status.ACCEPTED: {Status.DECIDED},
    Status.APPEALED: {Status.REFUSED, Status.ACCEPTED, Status.DECIDED},
    Status.DECIDED: {Status.APPEALED},
}
#: Outcomes after which the applicant may appeal (the appeal deadline is then computed).
APPEALABLE = {
    Outcome.DISMISSED,
    Outcome.PARTLY,
    Outcome.NOT_REGISTERED,
    Outcome.INVESTIGATION_TERMINATED,
}
MAX_DECISION_BYTES = 25 * 1024 * 1024


class LegalError(ValueError):
    """A request the rules refuse (unknown language, a status that cannot follow, …)."""


class NotAllowed(PermissionError):
    """The user may not do this (not a lawyer of the organisation, out of scope)."""


# --- storage -------------------------------------------------------------------------------------


def legal_root() -> Path:
    return Path(settings.DATA_DIR) / "legal"


def resolve(relative: str) -> Path:
    root = legal_root().resolve()
    path = (Path(settings.DATA_DIR) / relative).resolve()
    if not path.is_relative_to(root):
        raise LegalError(f"path outside the legal store: {relative!r}")
    return path


def _store(folder: str, data: bytes, suffix: str) -> tuple[str, str]:
    """Write bytes once, named by their SHA-256; returns (relative path, sha256)."""
    sha = hashlib.sha256(data).hexdigest()
    relative = f"legal/{folder}/{sha[:2]}/{sha}{suffix}"
    path = Path(settings.DATA_DIR) / relative
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
        with tmp.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    return relative, sha


def _ledger_entry(instance, kind: str = LedgerEntry.Kind.DOCUMENT) -> LedgerEntry:
    entry = ledger.record(instance, kind=kind)
    type(instance).objects.filter(pk=instance.pk).update(
        ledger_seq=entry.seq, ledger_hash=entry.entry_hash
    )
    instance.ledger_seq, instance.ledger_hash = entry.seq, entry.entry_hash
    return entry


# --- templates -----------------------------------------------------------------------------------


def package_templates() -> list[dict[str, Any]]:
    """The templates shipped in `document_templates/*.yaml`, one dict per kind and language."""
    rows = []
    for path in sorted(render.TEMPLATES_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for language, phrases in data["phrases"].items():
            rows.append(
                {
                    "kind": data["kind"],
                    "language": language,
                    "package_version": int(data["version"]),
                    "title": phrases["title"],
                    "phrases": phrases,
                    "body": data["body"],
                }
            )
    return rows


@transaction.atomic
def sync_package_templates(*, actor=None) -> list[DocumentTemplate]:
    """Add a version row for every shipped template whose package version is not in the database
    yet (admins' edits stay: a newer package version becomes the newest version)."""
    created = []
    for row in package_templates():
        known = DocumentTemplate.objects.filter(
            kind=row["kind"],
            language=row["language"],
            source=DocumentTemplate.Source.PACKAGE,
            package_version__gte=row["package_version"],
        ).exists()
        if known:
            continue
        latest = selectors.template_history(row["kind"], row["language"]).first()
        template = DocumentTemplate.objects.create(
            kind=row["kind"],
            language=row["language"],
            version=(latest.version + 1) if latest else 1,
            title=row["title"],
            phrases=row["phrases"],
            body=row["body"],
            source=DocumentTemplate.Source.PACKAGE,
            package_version=row["package_version"],
            note=f"package version {row['package_version']}",
            created_by=actor,
        )
        created.append(template)
    if created:
        record_audit(
            action="legal.templates.sync",
            object_type="legal.documenttemplate",
            object_id=",".join(str(t.pk) for t in created),
            actor=actor,
            after={"templates": [str(t) for t in created]},
        )
    return created


def ensure_templates() -> None:
    if not DocumentTemplate.objects.exists():
        sync_package_templates()


@transaction.atomic
def edit_template(
    template: DocumentTemplate,
    *,
    title: str,
    phrases: dict,
    body: str,
    note: str = "",
    actor=None,
) -> DocumentTemplate:
    """An edit never changes a version: it adds the next version of the same kind and language."""
    latest = selectors.template_history(template.kind, template.language).first()
    if not isinstance(phrases, dict) or "title" not in phrases:
        raise LegalError("the wording must be a mapping with at least a title")
    new = DocumentTemplate.objects.create(
        kind=template.kind,
        language=template.language,
        version=latest.version + 1,
        title=title,
        phrases=phrases,
        body=body,
        source=DocumentTemplate.Source.ADMIN,
        note=note[:300],
        created_by=actor,
    )
    record_audit(
        action="legal.template.edit",
        obj=new,
        actor=actor,
        before={"version": latest.version},
        after={"version": new.version, "note": note},
    )
    return new


# --- applicant -----------------------------------------------------------------------------------


@transaction.atomic
def save_applicant_profile(*, user, details: dict[str, str]) -> ApplicantProfile:
    profile, _created = ApplicantProfile.objects.get_or_create(user=user)
    profile.details = details
    profile.save()
    record_audit(
        action="legal.applicant.update",
        obj=profile,
        actor=user,
        after={"fields": sorted(k for k, v in details.items() if v)},
    )
    return profile


# --- documents -----------------------------------------------------------------------------------


def _check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise LegalError(f"unknown language {lang!r}")
    return lang


def _require_incidents(user, incidents: Iterable[Incident]) -> list[Incident]:
    incidents = list(incidents)
    visible = set(
        selectors.visible_incidents(user)
        .filter(pk__in=[i.pk for i in incidents])
        .values_list("pk", flat=True)
    )
    if not selectors.is_lawyer(user) or any(i.pk not in visible for i in incidents):
        raise NotAllowed("incident outside the user's scope")
    return incidents


def _audit_reveal(user, obj, observers_named: list[str]) -> None:
    if observers_named:
        record_audit(
            action="legal.identities.reveal",
            obj=obj,
            actor=user,
            after={"observers": observers_named},
        )


def _revealed(data: dict) -> list[str]:
    """Observer ids whose name a document shows (labels "Name (OBS-XXXXX)")."""
    found = []
    incidents = (
        [data["incident"]]
        if "incident" in data
        else [i for s in data["stations"] for i in s["incidents"]]
    )
    for incident in incidents:
        for label in [incident["observer"], *incident["witnesses"]]:
            if label.endswith(")") and "(" in label:
                found.append(label.rsplit("(", 1)[1].rstrip(")"))
    return sorted(set(found))


def _save_document(*, user, kind, lang, template, data, when, case=None, incident=None):
    pdf = render.render_pdf(template.body, data, when=when)
    docx = render.render_docx(data)
    pdf_path, pdf_sha = _store("documents", pdf, ".pdf")
    docx_path, docx_sha = _store("documents", docx, ".docx")
    revealed = _revealed(data)
    document = LegalDocument.objects.create(
        kind=kind,
        language=lang,
        case=case,
        incident=incident,
        template=template,
        title=data["title"],
        pdf_path=pdf_path,
        pdf_sha256=pdf_sha,
        pdf_size=len(pdf),
        docx_path=docx_path,
        docx_sha256=docx_sha,
        docx_size=len(docx),
        identities_revealed=bool(revealed),
        created_by=user,
    )
    _ledger_entry(document)
    record_audit(
        action=f"legal.{kind}.generate",
        obj=document,
        actor=user,
        after={
            "language": lang,
            "template": str(template),
            "pdf_sha256": pdf_sha,
            "docx_sha256": docx_sha,
            "ledger_seq": document.ledger_seq,
        },
    )
    _audit_reveal(user, document, revealed)
    return document


@transaction.atomic
def generate_act(*, user, incident: Incident, lang: str, reveal: bool = False) -> LegalDocument:
    """The act of violation of one incident, in `lang` (PDF + DOCX), recorded in the ledger.
    With `reveal`, observers who consented are named (and the reveal is audited)."""
    _check_language(lang)
    _require_incidents(user, [incident])
    ensure_templates()
    template = selectors.active_template(DocumentKind.ACT, lang)
    when = timezone.now()
    data = selectors.act_data(user, incident, lang, template, reveal=reveal, when=when)
    return _save_document(
        user=user,
        kind=DocumentKind.ACT,
        lang=lang,
        template=template,
        data=data,
        when=when,
        incident=incident,
    )


@transaction.atomic
def create_case(
    *,
    user,
    kind: str,
    language: str,
    incidents: Iterable[Incident],
    findings: Iterable[Finding] = (),
    addressee: str = "",
    respondent: str = "",
    decision_date: dt.date | None = None,
    title: str = "",
    reveal_identities: bool = False,
) -> Case:
    """A drafted complaint or statement from incidents of one election and organisation."""
    if kind not in CASE_KINDS:
        raise LegalError(f"unknown kind {kind!r}")
    _check_language(language)
    incidents = _require_incidents(user, incidents)
    if not incidents:
        raise LegalError(_("Select at least one incident."))
    elections = {i.election_id for i in incidents}
    organisations = {i.observer.organisation_id for i in incidents}
    if len(elections) != 1:
        raise LegalError(_("The incidents must belong to one election."))
    if len(organisations) != 1:
        raise LegalError(_("The incidents must come from one organisation's observers."))
    if decision_date is None:
        decision_date = min(timezone.localtime(i.occurred_at).date() for i in incidents)
    regions = {getattr(selectors.region_of(i.station), "pk", None) for i in incidents}
    case = Case.objects.create(
        kind=kind,
        language=language,
        organisation_id=organisations.pop(),
        election_id=elections.pop(),
        region_id=regions.pop() if len(regions) == 1 else None,
        lawyer=user,
        title=title,
        addressee=addressee,
        respondent=respondent,
        decision_date=decision_date,
        reveal_identities=reveal_identities,
        created_by=user,
    )
    case.incidents.set(incidents)
    findings = list(findings)
    if findings:
        case.findings.set(findings)
    due, rule = selectors.filing_deadline(case)
    if due is not None:
        Case.objects.filter(pk=case.pk).update(next_deadline=due, deadline_rule=rule.code)
        case.next_deadline, case.deadline_rule = due, rule.code
    record_audit(
        action="legal.case.create",
        obj=case,
        actor=user,
        after={
            "kind": kind,
            "incidents": [i.pk for i in incidents],
            "findings": [f.pk for f in findings],
            "decision_date": decision_date.isoformat(),
            "next_deadline": due.isoformat() if due else None,
        },
    )
    return case


def _require_case(user, case: Case) -> None:
    if (
        not selectors.is_lawyer(user)
        or not selectors.visible_cases(user).filter(pk=case.pk).exists()
    ):
        raise NotAllowed("case outside the user's scope")


@transaction.atomic
def generate_case_document(*, user, case: Case, lang: str | None = None) -> LegalDocument:
    """The complaint or statement of a case in `lang` (default: the case's language)."""
    lang = _check_language(lang or case.language)
    _require_case(user, case)
    ensure_templates()
    template = selectors.active_template(case.kind, lang)
    when = timezone.now()
    data = selectors.case_data(user, case, lang, template, when=when)
    return _save_document(
        user=user, kind=case.kind, lang=lang, template=template, data=data, when=when, case=case
    )


def next_deadline_after(status: str, on: dt.date, outcome: str = "") -> tuple[dt.date | None, str]:
    """The deadline an event opens: an appeal after a refusal or an unfavourable decision."""
    if status == Status.REFUSED or (status == Status.DECIDED and outcome in APPEALABLE):
        rule = deadlines.load_rules()["appeal_after_refusal"]
        return deadlines.deadline(on, rule.days, deadlines.load_calendar()), rule.code
    return None, ""


@transaction.atomic
def record_event(
    *,
    user,
    case: Case,
    status: str,
    on: dt.date,
    reference: str = "",
    outcome: str = "",
    note: str = "",
    document: tuple[str, bytes] | None = None,
) -> CaseEvent:
    """Move a case to `status` on date `on` (with the reference number and the decision
    document received), and compute its next deadline."""
    _require_case(user, case)
    case = Case.objects.select_for_update().get(pk=case.pk)
    if status not in TRANSITIONS.get(case.status, set()):
        raise LegalError(
            _("A case that is “%(current)s” cannot become “%(new)s”.")
            % {"current": case.get_status_display(), "new": Status(status).label}
        )
    if outcome not in Outcome.values:
        raise LegalError(f"unknown outcome {outcome!r}")
    if on > timezone.localdate() + dt.timedelta(days=1):
        raise LegalError(_("The date cannot be in the future."))
    event = CaseEvent(
        case=case,
        status=status,
        on=on,
        reference=reference.strip()[:100],
        outcome=outcome,
        note=note,
        created_by=user,
    )
    if document is not None:
        name, content = document
        if len(content) > MAX_DECISION_BYTES:
            raise LegalError(_("The document is too large."))
        suffix = Path(name).suffix.lower()[:10]
        event.document_path, event.document_sha256 = _store("decisions", content, suffix)
        event.document_name = Path(name).name[:200]
    due, rule = next_deadline_after(status, on, outcome)
    event.next_deadline = due
    event.save()
    before = {"status": case.status, "next_deadline": str(case.next_deadline or "")}
    case.status = status
    case.next_deadline, case.deadline_rule = due, rule
    if status == Status.FILED and case.filed_on is None:
        case.filed_on = on
    if event.reference:
        case.reference = event.reference
    if outcome == Outcome.INVESTIGATION_STARTED:
        case.investigation_started = True
    case.save()
    ledger.record(event, kind=LedgerEntry.Kind.RECORD)
    record_audit(
        action="legal.case.event",
        obj=case,
        actor=user,
        before=before,
        after={
            "status": status,
            "on": on.isoformat(),
            "reference": event.reference,
            "outcome": outcome,
            "document_sha256": event.document_sha256,
            "next_deadline": due.isoformat() if due else None,
        },
    )
    return event


# --- bundles -------------------------------------------------------------------------------------


def _entry_dict(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "kind": entry.kind,
        "ref": entry.ref,
        "content": entry.content,
        "content_hash": entry.content_hash,
        "prev_hash": entry.prev_hash,
        "entry_hash": entry.entry_hash,
        "created_at": entry.created_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }


def _document_files(document: LegalDocument, folder: str) -> list[bundles.BundleFile]:
    stem = f"{folder}/{document.kind}-{document.language}-{document.pk}"
    common = {
        "role": "document",
        "ledger_seq": document.ledger_seq,
        "ledger_entry_hash": document.ledger_hash,
    }
    return [
        bundles.BundleFile(
            arcname=f"{stem}.pdf",
            sha256=document.pdf_sha256,
            size=document.pdf_size,
            path=resolve(document.pdf_path),
            meta={"title": document.title},
            **common,
        ),
        bundles.BundleFile(
            arcname=f"{stem}.docx",
            sha256=document.docx_sha256,
            size=document.docx_size,
            path=resolve(document.docx_path),
            ledger_field="docx_sha256",
            meta={"title": document.title},
            **common,
        ),
    ]


def bundle_contents(case: Case) -> tuple[list[bundles.BundleFile], list[LedgerEntry]]:
    from baqylau.evidence.services import open_variant

    files: list[bundles.BundleFile] = []
    entries: dict[int, LedgerEntry] = {}
    incidents = selectors.case_incidents(case)
    for incident in incidents:
        submission_entry = (
            LedgerEntry.objects.filter(ref=f"intake.submission:{incident.submission_id}")
            .order_by("-seq")
            .first()
        )
        if submission_entry:
            entries[submission_entry.seq] = submission_entry
        for media, entry in selectors.evidence_files(incident):
            if entry is not None:
                entries[entry.seq] = entry
            files.append(
                bundles.BundleFile(
                    arcname=f"files/{incident.station.code}/{incident.pk}-{selectors.file_name(media)}",
                    sha256=media.sha256,
                    size=media.size,
                    path=open_variant(media, "original"),
                    ledger_seq=entry.seq if entry else None,
                    ledger_entry_hash=entry.entry_hash if entry else "",
                    meta={
                        "station": incident.station.code,
                        "incident": incident.pk,
                        "violation": incident.violation.code,
                        "time": selectors.fmt_time(incident.occurred_at),
                        "observer": incident.observer.public_id,
                        "content_type": media.content_type,
                    },
                )
            )
    latest: dict[tuple, LegalDocument] = {}
    for document in selectors.acts_for(incidents):
        latest.setdefault(("act", document.incident_id, document.language), document)
    for document in selectors.case_documents(case):
        latest.setdefault((document.kind, case.pk, document.language), document)
    for key, document in sorted(latest.items(), key=lambda kv: str(kv[0])):
        files += _document_files(document, "acts" if key[0] == DocumentKind.ACT else "documents")
        if document.ledger_seq:
            entry = LedgerEntry.objects.filter(seq=document.ledger_seq).first()
            if entry:
                entries[entry.seq] = entry
    return files, list(entries.values())


@transaction.atomic
def build_case_bundle(*, user, case: Case) -> Bundle:
    """Build the evidence bundle of a case (ZIP), store it and record it in the ledger."""
    _require_case(user, case)
    files, entries = bundle_contents(case)
    seq, head_hash = ledger.head()
    with translation.override(case.language):
        about = {
            "case": str(case.pk),
            "kind": str(case.get_kind_display()),
            "election": case.election.code,
            "organisation": case.organisation.code,
            "stations": ", ".join(
                sorted({f.meta["station"] for f in files if "station" in f.meta})
            ),
            "reference": case.reference,
        }
    data = bundles.build_bundle(
        files,
        title=f"case {case.pk}: {case}",
        about=about,
        ledger_entries=[_entry_dict(e) for e in entries],
        ledger_head={"seq": seq, "entry_hash": head_hash},
    )
    path, sha = _store("bundles", data, ".zip")
    record = Bundle.objects.create(
        case=case, path=path, sha256=sha, size=len(data), files=len(files), created_by=user
    )
    _ledger_entry(record)
    record_audit(
        action="legal.bundle.build",
        obj=record,
        actor=user,
        after={
            "case": case.pk,
            "sha256": sha,
            "files": len(files),
            "ledger_seq": record.ledger_seq,
        },
    )
    return record


# --- reminders -----------------------------------------------------------------------------------


def send_reminders(
    *, today: dt.date | None = None, lead_days: tuple[int, ...] = (3, 1, 0), send: bool = True
) -> list[tuple[Case, int]]:
    """E-mail the assigned lawyer of every case whose deadline is `lead_days` away (or missed),
    once per deadline and lead time. With `send=False` only lists them."""
    today = today or timezone.localdate()
    due = selectors.due_reminders(today=today, lead_days=lead_days)
    if not send:
        return due
    for case, lead in due:
        with transaction.atomic():
            reminder, created = ReminderSent.objects.get_or_create(
                case=case,
                due=case.next_deadline,
                days_before=lead,
                defaults={"sent_to": case.lawyer.email},
            )
            if not created:
                continue
            if case.lawyer.email:
                with translation.override(case.language):
                    subject = _("Deadline %(date)s: %(case)s") % {
                        "date": selectors.fmt_date(case.next_deadline),
                        "case": case,
                    }
                    body = _(
                        "The deadline of case %(id)s (%(kind)s, status: %(status)s) is %(date)s."
                    ) % {
                        "id": case.pk,
                        "kind": case.get_kind_display(),
                        "status": case.get_status_display(),
                        "date": selectors.fmt_date(case.next_deadline),
                    }
                send_mail(subject, body, None, [case.lawyer.email], fail_silently=False)
    return due
