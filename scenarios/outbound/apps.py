from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutboundConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "scenarios.outbound"
    label = "outbound"
    verbose_name = _("Outbound campaigns")

    def ready(self) -> None:
        from scenarios.notifications import register_delivery_listener
        from scenarios.outbound.services import contact_delivery_heard

        # A channel that queued a campaign contact (WeChat's outbox) reports back through it.
        register_delivery_listener(contact_delivery_heard)
