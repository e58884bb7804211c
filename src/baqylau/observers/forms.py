"""Forms of the observer-management pages: real fields, never raw JSON or raw ids."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from baqylau.elections.models import AdminUnit
from baqylau.observers.models import Observer, Shift

LANGUAGE_CHOICES = [("kk", "Қазақша"), ("ru", "Русский"), ("en", "English")]


class ImportForm(forms.Form):
    organisation = forms.ModelChoiceField(queryset=None, label=_("Organisation"))
    file = forms.FileField(
        label=_("Table of observers (CSV or XLSX)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        if organisations.count() == 1:
            self.fields["organisation"].initial = organisations.first()


class ObserverForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=300)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    document = forms.CharField(label=_("Identity document"), max_length=100, required=False)
    languages = forms.MultipleChoiceField(
        label=_("Languages spoken"),
        choices=LANGUAGE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    language = forms.ChoiceField(label=_("Language of replies"), choices=LANGUAGE_CHOICES)
    training = forms.ChoiceField(label=_("Training"), choices=Observer.Training.choices)
    availability = forms.MultipleChoiceField(
        label=_("Available shifts"),
        choices=Shift.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    accreditation_number = forms.CharField(
        label=_("Accreditation number"), max_length=64, required=False
    )
    consent_lawyers = forms.BooleanField(
        label=_("Consents to reveal identity to lawyers"), required=False
    )
    active = forms.BooleanField(label=_("Active"), required=False)

    def clean_phone(self) -> str:
        from baqylau.observers import crypto

        phone = self.cleaned_data["phone"].strip()
        if phone and not crypto.normalise_phone(phone):
            raise forms.ValidationError(_("Not a phone number."))
        return phone

    @classmethod
    def initial_for(cls, observer: Observer) -> dict:
        return {
            "name": observer.name,
            "phone": observer.phone,
            "document": observer.document,
            "languages": observer.languages,
            "language": observer.language,
            "training": observer.training,
            "availability": observer.availability,
            "accreditation_number": observer.accreditation_number,
            "consent_lawyers": observer.consent_lawyers,
            "active": observer.active,
        }


class PlaceForm(forms.Form):
    """One observer at one station for one shift."""

    station = forms.CharField(label=_("Polling station number"), max_length=64)
    shift = forms.ChoiceField(label=_("Shift"), choices=Shift.choices)

    def __init__(self, *args, election, **kwargs):
        super().__init__(*args, **kwargs)
        self.election = election

    def clean_station(self) -> AdminUnit:
        code = self.cleaned_data["station"].strip().lstrip("№").strip()
        found = AdminUnit.objects.filter(
            election=self.election, kind=AdminUnit.Kind.STATION
        ).filter(code=code) | AdminUnit.objects.filter(
            election=self.election, kind=AdminUnit.Kind.STATION, path=code
        )
        found = list(found[:2])
        if len(found) != 1:
            raise forms.ValidationError(_("No such polling station in this election."))
        return found[0]


class BulkPlaceForm(forms.Form):
    """Many observers at once: spread over a district's stations, or as a list."""

    shift = forms.ChoiceField(label=_("Shift"), choices=Shift.choices)
    district = forms.ModelChoiceField(queryset=None, label=_("District"), required=False)
    observers = forms.ModelMultipleChoiceField(
        queryset=None,
        label=_("Observers to spread over the district's stations"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        to_field_name="public_id",
    )
    listing = forms.CharField(
        label=_("Or a list: one observer id and station number per line"),
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "OBS-7F3K2 237"}),
        required=False,
    )

    def __init__(self, *args, districts, observers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = districts
        self.fields["district"].label_from_instance = lambda u: u.localized_name
        self.fields["observers"].queryset = observers
        self.fields["observers"].label_from_instance = lambda o: o.public_id

    def clean(self):
        data = super().clean()
        by_district = data.get("district") is not None and data.get("observers")
        if not by_district and not data.get("listing", "").strip():
            raise forms.ValidationError(
                _("Choose a district and observers, or write a list of observers and stations.")
            )
        return data


class TargetForm(forms.Form):
    district = forms.ModelChoiceField(queryset=None, label=_("District"), required=False)
    station = forms.CharField(
        label=_("Or one polling station (its number)"), max_length=64, required=False
    )
    observers = forms.TypedChoiceField(
        label=_("Observers wanted at each station"),
        choices=[(2, "2"), (3, "3")],
        coerce=int,
    )
    shift = forms.ChoiceField(
        label=_("Shift"),
        choices=[("", _("every shift"))] + list(Shift.choices),
        required=False,
    )

    def __init__(self, *args, districts, election, **kwargs):
        super().__init__(*args, **kwargs)
        self.election = election
        self.fields["district"].queryset = districts
        self.fields["district"].label_from_instance = lambda u: u.localized_name

    def clean_station(self) -> AdminUnit | None:
        code = self.cleaned_data["station"].strip().lstrip("№").strip()
        if not code:
            return None
        found = AdminUnit.objects.filter(
            election=self.election, kind=AdminUnit.Kind.STATION, code=code
        ).first()
        if found is None:
            raise forms.ValidationError(_("No such polling station in this election."))
        return found

    def clean(self):
        data = super().clean()
        if data.get("district") is None and data.get("station") is None:
            raise forms.ValidationError(_("Choose a district or a polling station."))
        return data
