from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "baqylau.jobs"
    verbose_name = _("background jobs")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Every app's jobs and schedule entries live in its `tasks` module.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("tasks")
