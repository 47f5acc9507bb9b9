"""Using a card: bill analysis, spending benefits, instalments, repayment plans and reminders
for an identified customer (flow `card_use`)."""

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from scenarios.dialogue.card_use import behaviours  # noqa: F401 - registers behaviours
from scenarios.dialogue.card_use.kpis import KPIS
from scenarios.registry import Scenario, register_scenario


@register_scenario
class CardUse(Scenario):
    code = "card_use"
    name = _("Using your card")
    flow_file = Path(__file__).with_name("flows.json")
    kpis = KPIS
    texts = behaviours.TEXT


__all__ = ["CardUse"]
