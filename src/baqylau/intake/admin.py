"""Admin of the intake. Submissions are immutable: the admin shows them and never changes them."""

from django.contrib import admin

from baqylau.evidence.models import MediaFile
from baqylau.intake.models import Rejection, Submission


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MediaInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = MediaFile
    fields = ["page", "content_type", "size", "sha256", "received_at"]
    readonly_fields = fields
    extra = 0
    show_change_link = True


class RejectionInline(ReadOnlyAdminMixin, admin.StackedInline):
    model = Rejection
    fields = ["code", "messages", "created_at"]
    readonly_fields = fields
    extra = 0


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "received_at", "election", "channel", "kind", "sender", "language"]
    list_filter = ["kind", "channel", "language", "election"]
    search_fields = ["id", "sender", "payload_sha256"]
    date_hierarchy = "received_at"
    raw_id_fields = ["election", "user"]
    readonly_fields = [
        "id",
        "election",
        "channel",
        "kind",
        "sender",
        "user",
        "received_at",
        "language",
        "payload_sha256",
        "payload",
    ]
    inlines = [MediaInline, RejectionInline]


@admin.register(Rejection)
class RejectionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["submission", "code", "created_at"]
    list_filter = ["code", "submission__channel", "submission__election"]
    search_fields = ["submission__id", "code"]
    raw_id_fields = ["submission"]
    readonly_fields = ["submission", "code", "messages", "created_at"]
    date_hierarchy = "created_at"
