from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ObserverAppConfig(AppConfig):
    name = "baqylau.observer_app"
    label = "observer_app"
    verbose_name = _("Observer app")
