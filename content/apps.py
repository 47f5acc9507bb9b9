from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "content"
    verbose_name = _("Knowledge")

    def ready(self) -> None:
        from bank_ai.ai.hooks import register_answer_listener
        from content.services import record_answer_hits

        # Every audited answer counts a hit on each page it cited (see content.selectors).
        register_answer_listener(record_answer_hits)
