"""Admin: templates are edited here — every save adds a new version (the old one stays)."""

from django.contrib import admin

from baqylau.legal import services
from baqylau.legal.models import (
    ApplicantProfile,
    Bundle,
    Case,
    CaseEvent,
    DocumentTemplate,
    LegalDocument,
    ReminderSent,
)


@admin.register(DocumentTemplate)
class DocumentTemplateAdmin(admin.ModelAdmin):
    list_display = ("kind", "language", "version", "source", "title", "created_at")
    list_filter = ("kind", "language", "source")
    readonly_fields = ("version", "source", "package_version", "created_by", "created_at")
    fields = ("kind", "language", "title", "note", "phrases", "body", *readonly_fields)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields + (("kind", "language") if obj else ())

    def save_model(self, request, obj, form, change):
        if change:
            original = DocumentTemplate.objects.get(pk=obj.pk)
            new = services.edit_template(
                original,
                title=obj.title,
                phrases=obj.phrases,
                body=obj.body,
                note=obj.note,
                actor=request.user,
            )
            obj.pk, obj.version = new.pk, new.version  # the admin then shows the new version
            return
        latest = DocumentTemplate.objects.filter(kind=obj.kind, language=obj.language).first()
        obj.version = (latest.version + 1) if latest else 1
        obj.source = DocumentTemplate.Source.ADMIN
        obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApplicantProfile)
class ApplicantProfileAdmin(admin.ModelAdmin):
    """Applicants' details are private: the admin shows only whose profile it is."""

    list_display = ("user", "updated_at")
    fields = ("user", "updated_at")
    readonly_fields = ("user", "updated_at")

    def has_add_permission(self, request):
        return False


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    readonly_fields = (
        "status",
        "on",
        "reference",
        "outcome",
        "note",
        "document_name",
        "document_sha256",
        "next_deadline",
        "created_by",
        "created_at",
    )

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "status", "organisation", "region", "lawyer", "next_deadline")
    list_filter = ("kind", "status", "investigation_started")
    raw_id_fields = ("incidents", "findings", "region", "lawyer", "election", "organisation")
    readonly_fields = ("status", "next_deadline", "deadline_rule", "filed_on", "created_by")
    inlines = [CaseEventInline]


@admin.register(LegalDocument)
class LegalDocumentAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "language", "pdf_sha256", "ledger_seq", "created_at")
    list_filter = ("kind", "language")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(Bundle)
class BundleAdmin(admin.ModelAdmin):
    list_display = ("case", "sha256", "files", "size", "ledger_seq", "created_at")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


admin.site.register(ReminderSent)
