from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffAssistantConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "staff_assistant"
    verbose_name = _("Staff assistant")

    def ready(self) -> None:
        from bank_ai.ai.matcher_training import register_pair_source
        from staff_assistant.selectors import matcher_correction_pairs

        # Employees' verdicts on curated answers teach the question matcher.
        register_pair_source(matcher_correction_pairs)
