"""Queue tickets: issuing (a number per branch, service and day), calling, recalling, closing.

The only code that writes tickets. A call is told as the domain event `TicketCalled`
(`scenarios.events`); the channels subscribed to it (the hall screens and the customer's own
conversation in `devices`) announce it, on commit, so a rolled-back call is never announced.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from bank_ai.i18n import SUPPORTED, localised, normalise_language
from scenarios import events
from scenarios.branches.models import (
    Branch,
    BranchService,
    Counter,
    ServiceType,
    Ticket,
    TicketSequence,
)
from scenarios.branches.selectors import announcement, branch_today
from scenarios.models import DialogueSession


class TicketError(Exception):
    """A ticket request the queue cannot take; `code` names the reason for API clients."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _next_number(branch_service: BranchService, day: date) -> int:
    """One atomic upsert: the first ticket of the day creates the row, later ones bump it.

    `INSERT ... ON CONFLICT DO UPDATE` takes the row lock itself, so two kiosks issuing at the
    same moment are serialised by PostgreSQL and each gets its own number.
    """
    table = connection.ops.quote_name(TicketSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (branch_service_id, day, last_number) VALUES (%s, %s, 1) "  # noqa: S608 - the table name is ours
            f"ON CONFLICT (branch_service_id, day) "
            f"DO UPDATE SET last_number = {table}.last_number + 1 RETURNING last_number",
            [branch_service.pk, day],
        )
        row = cursor.fetchone()
        return int(row[0])


@transaction.atomic
def ticket_issue(
    *,
    branch: Branch,
    service: ServiceType,
    language: str = "zh-hans",
    session_id: Any = None,
    device: models.Model | None = None,
) -> Ticket:
    """A new waiting ticket; `device` is the touchpoint (a `touchpoints.Device`) that issued it."""
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
        issued_by_id=device.pk if device is not None else None,
    )


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
    _tell_called(ticket, recall=False)
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
    _tell_called(ticket, recall=True)
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


def _tell_called(ticket: Ticket, *, recall: bool) -> None:
    counter = ticket.counter
    assert counter is not None  # noqa: S101 - only called tickets are told, and they have one
    service = ticket.branch_service.service
    session_id = ticket.session_id
    if session_id and not DialogueSession.objects.filter(pk=session_id).exists():
        session_id = None
    events.emit(
        events.TicketCalled(
            ticket_id=ticket.pk,
            number=ticket.display,
            branch_id=ticket.branch_id,
            branch_code=ticket.branch.code,
            counter_number=counter.number,
            counter_name={lang: localised(counter, "name", lang) for lang in SUPPORTED},
            service_name={lang: localised(service, "name", lang) for lang in SUPPORTED},
            announcement={lang: announcement(ticket, lang) for lang in SUPPORTED},
            recall=recall,
            times_called=ticket.call_count,
            called_at=ticket.called_at or timezone.now(),
            session_id=session_id,
        )
    )
