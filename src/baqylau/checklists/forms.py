"""Input forms of the checklist pages (checks of input only; rules are in the services)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from baqylau.checklists.models import ConfirmationCall, FlagDecision


class FlagDecisionForm(forms.Form):
    rule = forms.CharField(widget=forms.HiddenInput, max_length=64)
    verdict = forms.ChoiceField(
        choices=FlagDecision.Verdict.choices, widget=forms.RadioSelect, label=_("Decision")
    )
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label=_("Note"), max_length=2000
    )


class CallForm(forms.Form):
    outcome = forms.ChoiceField(choices=ConfirmationCall.Outcome.choices, label=_("Outcome"))
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label=_("Note"), max_length=2000
    )
