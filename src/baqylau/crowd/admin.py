from django.contrib import admin

from baqylau.crowd.models import (
    ClusterDecision,
    CrowdBallot,
    CrowdCount,
    CrowdPhone,
    CrowdVoter,
    SuspectCluster,
)


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
        "id_block",
        "client",
        "cluster",
    )


@admin.register(CrowdBallot)
class CrowdBallotAdmin(admin.ModelAdmin):
    list_display = ("pk", "station", "category", "tier", "choice", "counted", "held", "created_at")
    list_filter = ("category", "tier", "counted", "held")
    readonly_fields = (
        "submission",
        "voter",
        "photo",
        "perceptual_hash",
        "spam_reasons",
        "tier",
        "held",
        "cluster",
    )


@admin.register(CrowdPhone)
class CrowdPhoneAdmin(admin.ModelAdmin):
    """Keyed hashes only; verified through the bot, never typed in."""

    list_display = ("phone_hash", "election", "voter", "created_at")
    readonly_fields = ("phone_hash", "election", "voter")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(SuspectCluster)
class SuspectClusterAdmin(admin.ModelAdmin):
    """Decided on the moderators' page (bulk decision, ledgered), not here."""

    list_display = ("pk", "contest", "signature", "status", "created_at")
    list_filter = ("status",)
    readonly_fields = ("contest", "signature", "reasons", "stats", "status")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ClusterDecision)
class ClusterDecisionAdmin(admin.ModelAdmin):
    list_display = ("pk", "cluster", "verdict", "ballots", "moderator", "created_at")
    readonly_fields = ("cluster", "verdict", "reason", "ballots", "moderator")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


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
