"""Admin for the election model, with an "import file" view (upload a table, pick a mapping)."""

from __future__ import annotations

import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from .models import (
    AdminUnit,
    Choice,
    Contest,
    Election,
    ImportJob,
    ImportRun,
    OfficialLine,
    OfficialResult,
    OfficialVote,
)
from .services import import_job_start

NAMES = ("name_ru", "name_kk", "name_en")


class ContestInline(admin.TabularInline):
    model = Contest
    extra = 0
    fields = (
        "code",
        "kind",
        "protocol_form",
        "protocol_form_version",
        "majority_threshold",
        *NAMES,
    )
    show_change_link = True


class ChoiceInline(admin.TabularInline):
    model = Choice
    extra = 0
    fields = ("number", "code", "kind", *NAMES)


@admin.register(Election)
class ElectionAdmin(admin.ModelAdmin):
    list_display = ("code", "localized_name", "date", "kind", "country", "is_synthetic")
    list_filter = ("kind", "country", "is_synthetic")
    search_fields = ("code", *NAMES)
    date_hierarchy = "date"
    inlines = [ContestInline]


@admin.register(Contest)
class ContestAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "localized_name",
        "election",
        "kind",
        "protocol_form",
        "majority_threshold",
    )
    list_filter = ("kind", "protocol_form", "election")
    search_fields = ("code", *NAMES, "election__code")
    list_select_related = ("election",)
    inlines = [ChoiceInline]


@admin.register(Choice)
class ChoiceAdmin(admin.ModelAdmin):
    list_display = ("code", "localized_name", "number", "kind", "contest")
    list_filter = ("kind", "contest__election")
    search_fields = ("code", *NAMES)
    list_select_related = ("contest",)
    raw_id_fields = ("contest",)


@admin.register(AdminUnit)
class AdminUnitAdmin(admin.ModelAdmin):
    list_display = ("path", "localized_name", "kind", "registered_voters", "is_abroad", "closed")
    list_filter = ("kind", "is_abroad", "closed", "election")
    search_fields = ("=code", "path", *NAMES, "address")
    raw_id_fields = ("parent",)
    readonly_fields = ("path", "depth")
    show_full_result_count = False  # counting 100k stations on every page is wasted work


class ReadOnlyOfficial:
    """Official figures come only through the import, which records them in the ledger: the
    admin shows them and never changes them (a change here would be a change the ledger
    reports as tampering)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class OfficialLineInline(ReadOnlyOfficial, admin.TabularInline):
    model = OfficialLine
    extra = 0


class OfficialVoteInline(ReadOnlyOfficial, admin.TabularInline):
    model = OfficialVote
    extra = 0
    raw_id_fields = ("choice",)


@admin.register(OfficialResult)
class OfficialResultAdmin(ReadOnlyOfficial, admin.ModelAdmin):
    list_display = ("unit", "contest", "source", "imported_at")
    list_filter = ("contest__election", "unit__kind")
    search_fields = ("unit__path", "unit__code", "source")
    raw_id_fields = ("unit", "contest")
    list_select_related = ("unit", "contest")
    show_full_result_count = False
    inlines = [OfficialLineInline, OfficialVoteInline]


@admin.register(OfficialLine)
class OfficialLineAdmin(ReadOnlyOfficial, admin.ModelAdmin):
    list_display = ("result", "line", "value")
    list_filter = ("line",)
    search_fields = ("result__unit__path", "=line")
    raw_id_fields = ("result",)
    list_select_related = ("result__unit", "result__contest")
    show_full_result_count = False


@admin.register(OfficialVote)
class OfficialVoteAdmin(ReadOnlyOfficial, admin.ModelAdmin):
    list_display = ("result", "choice", "votes")
    list_filter = ("choice__contest__election",)
    search_fields = ("result__unit__path", "choice__code")
    raw_id_fields = ("result", "choice")
    list_select_related = ("result__unit", "result__contest", "choice")
    show_full_result_count = False


def _mapping_choices() -> list[tuple[str, str]]:
    from .importing import shipped_mappings

    return [("", "—")] + [(name, name) for name in shipped_mappings()]


class ImportFileForm(forms.Form):
    file = forms.FileField(label=_("table file (CSV, zipped CSV or XLSX)"))
    mapping = forms.ChoiceField(
        label=_("shipped mapping"), required=False, choices=_mapping_choices
    )
    mapping_file = forms.FileField(label=_("or a mapping YAML"), required=False)
    existing_units = forms.BooleanField(
        label=_("results for existing units only (unknown units are errors)"), required=False
    )

    def clean(self):
        data = super().clean()
        if not data.get("mapping") and not data.get("mapping_file"):
            raise forms.ValidationError(_("Pick a shipped mapping or upload one."))
        return data


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = (
        "finished_at",
        "election",
        "source_name",
        "rows",
        "units_created",
        "units_updated",
        "results_written",
        "short_sha",
    )
    list_filter = ("election",)
    search_fields = ("source_name", "sha256")
    readonly_fields = [f.name for f in ImportRun._meta.fields]
    change_list_template = "admin/elections/importrun/change_list.html"

    @admin.display(description=_("SHA-256"))
    def short_sha(self, obj: ImportRun) -> str:
        return obj.sha256[:12]

    def has_add_permission(self, request) -> bool:
        return False  # runs are recorded by the importer only

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        custom = [
            path(
                "import-file/",
                self.admin_site.admin_view(self.import_file_view),
                name="elections_importrun_import_file",
            )
        ]
        return custom + super().get_urls()

    def import_file_view(self, request):
        """Store the upload and its mapping, queue the import (a background job) and follow it:
        a large file never runs inside the request."""
        from .importing import MappingError, load_mapping

        if not (request.user.has_perm("elections.add_officialresult") and request.user.is_staff):
            raise PermissionDenied
        if request.GET.get("job", "").isdigit():
            return self._import_progress(request, int(request.GET["job"]))
        form = ImportFileForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            folder = Path(settings.DATA_DIR) / "imports" / uuid.uuid4().hex
            folder.mkdir(parents=True, exist_ok=True)
            upload = form.cleaned_data["file"]
            suffix = "".join(Path(upload.name).suffixes[-2:]) or ".csv"
            target = folder / f"upload{suffix}"
            with target.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            mapping_ref = form.cleaned_data.get("mapping") or ""
            if form.cleaned_data.get("mapping_file"):
                mapping_ref = str(folder / "mapping.yaml")
                Path(mapping_ref).write_bytes(form.cleaned_data["mapping_file"].read())
            try:
                loaded = load_mapping(mapping_ref)
            except MappingError as exc:
                form.add_error(None, str(exc))
            else:
                if loaded.crowd is not None and not request.user.has_perm("crowd.add_crowdcount"):
                    raise PermissionDenied  # crowd counts: only staff allowed to import them
                queued = import_job_start(
                    file_name=upload.name,
                    stored_path=str(target),
                    mapping=mapping_ref,
                    existing_units=form.cleaned_data["existing_units"] or None,
                    user=request.user,
                )
                return redirect(f"{request.path}?job={queued.pk}")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import a results file"),
            "form": form,
            "report": None,
        }
        return TemplateResponse(request, "admin/elections/importrun/import_file.html", context)

    def _import_progress(self, request, job_id: int):
        job = ImportJob.objects.filter(pk=job_id).first()
        if job is None:
            raise Http404
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import a results file"),
            "job": job,
        }
        return TemplateResponse(request, "admin/elections/importrun/import_progress.html", context)


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("created_at", "file_name", "state", "rows_done", "rows_total", "problems_total")
    list_filter = ("state",)
    readonly_fields = [f.name for f in ImportJob._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
