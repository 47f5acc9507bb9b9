"""The app's customer service: pre-sales and after-sales, served through the session API.

Pre-sales: describe → locate the business module → confirm → requirements and steps (from the
module's process guide, cited) → step-by-step guidance with deep links into the app →
satisfaction 1–5 with a comment. After-sales: describe the problem → locate and confirm →
knowledge answer with sources and related questions → resolved, or handed to a colleague →
satisfaction. The flows (steps, prompts, texts and the module catalogue with its deep links)
ship as data in `flows.json` (loaded into `Flow` / `FlowStep` by migration 0101 and
`flow_sync`); these modules register what the steps do.
Every outcome is a FunnelEvent; `app_service_kpis` reads completion, drop-off per step,
rating and handling time back.
"""

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from scenarios.dialogue.app_service import after_sales, closing, locate, pre_sales  # noqa: F401
from scenarios.dialogue.app_service.common import parse_rating
from scenarios.dialogue.app_service.kpis import KPIS, app_service_kpis
from scenarios.registry import Scenario, register_scenario


class AppServiceScenario(Scenario):
    """No slots: these flows work from the customer's description itself."""

    flow_file = Path(__file__).with_name("flows.json")
    kpis = KPIS


@register_scenario
class PreSales(AppServiceScenario):
    code = "pre_sales"
    name = _("App service: pre-sales")


@register_scenario
class AfterSales(AppServiceScenario):
    code = "after_sales"
    name = _("App service: after-sales")


__all__ = ["AfterSales", "PreSales", "app_service_kpis", "parse_rating"]
