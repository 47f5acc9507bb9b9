"""Using a card: bill analysis, spending benefits, instalments, repayment plans and reminders
for an identified customer (flow `card_use`)."""

from django.utils.translation import gettext_lazy as _

from scenarios.dialogue.card_use import behaviours  # noqa: F401 - registers behaviours
from scenarios.registry import Scenario, register_scenario


@register_scenario
class CardUse(Scenario):
    code = "card_use"
    name = _("Using your card")


__all__ = ["CardUse"]
