from django.contrib import admin

from baqylau.protocols.models import (
    Conflict,
    CopyLine,
    CopyVote,
    ElectionPolicy,
    ProtocolCopy,
    StationResult,
)


class CopyLineInline(admin.TabularInline):
    model = CopyLine
    extra = 0


class CopyVoteInline(admin.TabularInline):
    model = CopyVote
    extra = 0
    raw_id_fields = ["choice"]


@admin.register(ProtocolCopy)
class ProtocolCopyAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "station",
        "contest",
        "received_at",
        "source",
        "validation",
        "moderation",
        "pages_received",
        "locked_by",
    ]
    list_filter = ["validation", "moderation", "source", "contest__election"]
    search_fields = ["station__code", "station__path", "source_ref", "submission__id"]
    date_hierarchy = "received_at"
    raw_id_fields = ["submission", "contest", "station", "locked_by"]
    readonly_fields = ["submission", "received_at", "findings"]
    inlines = [CopyLineInline, CopyVoteInline]
    list_select_related = ["station", "contest", "locked_by"]


class ConflictInline(admin.TabularInline):
    model = Conflict
    extra = 0
    raw_id_fields = ["choice", "resolved_by"]


@admin.register(StationResult)
class StationResultAdmin(admin.ModelAdmin):
    list_display = ["id", "station", "contest", "status", "copies_count", "updated_at"]
    list_filter = ["status", "contest__election"]
    search_fields = ["station__code", "station__path"]
    raw_id_fields = ["contest", "station"]
    readonly_fields = ["lines", "votes", "copy_ids", "updated_at"]
    inlines = [ConflictInline]
    list_select_related = ["station", "contest"]


@admin.register(Conflict)
class ConflictAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "result",
        "line",
        "choice",
        "resolved_value",
        "resolved_by",
        "resolved_at",
    ]
    list_filter = ["result__contest__election", "resolved_at"]
    raw_id_fields = ["result", "choice", "resolved_by"]


@admin.register(ElectionPolicy)
class ElectionPolicyAdmin(admin.ModelAdmin):
    list_display = ["election", "auto_accept_valid", "updated_at"]
    raw_id_fields = ["election"]
