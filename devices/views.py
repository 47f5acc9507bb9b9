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
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from bank_ai.i18n import normalise_language
from devices import conf
from devices.broadcasts import broadcasts_for_device
from devices.menus import LAYOUT_KINDS, demo_customers, device_menu
from devices.models import Device
from devices.services import pairing_allowed, pairing_ticket_issue

LAYOUTS = {
    Device.Kind.HALL_SCREEN: "hall",
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
    "called": _("Now serving %(number)s at counter %(counter)s"),
    "choose": _("Tell me more about this card"),
    "yes": _("Yes, that's right"),
    "no": _("No, let me correct it"),
    "error": _("Something went wrong"),
    "new_session": _("Started a new conversation."),
    "slots_scenarios": _("Uses"),
    "slots_annual_income": _("Annual income"),
    "slots_fee_tolerance": _("Annual fee"),
    "slots_is_student": _("Student"),
    "sign_in_first": _("Sign in as a customer first"),
    "nothing_on_air": _("Nothing is being broadcast on this screen right now."),
    "notification": _("Message in your app inbox"),
    "handoff_started": _("A colleague has joined the conversation."),
    "handoff_ended": _("The colleague has handed you back to the digital teller."),
    "handoff_waiting": _("Waiting for a colleague…"),
    "handoff_agent": _("A colleague is answering."),
    "attempt": _("Attempt"),
    "step_failed": _("It did not work"),
    "guide_done": _("All steps done"),
    "app_page": _("In the app"),
    "highlight": _("On the machine"),
    "page_credit_cards": _("Open Cards in the app"),
    "page_activate_card": _("Open Activate card"),
    "page_activate_card_verify": _("Verify your identity"),
    "page_activate_card_pin": _("Set your card PIN"),
    "part_card_reader": _("The card reader lights up: insert your card"),
    "part_id_reader": _("The ID reader lights up: place your ID card"),
    "part_camera": _("Look into the camera"),
    "part_pin_pad": _("Use the PIN pad"),
    "device_insert_card": _("Insert your card into the reader"),
    "device_scan_id": _("Place your ID card on the reader"),
    "device_face_verify": _("Look into the camera"),
    "device_enter_pin": _("Enter your PIN on the PIN pad"),
    "device_select_option": _("Choose on the screen"),
    "device_enter_payee": _("Enter the payee on the screen"),
    "device_confirm_amount": _("Check the amount on the screen"),
    "device_enter_text": _("Type on the screen"),
    "device_enter_code": _("Enter the code from the text message"),
    "device_print": _("Take your printout"),
    "choose_one": _("Please choose"),
    "choose_any": _("Choose any you want (or none)"),
    "confirm_choice": _("Confirm my choice"),
    "fee": _("Fee RMB"),
    "free": _("Free"),
    "is_resolved": _("Is your problem solved?"),
    "is_this_it": _("Is this what you meant?"),
    "resolved": _("Yes, solved"),
    "unresolved": _("No, still not working"),
    "rate": _("How satisfied are you with this service?"),
    "stars": _("%(n)s of %(max)s stars"),
    "skip": _("Skip"),
    "open_in_app": _("Open in the app"),
    "requirements": _("What you need"),
    "materials": _("Materials"),
    "steps": _("Steps"),
    "channels": _("Where"),
    "timeline": _("How long"),
    "upload_title": _("Upload your documents"),
    "accepted": _("Accepted:"),
    "optional": _("optional"),
    "choose_file": _("Choose a file"),
    "valid_until": _("Valid until"),
    "upload": _("Upload"),
    "uploading": _("Uploading…"),
    "upload_failed": _("Upload failed"),
    "too_large": _("This file is too large."),
    "need_valid_until": _("Enter the date the document is valid until."),
    "doc_missing": _("Missing"),
    "doc_received": _("Received"),
    "doc_expired": _("Expired"),
    "doc_undated": _("Validity date needed"),
    "doc_optional": _("Optional"),
    "precheck_ok": _("Pre-check passed: all documents are complete and valid."),
    "precheck_not_yet": _("Pre-check: not complete yet."),
    "pre_missing": _("Missing"),
    "pre_expired": _("Expired"),
    "pre_undated": _("Validity date needed"),
    "disclosure_title": _("Risk and fee disclosure"),
    "version": _("Version"),
    "acknowledge_label": _("I have read and understood the disclosure above."),
    "acknowledge": _("I acknowledge"),
    "confirm_application": _("Your application"),
    "card": _("Card"),
    "services": _("Value-added services"),
    "none": _("None"),
    "submit_application": _("Submit the application"),
    "application": _("Application"),
    "status": _("Status"),
    "status_submitted": _("Submitted"),
    "spending": _("Spending by category"),
    "total": _("Total RMB"),
    "benefits": _("Benefits for you"),
    "campaigns": _("Current offers"),
    "instalments": _("Instalment options"),
    "kind_purchase": _("Purchase"),
    "kind_statement": _("Statement"),
    "periods": _("%(n)s months"),
    "ask_purchase_instalment": _("Split the %(amount)s purchase over %(n)s months"),
    "ask_statement_instalment": _("Split the statement over %(n)s months"),
    "quote": _("Instalment quote"),
    "q_principal": _("Amount (RMB)"),
    "q_periods": _("Months"),
    "q_monthly_fee_rate": _("Monthly fee rate"),
    "q_total_fee": _("Total fee (RMB)"),
    "q_annualised_rate": _("Annualised rate"),
    "s_n": _("Month"),
    "s_principal": _("Principal"),
    "s_fee": _("Fee"),
    "s_payment": _("Payment"),
    "repayment": _("Repayment choices"),
    "r_code": _("Choice"),
    "r_pay_by_due_date": _("Pay by the due date"),
    "r_interest": _("Interest"),
    "r_fees": _("Fees"),
    "r_unpaid_after": _("Still owed after"),
    "plan_full": _("Pay in full"),
    "plan_minimum": _("Minimum payment"),
    "plan_instalment": _("Instalments"),
    "reminder": _("Repayment reminder set"),
    "channel_app": _("in the app"),
    "channel_sms": _("by text message"),
    # What a tap (a ui.event) is shown as in the transcript.
    "event_confirm": _("Yes"),
    "event_reject": _("No"),
    "event_submit": _("Sent the form"),
    "event_choose_card": _("Chose a card"),
    "event_documents_uploaded": _("Uploaded the documents"),
    "event_choose_services": _("Chose the services"),
    "event_acknowledge_disclosure": _("Acknowledged the disclosure"),
    "event_submit_application": _("Submitted the application"),
    "event_guide_step_done": _("Done"),
    "event_fail": _("It did not work"),
    "event_choose": _("Chose an option"),
    "event_choose_service": _("Chose a service"),
    "event_choose_guide": _("Chose a guide"),
    "event_resolved": _("Yes, solved"),
    "event_unresolved": _("No, still not working"),
    "event_rate": _("Rated the service"),
    "event_skip_rating": _("Skip"),
}


def _page(request: HttpRequest, *, layout: str, device: Device | None, pair: str) -> HttpResponse:
    language = normalise_language(get_language())
    kind = device.kind if device else LAYOUT_KINDS.get(layout, Device.Kind.WEB)
    # Only a paired staff console lists demo customers: a token-only page has no staff user.
    may_identify = bool(device and pair and (device.capabilities or {}).get("customer_identity"))
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
                "kind": kind,
                "layout": layout,
                "language": language,
                # ?scenario= skips the menu (deep links from elsewhere); the menu otherwise.
                "scenario": request.GET.get("scenario", ""),
                "menu": device_menu(kind=kind, language=language),
                "customers": demo_customers() if may_identify else [],
                "broadcasts": broadcasts_for_device(device) if device else [],
                "idle_seconds": conf.client_idle_reset_seconds() if kind != "mobile_app" else 0,
                "large_text": kind == Device.Kind.HALL_SCREEN,
                "csrf": get_token(request),
                "api": "/api/",
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
