from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BranchesConfig(AppConfig):
    """The bank's branches, what they offer, their counters and queue tickets (domain data)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "scenarios.branches"
    label = "branches"
    verbose_name = _("Branches and queue tickets")
