from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BankAiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "bank_ai"
    verbose_name = _("Platform")

    def ready(self) -> None:
        from content.catalogue import register_card_catalogue
        from scenarios.catalogue import CardProductCatalogue

        # Knowledge and the scenarios sit side by side; the project wires one to the other.
        register_card_catalogue(CardProductCatalogue())
