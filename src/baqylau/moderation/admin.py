from django.contrib import admin

from baqylau.moderation.models import Decision, RejectReason


@admin.register(RejectReason)
class RejectReasonAdmin(admin.ModelAdmin):
    list_display = ["code", "name_kk", "name_ru", "name_en", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name_kk", "name_ru", "name_en"]


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    """Decisions are never edited: a new decision (from the moderation pages) supersedes."""

    list_display = ["copy", "verdict", "reason", "moderator", "decided_at"]
    list_filter = ["verdict", "reason", "copy__contest__election"]
    raw_id_fields = ["copy", "reason", "moderator"]
    readonly_fields = ["copy", "verdict", "reason", "note", "moderator", "decided_at"]
    date_hierarchy = "decided_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
