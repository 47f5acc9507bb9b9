from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffAssistantConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "staff_assistant"
    verbose_name = _("Staff assistant")
