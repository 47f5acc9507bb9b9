"""Demo clients of the avatar protocol: hall screen / kiosk, VTM and mobile app pages.

A staff user allowed to view devices opens /devices/<name>/console/; the page gets a signed
pairing ticket and its socket then speaks as that device (devices.services.pairing_*). A real
kiosk shell can open /devices/client/<kind>/#token=dvt_… instead and authenticate with its
device token.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from bank_ai.i18n import normalise_language
from devices.models import Device
from devices.services import pairing_allowed, pairing_ticket_issue

LAYOUTS = {
    Device.Kind.HALL_SCREEN: "kiosk",
    Device.Kind.KIOSK: "kiosk",
    Device.Kind.VTM: "vtm",
    Device.Kind.MOBILE_APP: "mobile",
    Device.Kind.WEB: "mobile",
}

# What the page's script shows, translated here so the client stays free of language tables.
CLIENT_STRINGS = {
    "connecting": _("Connecting…"),
    "online": _("Online"),
    "offline": _("Offline — reconnecting…"),
    "refused": _("This screen is not authorised. Ask operations for a new device token."),
    "you": _("You"),
    "teller": _("Digital teller"),
    "agent": _("Bank colleague"),
    "sources": _("Sources"),
    "stored": _("Received"),
    "interrupted": _("Interrupted"),
    "compare": _("Compare"),
    "annual_fee": _("Annual fee (RMB)"),
    "fee_waiver": _("Fee waiver"),
    "interest_free_days": _("Interest-free days"),
    "credit_limit": _("Credit limit (RMB)"),
    "top_benefits": _("Top benefits"),
    "eligibility": _("Eligibility"),
    "documents": _("Documents"),
    "disclosures": _("Please note"),
    "summary": _("What I understood"),
    "ticket": _("Your queue ticket"),
    "waiting": _("people ahead of you"),
    "minutes": _("minutes estimated"),
    "bring": _("Please have ready"),
    "confirm": _("Done, next step"),
    "step": _("Step"),
    "submit": _("Submit"),
    "scan": _("Scan with the Harbour Bank app"),
    "related": _("You may also ask"),
    "handoff": _("Connecting you to a colleague…"),
    "called": _("Now serving"),
    "counter": _("Counter"),
    "choose": _("Tell me more about this card"),
    "yes": _("Yes, that's right"),
    "no": _("No, let me correct it"),
    "error": _("Something went wrong"),
    "new_session": _("Started a new conversation."),
    "slots_scenarios": _("Uses"),
    "slots_annual_income": _("Annual income"),
    "slots_fee_tolerance": _("Annual fee"),
    "slots_is_student": _("Student"),
}


def _page(request: HttpRequest, *, layout: str, device: Device | None, pair: str) -> HttpResponse:
    return render(
        request,
        f"devices/{layout}.html",
        {
            "layout": layout,
            "device": device,
            "client_strings": CLIENT_STRINGS,
            "client_config": {
                "pair": pair,
                "device": device.name if device else None,
                "kind": device.kind if device else layout,
                "layout": layout,
                "language": normalise_language(get_language()),
                "scenario": request.GET.get("scenario", "credit_card"),
                "path": "/ws/avatar/",
            },
        },
    )


@login_required
def device_list(request: HttpRequest) -> HttpResponse:
    if not pairing_allowed(user=request.user):
        raise PermissionDenied
    devices = Device.objects.filter(is_active=True).select_related("branch")
    return render(request, "devices/index.html", {"devices": devices, "layouts": LAYOUTS})


@login_required
def console(request: HttpRequest, name: str) -> HttpResponse:
    if not pairing_allowed(user=request.user):
        raise PermissionDenied
    device = get_object_or_404(Device, name=name, is_active=True)
    ticket = pairing_ticket_issue(device=device, user=request.user)
    return _page(request, layout=LAYOUTS[device.kind], device=device, pair=ticket)


def client(request: HttpRequest, layout: str) -> HttpResponse:
    """The same pages for a device that brings its own token in the URL fragment."""
    if layout not in set(LAYOUTS.values()):
        raise Http404
    return _page(request, layout=layout, device=None, pair="")
