from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BankAiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "bank_ai"
    verbose_name = _("Platform")
