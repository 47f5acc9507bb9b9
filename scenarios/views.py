"""Staff web pages of the scenarios app: the staff login and the remote-agent console."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from scenarios.agentrouting.selectors import agent_presence, inbox_for
from scenarios.takeover import can_take_over

# The one sign-in page for staff pages (the admin login admits admin users only).
STAFF_LOGIN = reverse_lazy("staff_assistant:login")


@login_required(login_url=STAFF_LOGIN)
def agent_console(request: HttpRequest) -> HttpResponse:
    if not can_take_over(request.user):
        raise PermissionDenied("remote agents only")
    return render(
        request,
        "scenarios/agent_console.html",
        {
            "sessions": inbox_for(request.user),
            "presence": agent_presence(request.user),
            "labels": _console_labels(),
        },
    )


def _console_labels() -> dict[str, object]:
    """The words the console's script shows, translated here (JSON-escaped by json_script)."""
    return {
        "states": {
            "waiting": _("waiting for an agent"),
            "agent": _("agent in control"),
            "active": _("AI in control"),
            "completed": _("completed"),
            "abandoned": _("abandoned"),
            "handed_over": _("handed over"),
        },
        "roles": {"customer": _("Customer"), "assistant": _("AI"), "agent": _("Agent")},
        "sentiments": {
            "negative": _("negative"),
            "neutral": _("neutral"),
            "positive": _("positive"),
        },
        "connected": _("Connected"),
        "disconnected": _("Disconnected, reconnecting…"),
        "no_sessions": _("No live sessions."),
        "reason": _("Reason"),
        "step": _("Step"),
        "agent": _("Agent"),
        "queue": _("Queue"),
        "routed_to": _("Routed to"),
        "transfer_from": _("Transfer offered to you"),
        "seconds": _("%(n)s s"),
        "minutes": _("%(n)s min"),
    }
