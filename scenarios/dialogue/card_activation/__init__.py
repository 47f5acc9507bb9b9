"""Card activation, step by step in the app or at a machine with the avatar (flow
`card_activation`)."""

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from scenarios.dialogue.card_activation import behaviours  # noqa: F401 - registers behaviours
from scenarios.dialogue.card_activation.kpis import KPIS
from scenarios.registry import Scenario, register_scenario


@register_scenario
class CardActivation(Scenario):
    code = "card_activation"
    name = _("Card activation")
    flow_file = Path(__file__).with_name("flows.json")
    kpis = KPIS
    texts = behaviours.TEXT


__all__ = ["CardActivation"]
