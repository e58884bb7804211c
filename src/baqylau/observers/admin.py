"""Admin of the observer network. Writes go through the audited services (`observers.services`):
an observer's personal data is typed into real fields and stored encrypted, never shown back;
memberships and placements are created and removed by their services."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from baqylau.observers import services
from baqylau.observers.models import (
    Assignment,
    AuditEvent,
    Coalition,
    Membership,
    Observer,
    Organisation,
    RegionTarget,
    StationTarget,
)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("code", "name_ru", "kind")
    search_fields = ("code", "name_kk", "name_ru", "name_en")


@admin.register(Coalition)
class CoalitionAdmin(admin.ModelAdmin):
    list_display = ("code", "name_ru")
    filter_horizontal = ("organisations",)


class ObserverForm(forms.ModelForm):
    """Name, phone and document are typed here and saved encrypted; blank keeps what is stored
    (they are never displayed back: identity is read through the coordinators' pages, by scope)."""

    name = forms.CharField(label=_("name"), required=False, max_length=300)
    phone = forms.CharField(label=_("phone"), required=False, max_length=40)
    document = forms.CharField(label=_("identity document"), required=False, max_length=200)

    class Meta:
        model = Observer
        fields = (
            "organisation",
            "accreditation_body_kind",
            "accreditation_body_name",
            "accreditation_number",
            "accreditation_date",
            "training",
            "languages",
            "language",
            "availability",
            "consent_lawyers",
            "active",
        )


@admin.register(Observer)
class ObserverAdmin(admin.ModelAdmin):
    form = ObserverForm
    list_display = ("public_id", "organisation", "training", "language", "active")
    list_filter = ("organisation", "training", "active")
    search_fields = ("public_id", "accreditation_number")
    readonly_fields = ("public_id",)

    def save_model(self, request, obj, form, change) -> None:
        data = {
            key: value
            for key, value in form.cleaned_data.items()
            if key not in ("name", "phone", "document", "organisation")
        }
        data |= {
            k: form.cleaned_data[k] for k in ("name", "phone", "document") if form.cleaned_data[k]
        }
        if change:
            saved = services.update_observer(observer=obj, actor=request.user, **data)
        else:
            saved = services.create_observer(
                organisation=form.cleaned_data["organisation"], actor=request.user, **data
            )
        obj.pk, obj.public_id = saved.pk, saved.public_id


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ("user", "organisation", "role", "region", "observer")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    form = MembershipForm
    list_display = ("user", "organisation", "role", "region", "observer")
    list_filter = ("role", "organisation")
    raw_id_fields = ("region", "observer")

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a membership is given or taken back, never edited in place

    def save_model(self, request, obj, form, change) -> None:
        try:
            saved = services.add_membership(actor=request.user, **form.cleaned_data)
        except services.ServiceError as exc:
            raise ValidationError(str(exc)) from exc
        obj.pk = saved.pk


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("observer", "station", "shift", "organisation", "election")
    list_filter = ("shift", "organisation", "election")
    raw_id_fields = ("station", "observer")
    fields = ("observer", "station", "shift")

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # placed or removed, never moved in place (the audit trail says which)

    def save_model(self, request, obj, form, change) -> None:
        try:
            saved = services.assign_observer(
                observer=form.cleaned_data["observer"],
                station=form.cleaned_data["station"],
                shift=form.cleaned_data["shift"],
                actor=request.user,
            )
        except services.ServiceError as exc:
            raise ValidationError(str(exc)) from exc
        obj.pk = saved.pk

    def delete_model(self, request, obj) -> None:
        services.remove_assignment(assignment=obj, actor=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for assignment in queryset:
            services.remove_assignment(assignment=assignment, actor=request.user)


@admin.register(StationTarget)
class StationTargetAdmin(admin.ModelAdmin):
    list_display = ("station", "shift", "observers")
    raw_id_fields = ("station",)

    def save_model(self, request, obj, form, change) -> None:
        saved = services.set_station_target(
            station=form.cleaned_data["station"],
            shift=form.cleaned_data["shift"],
            observers=form.cleaned_data["observers"],
            actor=request.user,
        )
        obj.pk = saved.pk


admin.site.register(RegionTarget, raw_id_fields=("region",))


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "actor", "actor_label", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
