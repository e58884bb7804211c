from django.contrib import admin

from baqylau.crowd.models import CrowdBallot, CrowdVoter


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
