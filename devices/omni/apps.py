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
        from devices.omni import delivery, voice, webchat, wechat
        from scenarios.conversation import adapter_register

        delivery.register()
        wechat.subscribe_events()
        # The channels customers write in through (the avatar socket and the session API
        # register theirs in their own apps).
        adapter_register(wechat.WeChatAdapter())
        adapter_register(webchat.WebChatAdapter())
        adapter_register(voice.VoiceGatewayAdapter())
