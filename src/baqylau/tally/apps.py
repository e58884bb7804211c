from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TallyConfig(AppConfig):
    name = "baqylau.tally"
    verbose_name = _("Tally")
