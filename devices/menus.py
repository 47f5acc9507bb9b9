"""What each kind of screen offers on its start menu.

The entries name flows (`scenarios.Flow` codes from the scenario registry's flow data); labels
come from the flow rows in the page's language, so renaming or deactivating a flow in the admin
changes the menus without touching a template. A few entries are not a flow of their own: the
hall's "what to bring" starts the hall flow with the customer's question already asked, and
"broadcasts" replays what the screen has on air.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from bank_ai.i18n import normalise_language
from devices.models import Device
from scenarios.models import Customer, Flow


@dataclass(frozen=True)
class MenuEntry:
    key: str
    flow: str = ""  # the Flow code the entry starts; empty for a screen-only entry
    label: str | Promise = ""  # overrides the flow's name
    hint: str | Promise = ""
    # The customer's opening words, sent as their first turn ({language: text}).
    ask: tuple[tuple[str, str | Promise], ...] = ()
    needs_customer: bool = False


BROADCASTS = "broadcasts"

DEVICE_MENUS: dict[str, tuple[MenuEntry, ...]] = {
    Device.Kind.HALL_SCREEN: (
        MenuEntry("card_quiz", "card_quiz", _("Which card suits me?"), _("Three quick questions")),
        MenuEntry("ticket", "branch_hall", _("Take a ticket"), _("Tell me what you came for")),
        MenuEntry(
            "materials",
            "branch_hall",
            _("What to bring"),
            _("Documents to have ready for your business"),
            ask=(("zh-hans", "办业务需要带什么材料？"), ("en", "What do I need to bring?")),
        ),
        MenuEntry(BROADCASTS, "", _("Broadcasts"), _("News, offers and fraud warnings")),
    ),
    Device.Kind.KIOSK: (
        MenuEntry("credit_card", "credit_card", hint=_("Find a card and apply")),
        MenuEntry("card_quiz", "card_quiz", _("Which card suits me?"), _("Three quick questions")),
        MenuEntry("card_activation", "card_activation", hint=_("Activate a card you received")),
        MenuEntry("ticket", "branch_hall", _("Take a ticket"), _("Queue for a counter")),
    ),
    Device.Kind.VTM: (
        MenuEntry("super_teller", "super_teller", _("Tell me what you need"), _("Any service")),
        MenuEntry("vtm_card_loss", "vtm_card_loss"),
        MenuEntry("vtm_balance_statement", "vtm_balance_statement"),
        MenuEntry("vtm_transfer", "vtm_transfer"),
        MenuEntry("vtm_password_reset", "vtm_password_reset"),
        MenuEntry("vtm_contact_update", "vtm_contact_update"),
        MenuEntry("card_activation", "card_activation"),
    ),
    Device.Kind.MOBILE_APP: (
        MenuEntry("credit_card", "credit_card", hint=_("Find a card and apply")),
        MenuEntry(
            "card_use",
            "card_use",
            hint=_("Bills, benefits, instalments, repayment"),
            needs_customer=True,
        ),
        MenuEntry("card_activation", "card_activation"),
        MenuEntry("pre_sales", "pre_sales", hint=_("How do I … in the app?")),
        MenuEntry("after_sales", "after_sales", hint=_("Something in the app does not work")),
    ),
    Device.Kind.WEB: (
        MenuEntry("credit_card", "credit_card", hint=_("Find a card and apply")),
        MenuEntry("card_quiz", "card_quiz", _("Which card suits me?"), _("Three quick questions")),
        MenuEntry("pre_sales", "pre_sales"),
        MenuEntry("after_sales", "after_sales"),
    ),
}

# A page opened without a device (a kiosk shell bringing its token) shows its layout's menu.
LAYOUT_KINDS = {
    "hall": Device.Kind.HALL_SCREEN,
    "kiosk": Device.Kind.KIOSK,
    "vtm": Device.Kind.VTM,
    "mobile": Device.Kind.MOBILE_APP,
}


def device_menu(*, kind: str, language: str) -> list[dict[str, Any]]:
    """The start menu of a screen of `kind`: entries whose flow is active, in order."""
    language = normalise_language(language)
    entries = DEVICE_MENUS.get(kind, DEVICE_MENUS[Device.Kind.WEB])
    codes = {entry.flow for entry in entries if entry.flow}
    flows = {flow.code: flow for flow in Flow.objects.filter(code__in=codes, is_active=True)}
    menu: list[dict[str, Any]] = []
    for entry in entries:
        flow = flows.get(entry.flow)
        if entry.flow and flow is None:
            continue  # switched off in the admin: not offered
        name = flow and (flow.name_en if language == "en" else flow.name_zh)
        menu.append(
            {
                "key": entry.key,
                "flow": entry.flow,
                "label": str(entry.label or name or entry.key),
                "hint": str(entry.hint),
                "ask": str(dict(entry.ask).get(language, "")),
                "needs_customer": entry.needs_customer or bool(flow and flow.requires_customer),
            }
        )
    return menu


def demo_customers(*, limit: int = 6) -> list[dict[str, str]]:
    """Customers holding a card, for the demo app page's sign-in (masked as the app shows them)."""
    customers = (
        Customer.objects.filter(cards__isnull=False).distinct().order_by("customer_no")[:limit]
    )
    return [
        {"customer_no": customer.customer_no, "name": customer.full_name} for customer in customers
    ]
