from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScenariosConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "scenarios"
    verbose_name = _("Scenarios and customers")

    def ready(self) -> None:
        # Registers every scenario package (behaviours and the scenario registry that
        # `Flow.scenario` is validated against).
        import scenarios.dialogue  # noqa: F401
