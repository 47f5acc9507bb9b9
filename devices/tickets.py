"""Queue tickets: issuing (a number per branch, service and day), calling, the wait estimate.

Services change state and announce on commit: a called ticket is pushed as a `ticket.called`
frame to every hall screen of the branch (and to the dialogue session that issued it), so a
rolled-back call is never announced.
"""

from __future__ import annotations

import math
import zoneinfo
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from bank_ai.i18n import SUPPORTED, localised, normalise_language, pick
from devices.models import Branch, BranchService, Counter, Device, ServiceType, Ticket
from devices.push import push_to_device, push_to_session

HALL_SCREEN = Device.Kind.HALL_SCREEN


class TicketError(Exception):
    """A ticket request the queue cannot take; `code` names the reason for API clients."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class TicketQuote:
    """What the customer is told: people ahead, the estimate and what to bring."""

    waiting_ahead: int
    open_counters: int
    estimated_minutes: int
    materials: list[str]


def branch_today(branch: Branch) -> date:
    try:
        zone = zoneinfo.ZoneInfo(branch.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return timezone.now().astimezone(zone).date()


def _next_number(branch_service: BranchService, day: date) -> int:
    """One atomic upsert: the first ticket of the day creates the row, later ones bump it.

    `INSERT ... ON CONFLICT DO UPDATE` takes the row lock itself, so two kiosks issuing at the
    same moment are serialised by PostgreSQL and each gets its own number.
    """
    from devices.models import TicketSequence

    table = connection.ops.quote_name(TicketSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (branch_service_id, day, last_number) VALUES (%s, %s, 1) "  # noqa: S608 - the table name is ours
            f"ON CONFLICT (branch_service_id, day) "
            f"DO UPDATE SET last_number = {table}.last_number + 1 RETURNING last_number",
            [branch_service.pk, day],
        )
        return int(cursor.fetchone()[0])


@transaction.atomic
def ticket_issue(
    *,
    branch: Branch,
    service: ServiceType,
    language: str = "zh-hans",
    session_id: Any = None,
    device: Device | None = None,
) -> Ticket:
    if not branch.is_active:
        raise TicketError("branch_closed", f"branch {branch.code!r} is not active")
    branch_service = (
        BranchService.objects.select_related("service")
        .filter(branch=branch, service=service)
        .first()
    )
    if branch_service is None:
        raise TicketError(
            "service_not_offered", f"branch {branch.code!r} does not offer {service.code!r}"
        )
    day = branch_today(branch)
    number = _next_number(branch_service, day)
    return Ticket.objects.create(
        branch=branch,
        branch_service=branch_service,
        day=day,
        number=number,
        display=f"{branch_service.ticket_prefix}{number:03d}",
        language=normalise_language(language),
        session_id=session_id,
        issued_by=device,
    )


def open_counters_for(branch: Branch, service: ServiceType) -> int:
    return Counter.objects.filter(branch=branch, is_open=True, services=service).count()


def ticket_quote(ticket: Ticket, language: str | None = None) -> TicketQuote:
    """People waiting ahead × average minutes ÷ open counters serving the service."""
    branch_service = ticket.branch_service
    ahead = Ticket.objects.filter(
        branch_service=branch_service,
        day=ticket.day,
        status=Ticket.Status.WAITING,
        number__lt=ticket.number,
    ).count()
    counters = open_counters_for(ticket.branch, branch_service.service)
    minutes = math.ceil(ahead * branch_service.average_minutes / max(counters, 1))
    return TicketQuote(
        waiting_ahead=ahead,
        open_counters=counters,
        estimated_minutes=minutes,
        materials=list(pick(branch_service.service.materials, language or ticket.language, [])),
    )


def ticket_payload(ticket: Ticket, language: str | None = None) -> dict[str, Any]:
    """The ticket as the API and the `show_ticket` UI action describe it."""
    language = normalise_language(language or ticket.language)
    quote = ticket_quote(ticket, language)
    return {
        "id": ticket.pk,
        "number": ticket.display,
        "service": localised(ticket.branch_service.service, "name", language),
        "service_code": ticket.branch_service.service.code,
        "branch": ticket.branch.name(language),
        "branch_code": ticket.branch.code,
        "status": ticket.status,
        "waiting_ahead": quote.waiting_ahead,
        "open_counters": quote.open_counters,
        "estimated_minutes": quote.estimated_minutes,
        "materials": quote.materials,
        "issued_at": ticket.issued_at.isoformat(),
    }


def _open_ticket_at(counter: Counter) -> Ticket | None:
    return Ticket.objects.filter(
        counter=counter, status=Ticket.Status.CALLED, day=branch_today(counter.branch)
    ).first()


@transaction.atomic
def ticket_call_next(*, counter: Counter, user: Any = None) -> Ticket | None:
    """Call the longest-waiting ticket of any service the counter serves (None: nobody waits).

    The counter row is locked so one counter never calls twice at once, and waiting tickets are
    taken with SKIP LOCKED so two counters calling together get different customers.
    """
    counter = Counter.objects.select_for_update().select_related("branch").get(pk=counter.pk)
    if not counter.is_open:
        raise TicketError("counter_closed", f"counter {counter.number} is closed")
    current = _open_ticket_at(counter)
    if current is not None:
        raise TicketError(
            "counter_busy",
            f"counter {counter.number} is still serving {current.display}: "
            "mark it served or no-show first",
        )
    ticket = (
        Ticket.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("branch_service__service", "branch")
        .filter(
            branch=counter.branch,
            day=branch_today(counter.branch),
            status=Ticket.Status.WAITING,
            branch_service__service__in=counter.services.all(),
        )
        .order_by("issued_at", "id")
        .first()
    )
    if ticket is None:
        return None
    ticket.status = Ticket.Status.CALLED
    ticket.counter = counter
    ticket.called_at = timezone.now()
    ticket.call_count = 1
    ticket.called_by = user if getattr(user, "pk", None) else None
    ticket.save(update_fields=["status", "counter", "called_at", "call_count", "called_by"])
    _announce(ticket, recall=False)
    return ticket


def _locked(ticket: Ticket) -> Ticket:
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("branch", "branch_service__service", "counter")
        .get(pk=ticket.pk)
    )


@transaction.atomic
def ticket_recall(*, ticket: Ticket, user: Any = None) -> Ticket:
    ticket = _locked(ticket)
    if ticket.status != Ticket.Status.CALLED:
        raise TicketError("not_called", f"{ticket.display} is {ticket.status}, not called")
    ticket.call_count += 1
    ticket.save(update_fields=["call_count"])
    _announce(ticket, recall=True)
    return ticket


@transaction.atomic
def ticket_finish(*, ticket: Ticket, outcome: str, user: Any = None) -> Ticket:
    """Close a called ticket as served or no-show."""
    if outcome not in {Ticket.Status.SERVED, Ticket.Status.NO_SHOW}:
        raise TicketError("invalid_outcome", f"outcome must be served or no_show, not {outcome!r}")
    ticket = _locked(ticket)
    if ticket.status != Ticket.Status.CALLED:
        raise TicketError("not_called", f"{ticket.display} is {ticket.status}, not called")
    ticket.status = outcome
    ticket.finished_at = timezone.now()
    ticket.save(update_fields=["status", "finished_at"])
    return ticket


@transaction.atomic
def ticket_cancel(*, ticket: Ticket) -> Ticket:
    """The customer gives up the ticket before being called."""
    ticket = _locked(ticket)
    if ticket.status != Ticket.Status.WAITING:
        raise TicketError("not_waiting", f"{ticket.display} is {ticket.status}, not waiting")
    ticket.status = Ticket.Status.CANCELLED
    ticket.finished_at = timezone.now()
    ticket.save(update_fields=["status", "finished_at"])
    return ticket


def announcement(ticket: Ticket, language: str) -> str:
    with translation.override(language):
        return _("Ticket %(number)s, please go to counter %(counter)s.") % {
            "number": ticket.display,
            "counter": ticket.counter.number,
        }


def _announce(ticket: Ticket, *, recall: bool) -> None:
    counter = ticket.counter
    service = ticket.branch_service.service
    frame = {
        "type": "ticket.called",
        "ticket": ticket.pk,
        "number": ticket.display,
        "counter": counter.number,
        "counter_name": {lang: localised(counter, "name", lang) for lang in SUPPORTED},
        "service": {lang: localised(service, "name", lang) for lang in SUPPORTED},
        "branch": ticket.branch.code,
        "recall": recall,
        "times_called": ticket.call_count,
        "announcement": {lang: announcement(ticket, lang) for lang in SUPPORTED},
        "called_at": (ticket.called_at or timezone.now()).isoformat(),
    }
    screens = Device.objects.filter(branch=ticket.branch, kind=HALL_SCREEN, is_active=True)
    for device_id in screens.values_list("pk", flat=True):
        push_to_device(device_id, frame)
    if ticket.session_id and _session_exists(ticket.session_id):
        # The customer's own kiosk or app conversation hears its number being called too.
        push_to_session(ticket.session_id, frame)


def _session_exists(session_id: Any) -> bool:
    from scenarios.models import DialogueSession

    return DialogueSession.objects.filter(pk=session_id).exists()


def queue_overview(branch: Branch, language: str | None = None) -> list[dict[str, Any]]:
    """Per service today: how many wait, the next number, open counters and the estimate."""
    day = branch_today(branch)
    rows = []
    for branch_service in BranchService.objects.filter(branch=branch).select_related("service"):
        waiting = list(
            Ticket.objects.filter(
                branch_service=branch_service, day=day, status=Ticket.Status.WAITING
            )
            .order_by("number")
            .values_list("display", flat=True)
        )
        counters = open_counters_for(branch, branch_service.service)
        rows.append(
            {
                "service_code": branch_service.service.code,
                "service": localised(branch_service.service, "name", language),
                "prefix": branch_service.ticket_prefix,
                "waiting": len(waiting),
                "next": waiting[0] if waiting else None,
                "waiting_numbers": waiting[:20],
                "open_counters": counters,
                "estimated_minutes": math.ceil(
                    len(waiting) * branch_service.average_minutes / max(counters, 1)
                ),
            }
        )
    return rows
