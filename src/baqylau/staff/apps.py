from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _

# Names the admin shows for apps and models of third-party packages that have no kk/ru (or no
# translatable) names of their own: (app label, model name or None, singular, plural).
THIRD_PARTY_NAMES = [
    ("axes", None, _("Lockouts after failed sign-ins"), None),
    ("django_tasks", None, _("Background tasks"), None),
    ("django_tasks_database", None, _("Background tasks"), None),
    ("django_tasks_database", "DBTaskResult", _("Task result"), _("Task results")),
    ("otp_totp", None, _("Two-factor authentication"), None),
    ("otp_totp", "TOTPDevice", _("TOTP device"), _("TOTP devices")),
]


class StaffConfig(AppConfig):
    name = "baqylau.staff"
    verbose_name = _("Staff")

    def ready(self) -> None:
        from django.contrib import admin

        # The admin's own header says "Django administration" (kk: "Даңғо әкімшілігі").
        admin.site.site_header = _("Baqylau administration")
        admin.site.site_title = _("Baqylau administration")
        for label, model, singular, plural in THIRD_PARTY_NAMES:
            try:
                config = apps.get_app_config(label)
            except LookupError:
                continue
            if model is None:
                config.verbose_name = singular
                continue
            try:
                meta = config.get_model(model)._meta
            except LookupError:
                continue
            meta.verbose_name, meta.verbose_name_plural = singular, plural
