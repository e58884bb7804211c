"""Admin of the protocols app. Copies are evidence: shown, never edited here (moderators decide
in the moderation pages); an election's checks policy is saved through its service, which
refuses settings the engine does not know."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from baqylau.protocols import services
from baqylau.protocols.models import CopyLine, CopyVote, ElectionPolicy, ProtocolCopy


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class CopyLineInline(ReadOnlyInline):
    model = CopyLine


class CopyVoteInline(ReadOnlyInline):
    model = CopyVote


@admin.register(ProtocolCopy)
class ProtocolCopyAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "station",
        "contest",
        "received_at",
        "source",
        "checks",
        "moderation",
        "pages_received",
    ]
    list_filter = ["checks", "moderation", "source", "contest__election"]
    search_fields = ["station__code", "station__path", "source_ref", "submission__id"]
    date_hierarchy = "received_at"
    inlines = [CopyLineInline, CopyVoteInline]
    list_select_related = ["station", "contest"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ElectionPolicyForm(forms.ModelForm):
    class Meta:
        model = ElectionPolicy
        fields = ["election", "validation", "auto_accept_valid"]

    def clean(self):
        cleaned = super().clean()
        election, validation = cleaned.get("election"), cleaned.get("validation")
        if election is not None and validation is not None:
            try:
                services.election_policy_check(election=election, validation=validation)
            except ValueError as exc:
                raise ValidationError({"validation": _("%(problem)s") % {"problem": exc}}) from exc
        return cleaned


@admin.register(ElectionPolicy)
class ElectionPolicyAdmin(admin.ModelAdmin):
    form = ElectionPolicyForm
    list_display = ["election", "auto_accept_valid", "updated_at"]
    raw_id_fields = ["election"]

    def save_model(self, request, obj, form, change) -> None:
        saved = services.election_policy_set(
            election=form.cleaned_data["election"],
            validation=form.cleaned_data["validation"],
            auto_accept_valid=form.cleaned_data["auto_accept_valid"],
            actor=request.user,
        )
        obj.pk = saved.pk
