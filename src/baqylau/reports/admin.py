from django.contrib import admin

from baqylau.reports.models import CheckIn, Incident, Note, TurnoutCount, ViolationType


@admin.register(ViolationType)
class ViolationTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name_ru", "law_article", "active", "position")
    list_editable = ("active", "position")
    search_fields = ("code", "name_kk", "name_ru", "name_en", "law_article")


class ReadOnlyReport(admin.ModelAdmin):
    """Reports are derived from submissions: change them through the services, never here."""

    list_select_related = ("observer", "station")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # a report is evidence, in the ledger: never deleted by hand


@admin.register(CheckIn)
class CheckInAdmin(ReadOnlyReport):
    list_display = ("received_at", "observer", "station", "status")
    list_filter = ("status",)


@admin.register(TurnoutCount)
class TurnoutCountAdmin(ReadOnlyReport):
    list_display = ("at", "observer", "station", "observer_count", "commission_count")


@admin.register(Incident)
class IncidentAdmin(ReadOnlyReport):
    list_display = ("occurred_at", "observer", "station", "violation", "moderation")
    list_filter = ("violation", "moderation")


@admin.register(Note)
class NoteAdmin(ReadOnlyReport):
    list_display = ("received_at", "observer", "station")
