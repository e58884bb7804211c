from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "baqylau.reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        # The short-lived in-process caches of report intake (API token → user, user → observer,
        # observer → placements, the violation catalogue) are emptied, in every server process,
        # whenever what they hold is saved or deleted (`baqylau.caches`).
        from django.conf import settings
        from django.db.models.signals import post_delete, post_save

        from baqylau import caches
        from baqylau.accounts.auth import clear_token_cache
        from baqylau.observers.selectors import clear_observer_cache, clear_placements
        from baqylau.reports.services import clear_caches

        for clear in (clear_token_cache, clear_observer_cache, clear_placements, clear_caches):
            caches.register(clear)
        for model in (
            settings.AUTH_USER_MODEL,
            "accounts.ApiToken",
            "observers.Membership",
            "observers.Observer",
            "observers.Assignment",
            "elections.AdminUnit",
            "elections.Election",
            "reports.ViolationType",
        ):
            for signal in (post_save, post_delete):
                signal.connect(
                    caches.invalidate, sender=model, weak=False, dispatch_uid=f"bq-cache-{model}"
                )
