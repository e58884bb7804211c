from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BotsConfig(AppConfig):
    name = "baqylau.bots"
    verbose_name = _("Telegram bots")
    default_auto_field = "django.db.models.BigAutoField"
