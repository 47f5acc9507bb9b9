from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OmniConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "devices.omni"
    label = "omni"
    verbose_name = _("Omnichannel adapters")

    def ready(self) -> None:
        # Delivery channels for reminders and outbound campaigns, and what an agent says in a
        # WeChat conversation (sent through the customer-service message API).
        from devices.omni import delivery, wechat

        delivery.register()
        wechat.subscribe_events()
