"""Input forms of the moderation pages (input checks only; decisions are made by services)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from baqylau.moderation import selectors
from baqylau.moderation.models import Decision
from baqylau.protocols.models import ProtocolCopy


class QueueFilterForm(forms.Form):
    election = forms.ModelChoiceField(
        queryset=selectors.elections(), required=False, label=_("Election"), to_field_name="code"
    )
    moderation = forms.ChoiceField(
        choices=[("", _("all"))] + list(ProtocolCopy.Moderation.choices),
        required=False,
        initial=ProtocolCopy.Moderation.PENDING,
        label=_("Status"),
    )
    validation = forms.ChoiceField(
        choices=[("", _("all"))] + list(ProtocolCopy.Validation.choices),
        required=False,
        label=_("Checks"),
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
