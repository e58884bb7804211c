"""Read-only admin for evidence files and the ledger: nothing here can be added, edited or deleted."""

from django.contrib import admin

from baqylau.evidence.models import LedgerDigest, LedgerEntry, MediaFile


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MediaFile)
class MediaFileAdmin(ReadOnlyAdmin):
    list_display = ("id", "content_type", "size", "page", "submission", "sha256", "received_at")
    list_filter = ("content_type",)
    search_fields = ("sha256", "perceptual_hash", "submission__id")
    date_hierarchy = "received_at"
    list_select_related = ("submission",)
    show_full_result_count = False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("seq", "kind", "ref", "content_hash", "entry_hash", "created_at")
    list_filter = ("kind",)
    search_fields = ("ref", "entry_hash", "content_hash")
    show_full_result_count = False


@admin.register(LedgerDigest)
class LedgerDigestAdmin(ReadOnlyAdmin):
    list_display = ("seq", "head_hash", "created_at")
