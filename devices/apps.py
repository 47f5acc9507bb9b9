from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DevicesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "devices"
    verbose_name = _("Devices and branches")

    def ready(self) -> None:
        from content.studio.publishing import register_publisher
        from devices.avatar import AvatarSocketAdapter
        from devices.event_frames import subscribe_all
        from devices.studio_publisher import HallScreenPublisher
        from scenarios.conversation import adapter_register

        # The avatar socket is one of the channels every customer message comes in through.
        adapter_register(AvatarSocketAdapter())

        # What the domain tells (handoffs, agents' words, notifications) becomes frames here.
        subscribe_all()

        # The studio (content) publishes to hall screens through its registry only.
        register_publisher(HallScreenPublisher())
