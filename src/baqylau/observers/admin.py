from django.contrib import admin

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


@admin.register(Observer)
class ObserverAdmin(admin.ModelAdmin):
    """Only pseudonymous fields: identity is read through the coordinators' pages, by scope."""

    list_display = ("public_id", "organisation", "training", "language", "active")
    list_filter = ("organisation", "training", "active")
    search_fields = ("public_id", "accreditation_number")
    exclude = ("name_encrypted", "phone_encrypted", "document_encrypted", "phone_hash")
    readonly_fields = ("public_id",)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "organisation", "role", "region", "observer")
    list_filter = ("role", "organisation")
    raw_id_fields = ("region", "observer")


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("observer", "station", "shift", "organisation", "election")
    list_filter = ("shift", "organisation", "election")
    raw_id_fields = ("station", "observer")


admin.site.register(StationTarget, raw_id_fields=("station",))
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
