from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChecklistsConfig(AppConfig):
    name = "baqylau.checklists"
    verbose_name = _("Checklists")
    default_auto_field = "django.db.models.BigAutoField"
