"""Input forms of the moderation pages (input checks only; decisions are made by services)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from baqylau.crowd.models import ClusterDecision
from baqylau.moderation import selectors
from baqylau.moderation.models import Decision, IncidentDecision
from baqylau.protocols.models import ProtocolCopy
from baqylau.reports.models import Incident


class _ElectionRegionForm(forms.Form):
    election = forms.ModelChoiceField(
        queryset=selectors.elections(), required=False, label=_("Election"), to_field_name="code"
    )
    region = forms.IntegerField(required=False, widget=forms.Select, label=_("Region"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        election = None
        if self.is_bound:
            code = self.data.get("election")
            election = selectors.elections().filter(code=code).first() if code else None
        choices = [("", _("all"))] + [(u.pk, str(u)) for u in selectors.regions(election)]
        self.fields["region"].widget.choices = choices


class QueueFilterForm(_ElectionRegionForm):
    district = forms.IntegerField(required=False, widget=forms.Select, label=_("District"))
    moderation = forms.ChoiceField(
        choices=[("", _("all"))] + list(ProtocolCopy.Moderation.choices),
        required=False,
        initial=ProtocolCopy.Moderation.PENDING,
        label=_("Status"),
    )
    kind = forms.ChoiceField(
        choices=[
            ("", _("all")),
            ("failed", _("failed the checks")),
            ("conflict", _("copies disagree")),
            ("single", _("one copy")),
            ("other", _("the rest")),
        ],
        required=False,
        label=_("Problem"),
    )
    checks = forms.ChoiceField(
        choices=[("", _("all"))] + list(ProtocolCopy.Checks.choices),
        required=False,
        label=_("Checks"),
    )
    station = forms.CharField(
        required=False,
        max_length=32,
        label=_("Polling station number"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 8}),
    )
    field_order = ["election", "region", "district", "moderation", "kind", "checks", "station"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        region = None
        if self.is_bound and str(self.data.get("region", "")).isdigit():
            code = self.data.get("election")
            election = selectors.elections().filter(code=code).first() if code else None
            region = selectors.regions(election).filter(pk=int(self.data["region"])).first()
        choices = [("", _("all"))] + [(u.pk, str(u)) for u in selectors.districts(region)]
        self.fields["district"].widget.choices = choices


class DecisionForm(forms.Form):
    verdict = forms.ChoiceField(
        choices=Decision.Verdict.choices, widget=forms.RadioSelect, label=_("Decision")
    )
    reason = forms.ModelChoiceField(
        queryset=selectors.active_reasons(),
        required=False,
        to_field_name="code",
        label=_("Reason for rejecting"),
    )
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label=_("Note"), max_length=2000
    )

    def clean(self):
        data = super().clean()
        if data.get("verdict") == Decision.Verdict.REJECT and not data.get("reason"):
            self.add_error("reason", _("Choose the reason for rejecting the protocol."))
        return data


class BulkAcceptForm(forms.Form):
    copies = forms.TypedMultipleChoiceField(coerce=int, choices=(), label=_("Copies"))

    def __init__(self, *args, copy_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["copies"].choices = [(pk, pk) for pk in copy_ids]


class ConflictForm(forms.Form):
    value = forms.IntegerField(min_value=0, max_value=100_000_000, label=_("Value"))
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        label=_("Why this value (e.g. it is legible on the photo of page 2)"),
    )


class IncidentFilterForm(_ElectionRegionForm):
    moderation = forms.ChoiceField(
        choices=[("", _("all"))] + list(Incident.Moderation.choices),
        required=False,
        initial=Incident.Moderation.PENDING,
        label=_("Status"),
    )
    field_order = ["election", "region", "moderation"]


class IncidentDecisionForm(forms.Form):
    verdict = forms.ChoiceField(
        choices=IncidentDecision.Verdict.choices, widget=forms.RadioSelect, label=_("Decision")
    )
    reason = forms.ChoiceField(choices=IncidentDecision.Reason.choices, label=_("Reason"))
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label=_("Note"), max_length=2000
    )

    def clean(self):
        data = super().clean()
        if data.get("reason") == IncidentDecision.Reason.OTHER and not data.get("note", "").strip():
            self.add_error("note", _("Say why in the note."))
        return data


class CrowdGroupDecisionForm(forms.Form):
    verdict = forms.ChoiceField(
        choices=ClusterDecision.Verdict.choices, widget=forms.RadioSelect, label=_("Decision")
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        label=_("Why (it goes in the ledger)"),
    )
