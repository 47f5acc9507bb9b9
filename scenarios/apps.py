from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class ScenariosConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "scenarios"
    verbose_name = _("Scenarios and customers")

    def ready(self) -> None:
        # Registers every scenario package (behaviours and the scenario registry that
        # `Flow.scenario` is validated against).
        import scenarios.dialogue  # noqa: F401
        from scenarios.api.adapter import SessionApiAdapter
        from scenarios.conversation import adapter_register
        from scenarios.definitions import definitions_changed, watched_models
        from scenarios.models.watched import bulk_changed
        from scenarios.notifications import register_delivery_listener
        from scenarios.reminders import repayment_reminder_delivery_record

        # A channel that queued a repayment reminder (WeChat's outbox) reports back through it.
        register_delivery_listener(repayment_reminder_delivery_record)

        # The session API is one of the channels every customer message comes in through.
        adapter_register(SessionApiAdapter())

        # Any change to a row the turns keep per process makes every process reload it.
        for model in watched_models():
            post_save.connect(definitions_changed, sender=model, dispatch_uid=f"defs-{model}")
            post_delete.connect(definitions_changed, sender=model, dispatch_uid=f"defs-{model}-d")
            bulk_changed.connect(definitions_changed, sender=model, dispatch_uid=f"defs-{model}-b")
