"""Credit cards: needs → recommendation → choice → card details → application (documents and
their pre-check, value-added services, the risk and fee disclosure, submission, status).

Flows `credit_card` and `card_quiz` (the branch hall's quiz); behaviours in `behaviours` and
`application`; the funnel KPIs in `kpis`.
"""

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from scenarios.dialogue.credit_card import application, behaviours  # noqa: F401 - registers
from scenarios.dialogue.credit_card.behaviours import CreditCardScenario
from scenarios.dialogue.credit_card.kpis import KPIS, FunnelKpis, Ratio, funnel_kpis
from scenarios.registry import register_scenario


@register_scenario
class CreditCard(CreditCardScenario):
    code = "credit_card"
    name = _("Credit cards: recommendation and application")
    flow_file = Path(__file__).with_name("flows.json")
    kpis = KPIS
    texts = application.TEXT


__all__ = ["CreditCard", "FunnelKpis", "Ratio", "funnel_kpis"]
