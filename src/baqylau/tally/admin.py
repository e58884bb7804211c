"""Admin for the tally's derived records (read-only: they are recomputed by `recount`)."""

from django.contrib import admin

from .models import Estimate, Finding, UnitCount


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(UnitCount)
class UnitCountAdmin(ReadOnlyAdmin):
    list_display = ("unit", "contest", "stations_covered", "stations_total", "turnout")
    list_filter = ("contest",)
    search_fields = ("unit__path", "unit__name_ru", "unit__name_en")
    raw_id_fields = ("unit",)


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ("kind", "unit", "line", "choice", "observed", "official", "contest")
    list_filter = ("contest", "kind")
    search_fields = ("unit__path",)
    raw_id_fields = ("unit",)


@admin.register(Estimate)
class EstimateAdmin(ReadOnlyAdmin):
    list_display = ("unit", "choice", "share", "margin", "stations_used", "random_sample")
    list_filter = ("contest",)
    search_fields = ("unit__path",)
    raw_id_fields = ("unit",)
