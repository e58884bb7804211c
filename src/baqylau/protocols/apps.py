from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProtocolsConfig(AppConfig):
    name = "baqylau.protocols"
    verbose_name = _("Protocols")

    def ready(self) -> None:
        # An election's checks policy is cached by the intake (`policies`): a change empties it.
        from django.db.models.signals import post_delete, post_save

        from baqylau import caches

        for signal in (post_save, post_delete):
            signal.connect(
                caches.invalidate,
                sender="protocols.ElectionPolicy",
                weak=False,
                dispatch_uid="bq-cache-policy",
            )
