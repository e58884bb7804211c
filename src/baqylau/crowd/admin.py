from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from baqylau.crowd.models import (
    ClusterDecision,
    CrowdBallot,
    CrowdCount,
    CrowdPhone,
    CrowdVoter,
    SampleBallot,
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
    list_display = (
        "pk",
        "station",
        "category",
        "tier",
        "choice",
        "counted",
        "held",
        "photo_match",
        "photo_choice_agrees",
        "photo_shared",
        "created_at",
    )
    list_filter = (
        "category",
        "tier",
        "counted",
        "held",
        "photo_match",
        "photo_choice_agrees",
        "photo_shared",
    )
    readonly_fields = (
        "submission",
        "voter",
        "photo",
        "perceptual_hash",
        "photo_hash",
        "duplicate_of",
        "photo_match",
        "photo_marked_choice",
        "photo_choice_agrees",
        "photo_shared",
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


class SampleBallotForm(forms.ModelForm):
    upload = forms.ImageField(
        label=_("sample ballot (photo or scan)"),
        required=False,
        help_text=_("The official sample ballot of this contest, straight and whole."),
    )

    class Meta:
        model = SampleBallot
        fields = ("contest", "boxes")

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk and not cleaned.get("upload"):
            self.add_error("upload", gettext("Upload the sample ballot."))
        return cleaned


@admin.register(SampleBallot)
class SampleBallotAdmin(admin.ModelAdmin):
    """Staff upload the sample ballot here; the service stores it as evidence and finds its boxes."""

    form = SampleBallotForm
    list_display = ("contest", "uploaded_by", "uploaded_at")
    readonly_fields = ("photo", "uploaded_by", "uploaded_at")

    def save_model(self, request, obj, form, change):
        from baqylau.crowd.services import sample_ballot_upload

        upload = form.cleaned_data.get("upload")
        if upload is None:
            super().save_model(request, obj, form, change)
            return
        saved = sample_ballot_upload(contest=obj.contest, data=upload.read(), user=request.user)
        obj.pk, obj.photo_id, obj.boxes = saved.pk, saved.photo_id, saved.boxes
        if not saved.boxes or any(b["choice"] is None for b in saved.boxes):
            messages.warning(
                request,
                gettext(
                    "The boxes of the choices were not all found on the sample ballot; "
                    "set them by hand, or voters' marks will not be checked."
                ),
            )
