"""The counter page: branch staff call the next ticket, recall it, and close it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from scenarios.branches.models import Counter, Ticket
from scenarios.branches.selectors import (
    active_branches,
    counter_by_id,
    queue_overview,
    ticket_being_served_at,
)
from scenarios.branches.services import (
    TicketError,
    ticket_call_next,
    ticket_finish,
    ticket_recall,
)

STAFF_LOGIN = reverse_lazy("staff_assistant:login")
PERMISSION = "branches.change_ticket"


def _require_staff(request: HttpRequest) -> None:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied("branch staff only")


@login_required(login_url=STAFF_LOGIN)
def counter_page(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    counter_id = request.GET.get("counter") or request.session.get("counter_id")
    counter = counter_by_id(counter_id) if str(counter_id or "").isdigit() else None
    context: dict[str, object] = {
        "branches": active_branches().prefetch_related("counters"),
        "counter": counter,
    }
    if counter is not None:
        request.session["counter_id"] = counter.pk
        served = set(counter.services.values_list("code", flat=True))
        queue = queue_overview(counter.branch, request.LANGUAGE_CODE)
        for row in queue:
            row["served_here"] = row["service_code"] in served
        context.update(
            {
                "current": ticket_being_served_at(counter),
                "queue": queue,
                "waiting_here": sum(row["waiting"] for row in queue if row["served_here"]),
                "services": counter.services.all(),
            }
        )
    return render(request, "devices/counter.html", context)


@require_POST
@login_required(login_url=STAFF_LOGIN)
def counter_action(request: HttpRequest, counter_id: int) -> HttpResponse:
    _require_staff(request)
    counter = get_object_or_404(Counter, pk=counter_id)
    action = request.POST.get("action", "")
    ticket = None
    if action in {"recall", "served", "no_show"}:
        ticket = Ticket.objects.filter(pk=request.POST.get("ticket") or 0, counter=counter).first()
        if ticket is None:
            messages.error(request, _("That ticket is not at this counter."))
            return redirect(f"{reverse('counter-page')}?counter={counter.pk}")
    try:
        if action == "call_next":
            called = ticket_call_next(counter=counter, user=request.user)
            if called is None:
                messages.info(request, _("No one is waiting for this counter's services."))
            else:
                messages.success(request, _("Called %(number)s.") % {"number": called.display})
        elif action == "recall":
            ticket = ticket_recall(ticket=ticket, user=request.user)
            messages.success(request, _("Called %(number)s again.") % {"number": ticket.display})
        elif action in {"served", "no_show"}:
            ticket = ticket_finish(ticket=ticket, outcome=action, user=request.user)
            messages.success(
                request,
                _("%(number)s closed: %(status)s.")
                % {"number": ticket.display, "status": ticket.get_status_display()},
            )
        else:
            messages.error(request, _("Unknown action."))
    except TicketError as exc:
        messages.error(request, _ticket_message(exc))
    return redirect(f"{reverse('counter-page')}?counter={counter.pk}")


def _ticket_message(exc: TicketError) -> str:
    known = {
        "counter_busy": _("Finish the current ticket first (served or no show)."),
        "counter_closed": _("This counter is closed. Open it in the admin first."),
        "not_called": _("That ticket is no longer being called."),
    }
    return known.get(exc.code, str(exc))
