from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrowdConfig(AppConfig):
    name = "baqylau.crowd"
    verbose_name = _("voters' exit poll (crowd)")
    default_auto_field = "django.db.models.BigAutoField"
