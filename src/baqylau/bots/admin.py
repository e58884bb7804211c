from django.contrib import admin

from baqylau.bots.models import BotControl, BotUser, Broadcast, LinkCode, ObserverLink


@admin.register(BotControl)
class BotControlAdmin(admin.ModelAdmin):
    list_display = ("bot", "username", "intake_paused", "election", "contest", "updated_at")
    list_editable = ("intake_paused",)
    autocomplete_fields = ()


@admin.register(ObserverLink)
class ObserverLinkAdmin(admin.ModelAdmin):
    list_display = ("observer", "language", "active", "linked_at")
    list_filter = ("active", "language")
    readonly_fields = ("observer", "user_hash", "linked_at")
    exclude = ("chat_id_encrypted",)


@admin.register(LinkCode)
class LinkCodeAdmin(admin.ModelAdmin):
    list_display = ("observer", "created_at", "expires_at", "used_at", "created_by")
    readonly_fields = ("observer", "code_hash", "created_at", "expires_at", "used_at", "created_by")


@admin.register(BotUser)
class BotUserAdmin(admin.ModelAdmin):
    list_display = ("bot", "user_hash", "language", "messages", "first_seen", "last_seen")
    list_filter = ("bot", "language")


@admin.register(Broadcast)
class BroadcastAdmin(admin.ModelAdmin):
    list_display = ("created_at", "region", "recipients", "sent", "failed", "finished_at")
