"""Reads of branches, service types, counters and queue tickets (the domain's, for any layer)."""

from __future__ import annotations

import math
import zoneinfo
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from bank_ai.i18n import localised, normalise_language, pick
from scenarios.branches.models import Branch, BranchService, Counter, ServiceType, Ticket


@dataclass(frozen=True)
class TicketQuote:
    """What the customer is told: people ahead, the estimate and what to bring."""

    waiting_ahead: int
    open_counters: int
    estimated_minutes: int
    materials: list[str]


def branch_today(branch: Branch) -> date:
    """Today in the branch's own time zone (tickets are numbered per branch day)."""
    try:
        zone = zoneinfo.ZoneInfo(branch.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return timezone.now().astimezone(zone).date()


def active_branch_by_code(code: str | None) -> Branch | None:
    return Branch.objects.filter(code=code, is_active=True).first() if code else None


def branch_by_code(code: str | None) -> Branch | None:
    return Branch.objects.filter(code=code).first() if code else None


def active_branches() -> QuerySet[Branch]:
    return Branch.objects.filter(is_active=True)


def service_type_by_code(code: str | None) -> ServiceType | None:
    return ServiceType.objects.filter(code=code).first() if code else None


def service_types_offered(branch: Branch | None) -> list[ServiceType]:
    """The branch's service types by code (every service type when no branch is known)."""
    services = ServiceType.objects.all()
    if branch is not None:
        services = services.filter(branches__branch=branch)
    return list(services.order_by("code"))


def service_types_except(service: ServiceType) -> QuerySet[ServiceType]:
    return ServiceType.objects.exclude(pk=service.pk)


def counter_by_id(counter_id: Any) -> Counter | None:
    return Counter.objects.select_related("branch").filter(pk=counter_id).first()


def open_counters_for(branch: Branch, service: ServiceType) -> int:
    return Counter.objects.filter(branch=branch, is_open=True, services=service).count()


def tickets_with_details() -> QuerySet[Ticket]:
    return Ticket.objects.select_related("branch", "branch_service__service")


def ticket_being_served_at(counter: Counter) -> Ticket | None:
    """The ticket the counter called today and has not closed yet."""
    return (
        Ticket.objects.select_related("branch_service__service")
        .filter(counter=counter, status=Ticket.Status.CALLED, day=branch_today(counter.branch))
        .first()
    )


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


def announcement(ticket: Ticket, language: str) -> str:
    """What the hall says when the ticket is called to its counter."""
    with translation.override(language):
        return _("Ticket %(number)s, please go to counter %(counter)s.") % {
            "number": ticket.display,
            "counter": ticket.counter.number if ticket.counter else "",
        }


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
