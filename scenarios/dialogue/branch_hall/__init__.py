"""The branch hall: what the customer came for, a queue ticket and what to prepare (flow
`branch_hall`)."""

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from scenarios.dialogue.branch_hall import behaviours  # noqa: F401 - registers behaviours
from scenarios.dialogue.branch_hall.kpis import KPIS
from scenarios.registry import Scenario, register_scenario


@register_scenario
class BranchHall(Scenario):
    code = "branch_hall"
    name = _("Branch hall")
    flow_file = Path(__file__).with_name("flows.json")
    kpis = KPIS


__all__ = ["BranchHall"]
