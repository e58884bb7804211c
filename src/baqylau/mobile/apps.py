from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MobileConfig(AppConfig):
    name = "baqylau.mobile"
    label = "mobile"
    verbose_name = _("Mobile groups")

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from baqylau import caches
        from baqylau.mobile import selectors
        from baqylau.mobile.models import Dispatch, MobileGroup
        from baqylau.observers.selectors import register_placement_source

        # A dispatched group may report from the station it was sent to, while the task is open.
        register_placement_source(selectors.dispatch_placements)
        from baqylau.mobile.services import link_reports
        from baqylau.reports.services import register_report_follow_up

        register_report_follow_up(link_reports)
        for model in (Dispatch, MobileGroup):
            for signal in (post_save, post_delete):
                signal.connect(
                    caches.invalidate, sender=model, weak=False, dispatch_uid=f"bq-cache-{model}"
                )
        m2m_changed.connect(
            caches.invalidate,
            sender=MobileGroup.members.through,
            weak=False,
            dispatch_uid="bq-cache-mobile-members",
        )
