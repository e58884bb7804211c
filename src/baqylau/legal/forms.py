from django import forms
from django.utils.translation import gettext_lazy as _

from baqylau.iin import is_valid_iin
from baqylau.legal.models import CASE_KINDS, Case, CaseEvent


class CaseForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=[(k.value, k.label) for k in CASE_KINDS])
    # language names in the page's language (the model's choices are native names)
    language = forms.ChoiceField(
        label=_("Language of the document"),
        choices=[("kk", _("Kazakh")), ("ru", _("Russian")), ("en", _("English"))],
    )
    decision_date = forms.DateField(
        label=_("Date of the decision or act appealed"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_(
            "The 10-day period runs from this date (default: the day of the first incident)."
        ),
    )
    addressee = forms.CharField(
        label=_("Addressed to"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    respondent = forms.CharField(
        label=_("Respondent (commission)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    reveal_identities = forms.BooleanField(
        label=_("Name the observers who consented (otherwise by pseudonym)"), required=False
    )


class EventForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Case.Status.choices[1:])
    on = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    reference = forms.CharField(label=_("Reference number"), required=False, max_length=100)
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=CaseEvent.Outcome.choices, required=False
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    document = forms.FileField(label=_("Decision document"), required=False)


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=300)
    iin = forms.CharField(
        label=_("IIN (individual identification number)"), max_length=20, required=False
    )
    address = forms.CharField(label=_("Address"), max_length=500, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)

    def clean_iin(self) -> str:
        value = "".join(self.cleaned_data.get("iin", "").split())
        if value and not is_valid_iin(value):
            raise forms.ValidationError(
                _("An IIN has 12 digits and a valid check digit; check the number.")
            )
        return value
