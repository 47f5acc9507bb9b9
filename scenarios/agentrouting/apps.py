from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgentRoutingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "scenarios.agentrouting"
    label = "agentrouting"
    verbose_name = _("Contact-centre routing")
