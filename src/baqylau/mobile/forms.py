from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class GroupForm(forms.Form):
    organisation = forms.ModelChoiceField(queryset=None, label=_("Organisation"))
    name = forms.CharField(label=_("Name of the group"), max_length=200)
    area = forms.ModelChoiceField(queryset=None, label=_("Area it covers"))
    members = forms.ModelMultipleChoiceField(
        queryset=None,
        label=_("Members (observers)"),
        widget=forms.CheckboxSelectMultiple,
        to_field_name="public_id",
    )
    lawyer_on_board = forms.BooleanField(label=_("A lawyer in the group"), required=False)

    def __init__(self, *args, organisations, areas, observers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        if organisations.count() == 1:
            self.fields["organisation"].initial = organisations.first()
        self.fields["area"].queryset = areas
        self.fields["area"].label_from_instance = lambda u: u.localized_name
        self.fields["members"].queryset = observers
        self.fields["members"].label_from_instance = lambda o: o.public_id


class DispatchForm(forms.Form):
    group = forms.TypedChoiceField(label=_("Mobile group"), coerce=int, widget=forms.RadioSelect)
    instructions = forms.CharField(
        label=_("Instructions"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [(g.pk, g.name) for g in groups if not g.busy]


class ReportForm(forms.Form):
    text = forms.CharField(
        label=_("What the group found"), widget=forms.Textarea(attrs={"rows": 4})
    )
    act = forms.FileField(
        label=_("Photo of the act of violation"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )
