from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TouchpointsConfig(AppConfig):
    """The bank's touchpoints: each device, which branch it stands in, what it can do (domain)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "scenarios.touchpoints"
    label = "touchpoints"
    verbose_name = _("Touchpoints")
