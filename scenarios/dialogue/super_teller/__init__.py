"""The super teller on a VTM: locate the need, then guide step by step through a self-service
guide (flow `super_teller` and one flow per guide, e.g. `vtm_card_loss`)."""

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from scenarios.dialogue.super_teller import behaviours  # noqa: F401 - registers behaviours
from scenarios.dialogue.super_teller.kpis import KPIS
from scenarios.registry import Scenario, register_scenario


@register_scenario
class SuperTeller(Scenario):
    code = "super_teller"
    name = _("Super teller (VTM)")
    flow_file = Path(__file__).with_name("flows.json")
    kpis = KPIS
    texts = {"retry": behaviours.RETRY_LEAD, "failed": behaviours.FAILURE_LEAD}


__all__ = ["SuperTeller"]
