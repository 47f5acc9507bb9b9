from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "scenarios.quality"
    label = "quality"
    verbose_name = _("Quality inspection")

    def ready(self) -> None:
        # A session that ends, or a takeover handed back, is queued for scoring.
        from scenarios.quality.hooks import subscribe_to_session_events

        subscribe_to_session_events()
