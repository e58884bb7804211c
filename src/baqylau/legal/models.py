"""Legal follow-up: document templates (data, versioned), applicants' details, generated documents,
cases (complaints and statements) with their events and deadlines, evidence bundles, reminders.

Generated files live in DATA_DIR/legal/, named by their SHA-256 (write-once); every generated
document and bundle is recorded in the evidence ledger (`ledger_content` below is what is hashed).
"""

from __future__ import annotations

import json

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from baqylau.elections.models import AdminUnit, Election
from baqylau.observers import crypto
from baqylau.observers.models import Organisation
from baqylau.reports.models import Incident
from baqylau.tally.models import Finding

LANGUAGES = ("kk", "ru", "en")
LANGUAGE_CHOICES = [("kk", "Қазақша"), ("ru", "Русский"), ("en", "English")]


class DocumentKind(models.TextChoices):
    ACT = "act", _("act of violation")
    COMPLAINT_COMMISSION = "complaint_commission", _("complaint to the higher election commission")
    #: since 01.07.2021 a claim under the Administrative Procedural and Process Code
    COMPLAINT_COURT = "complaint_court", _("claim to the administrative court")
    STATEMENT_PROSECUTOR = "statement_prosecutor", _("statement to the prosecutor")


CASE_KINDS = (
    DocumentKind.COMPLAINT_COMMISSION,
    DocumentKind.COMPLAINT_COURT,
    DocumentKind.STATEMENT_PROSECUTOR,
)


class DocumentTemplate(models.Model):
    """One version of a document template. Never edited in place: an edit adds a version row;
    the highest version of a kind and language is the one used."""

    class Source(models.TextChoices):
        PACKAGE = "package", _("shipped with the platform")
        ADMIN = "admin", _("edited by an administrator")

    kind = models.CharField(_("kind"), max_length=32, choices=DocumentKind.choices)
    language = models.CharField(_("language"), max_length=2, choices=LANGUAGE_CHOICES)
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=300)
    phrases = models.JSONField(
        _("wording"),
        default=dict,
        help_text=_("The document's wording by key; $placeholders are filled in (e.g. $deadline)."),
    )
    body = models.TextField(
        _("layout (typst markup)"),
        help_text=_("Typst markup; the data is in `data` and the wording in `p`."),
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    package_version = models.PositiveIntegerField(_("package version"), null=True, blank=True)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")
        ordering = ["kind", "language", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "language", "version"], name="legal_template_version_unique"
            ),
            models.CheckConstraint(
                condition=Q(language__in=LANGUAGES), name="legal_template_language_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}.{self.language} v{self.version}"


class ApplicantProfile(models.Model):
    """The applicant's details a court requires (full name, ID number, address, contacts).

    Private: encrypted at rest, shown only to its owner and filled into their own documents."""

    FIELDS = ("full_name", "iin", "address", "phone", "email")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="applicant_profile"
    )
    details_encrypted = models.TextField(_("details (encrypted)"), blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("applicant's details")
        verbose_name_plural = _("applicants' details")

    def __str__(self) -> str:
        return f"applicant #{self.pk}"

    @property
    def details(self) -> dict[str, str]:
        raw = crypto.decrypt(self.details_encrypted) if self.details_encrypted else ""
        data = json.loads(raw) if raw else {}
        return {key: str(data.get(key, "")) for key in self.FIELDS}

    @details.setter
    def details(self, value: dict[str, str]) -> None:
        clean = {key: str(value.get(key, "")).strip() for key in self.FIELDS}
        self.details_encrypted = crypto.encrypt(json.dumps(clean, ensure_ascii=False))


class Case(models.Model):
    """A complaint or a statement, assembled by a lawyer from acts and findings, and its fate."""

    class Status(models.TextChoices):
        DRAFTED = "drafted", _("drafted")
        FILED = "filed", _("filed")
        REFUSED = "refused", _("refused to consider")
        ACCEPTED = "accepted", _("accepted for consideration")
        APPEALED = "appealed", _("appealed")
        DECIDED = "decided", _("decided")

    kind = models.CharField(
        _("kind"),
        max_length=32,
        choices=[(k.value, k.label) for k in CASE_KINDS],
    )
    language = models.CharField(_("language"), max_length=2, choices=LANGUAGE_CHOICES)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey(
        AdminUnit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("region"),
    )
    lawyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="legal_cases",
        verbose_name=_("assigned lawyer"),
    )
    title = models.CharField(_("title"), max_length=300, blank=True)
    addressee = models.TextField(_("addressed to"), blank=True)
    respondent = models.TextField(_("respondent (commission)"), blank=True)
    decision_date = models.DateField(
        _("date of the decision or act appealed"), null=True, blank=True
    )
    incidents = models.ManyToManyField(Incident, related_name="+", blank=True)
    findings = models.ManyToManyField(Finding, related_name="+", blank=True)
    reveal_identities = models.BooleanField(_("name observers who consented"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFTED
    )
    reference = models.CharField(_("reference number"), max_length=100, blank=True)
    filed_on = models.DateField(_("filed on"), null=True, blank=True)
    next_deadline = models.DateField(_("next deadline"), null=True, blank=True, db_index=True)
    deadline_rule = models.CharField(_("deadline rule"), max_length=64, blank=True)
    #: The statement was registered in the Unified Register of Pre-trial Investigations and a
    #: pre-trial investigation began (the 2014 Criminal Procedure Code has no "opening of a
    #: criminal case").
    investigation_started = models.BooleanField(_("pre-trial investigation started"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in CASE_KINDS]), name="legal_case_kind"
            ),
            models.CheckConstraint(
                condition=Q(language__in=LANGUAGES), name="legal_case_language_known"
            ),
        ]

    def __str__(self) -> str:
        return self.title or f"{self.get_kind_display()} #{self.pk}"


class CaseEvent(models.Model):
    """A step of a case: filed, refused, accepted, appealed, decided — with its date, reference
    and the decision document received."""

    class Outcome(models.TextChoices):
        NONE = "", _("—")
        GRANTED = "granted", _("granted")
        PARTLY = "partly", _("partly granted")
        DISMISSED = "dismissed", _("dismissed")
        # A statement to the prosecutor, under the 2014 Criminal Procedure Code: registered in
        # the Unified Register of Pre-trial Investigations (the investigation begins), or not.
        INVESTIGATION_STARTED = (
            "investigation_started",
            _(
                "registered in the Unified Register of Pre-trial Investigations; pre-trial investigation started"
            ),
        )
        NOT_REGISTERED = (
            "not_registered",
            _("not registered in the Unified Register of Pre-trial Investigations"),
        )
        INVESTIGATION_TERMINATED = (
            "investigation_terminated",
            _("pre-trial investigation terminated"),
        )

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(_("status"), max_length=16, choices=Case.Status.choices)
    on = models.DateField(_("date"))
    reference = models.CharField(_("reference number"), max_length=100, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=32, choices=Outcome.choices, default="", blank=True
    )
    note = models.TextField(_("note"), blank=True)
    document_name = models.CharField(_("decision document"), max_length=200, blank=True)
    document_path = models.CharField(max_length=500, blank=True, editable=False)
    document_sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    next_deadline = models.DateField(_("next deadline"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["on", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.status} {self.on}"


class LegalDocument(models.Model):
    """A generated document (PDF and DOCX) with the template version it came from."""

    kind = models.CharField(_("kind"), max_length=32, choices=DocumentKind.choices)
    language = models.CharField(_("language"), max_length=2, choices=LANGUAGE_CHOICES)
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, null=True, blank=True, related_name="documents"
    )
    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    template = models.ForeignKey(DocumentTemplate, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=300)
    pdf_path = models.CharField(max_length=500, editable=False)
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64)
    pdf_size = models.PositiveBigIntegerField(_("PDF size"))
    docx_path = models.CharField(max_length=500, editable=False)
    docx_sha256 = models.CharField(_("DOCX SHA-256"), max_length=64)
    docx_size = models.PositiveBigIntegerField(_("DOCX size"))
    identities_revealed = models.BooleanField(_("names of consenting observers"), default=False)
    ledger_seq = models.PositiveBigIntegerField(_("ledger entry"), null=True, blank=True)
    ledger_hash = models.CharField(_("ledger entry hash"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("generated document")
        verbose_name_plural = _("generated documents")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(case__isnull=False) | Q(incident__isnull=False),
                name="legal_document_has_subject",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def ledger_content(self) -> dict:
        """What the ledger records (the ledger fields themselves are not part of it)."""
        return {
            "id": self.pk,
            "kind": self.kind,
            "language": self.language,
            "case": self.case_id,
            "incident": self.incident_id,
            "template": self.template_id,
            "sha256": self.pdf_sha256,
            "pdf_size": self.pdf_size,
            "docx_sha256": self.docx_sha256,
            "docx_size": self.docx_size,
            "identities_revealed": self.identities_revealed,
            "created_at": self.created_at,
        }


class Bundle(models.Model):
    """An evidence bundle (ZIP) built for a case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="bundles")
    path = models.CharField(max_length=500, editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("size"))
    files = models.PositiveIntegerField(_("files"))
    ledger_seq = models.PositiveBigIntegerField(_("ledger entry"), null=True, blank=True)
    ledger_hash = models.CharField(_("ledger entry hash"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("evidence bundle")
        verbose_name_plural = _("evidence bundles")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"bundle {self.sha256[:12]}"

    def ledger_content(self) -> dict:
        return {
            "id": self.pk,
            "case": self.case_id,
            "sha256": self.sha256,
            "size": self.size,
            "files": self.files,
            "created_at": self.created_at,
        }


class ReminderSent(models.Model):
    """A reminder sent for one deadline of a case (so each is sent once per lead time)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reminders")
    due = models.DateField(_("deadline"))
    days_before = models.SmallIntegerField(_("days before"))
    sent_to = models.CharField(_("sent to"), max_length=254, blank=True)
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "due", "days_before"], name="legal_reminder_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.due} -{self.days_before}d"
