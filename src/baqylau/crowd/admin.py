from django.contrib import admin

from baqylau.crowd.models import CrowdBallot, CrowdCount, CrowdVoter


@admin.register(CrowdVoter)
class CrowdVoterAdmin(admin.ModelAdmin):
    list_display = ("voter_hash", "station", "messages", "new_account", "spam", "first_seen")
    list_filter = ("spam", "new_account")
    readonly_fields = (
        "voter_hash",
        "recent_times",
        "recent_digests",
        "bucket_tokens",
        "bucket_updated",
    )


@admin.register(CrowdBallot)
class CrowdBallotAdmin(admin.ModelAdmin):
    list_display = ("pk", "station", "category", "choice", "counted", "created_at")
    list_filter = ("category", "counted")
    readonly_fields = ("submission", "voter", "photo", "perceptual_hash", "spam_reasons")


@admin.register(CrowdCount)
class CrowdCountAdmin(admin.ModelAdmin):
    """Read-only: counts come through the importer or the API, and are in the ledger."""

    list_display = ("pk", "station", "choice", "source", "registered", "photo", "recorded_at")
    list_filter = ("source",)
    search_fields = ("station__code", "station__path")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
