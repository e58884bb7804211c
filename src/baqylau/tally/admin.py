"""Admin for the tally's records: read-only, they are derived (recomputed by the recount jobs).
Moderators settle conflicts in the moderation pages, through `tally.services`."""

from django.contrib import admin

from .models import Conflict, Estimate, Finding, PendingRecount, StationResult, UnitCount


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ConflictInline(admin.TabularInline):
    model = Conflict
    extra = 0
    can_delete = False
    fields = ["line", "choice", "values", "resolved_value", "resolved_by", "resolved_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(StationResult)
class StationResultAdmin(ReadOnlyAdmin):
    list_display = ["id", "station", "contest", "status", "copies_count", "updated_at"]
    list_filter = ["status", "contest__election"]
    search_fields = ["station__code", "station__path"]
    inlines = [ConflictInline]
    list_select_related = ["station", "contest"]


@admin.register(UnitCount)
class UnitCountAdmin(ReadOnlyAdmin):
    list_display = ("unit", "contest", "stations_covered", "stations_total", "turnout")
    list_filter = ("contest",)
    search_fields = ("unit__path", "unit__name_ru", "unit__name_en")


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ("kind", "unit", "line", "choice", "observed", "official", "contest")
    list_filter = ("contest", "kind")
    search_fields = ("unit__path",)


@admin.register(Estimate)
class EstimateAdmin(ReadOnlyAdmin):
    list_display = ("unit", "choice", "share", "margin", "stations_used", "random_sample")
    list_filter = ("contest",)
    search_fields = ("unit__path",)


@admin.register(PendingRecount)
class PendingRecountAdmin(ReadOnlyAdmin):
    list_display = ("station", "contest", "queued_at")
    list_filter = ("contest",)
