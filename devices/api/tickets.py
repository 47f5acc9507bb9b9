"""Queue tickets over REST: kiosks and apps issue them, counters call them.

A device issues tickets for its own branch; people need the ticket permissions of the branch
staff role. Errors carry a `code` beside the `detail`: 400 for bad input, 403 without the
right, 404 for unknown records, 409 when the queue's state does not allow the action.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bank_ai.i18n import SUPPORTED
from devices.api.authentication import DevicePrincipal
from scenarios.branches.models import Branch, Counter, Ticket
from scenarios.branches.selectors import (
    branch_by_code,
    queue_overview,
    service_type_by_code,
    ticket_payload,
    tickets_with_details,
)
from scenarios.branches.services import (
    TicketError,
    ticket_call_next,
    ticket_cancel,
    ticket_finish,
    ticket_issue,
    ticket_recall,
)

BAD_INPUT = {"service_not_offered", "invalid_outcome"}


class TicketIssueSerializer(serializers.Serializer):
    service = serializers.SlugField(max_length=40, help_text="service type code, e.g. cash")
    branch = serializers.SlugField(
        max_length=40, required=False, help_text="branch code; a device's own branch by default"
    )
    language = serializers.ChoiceField(choices=list(SUPPORTED), default="zh-hans")


TicketSchema = inline_serializer(
    "Ticket",
    {
        "id": serializers.IntegerField(),
        "number": serializers.CharField(),
        "service": serializers.CharField(),
        "service_code": serializers.CharField(),
        "branch": serializers.CharField(),
        "branch_code": serializers.CharField(),
        "status": serializers.CharField(),
        "waiting_ahead": serializers.IntegerField(),
        "open_counters": serializers.IntegerField(),
        "estimated_minutes": serializers.IntegerField(),
        "materials": serializers.ListField(child=serializers.CharField()),
        "issued_at": serializers.DateTimeField(),
    },
)


def _error(code: str, message: str, http_status: int) -> Response:
    return Response({"detail": message, "code": code}, status=http_status)


def _ticket_error(exc: TicketError) -> Response:
    http_status = status.HTTP_400_BAD_REQUEST if exc.code in BAD_INPUT else status.HTTP_409_CONFLICT
    return _error(exc.code, str(exc), http_status)


def _device(request: Request):  # noqa: ANN202 - Device | None
    return request.user.device if isinstance(request.user, DevicePrincipal) else None


def _may(request: Request, perm: str) -> bool:
    return not isinstance(request.user, DevicePrincipal) and request.user.has_perm(perm)


def _visible_tickets(request: Request):  # noqa: ANN202 - QuerySet[Ticket]
    tickets = tickets_with_details()
    device = _device(request)
    if device is not None:
        return tickets.filter(branch_id=device.branch_id) if device.branch_id else tickets.none()
    if request.user.has_perm("branches.view_ticket"):
        return tickets
    return tickets.none()


class TicketListView(APIView):
    error_statuses = {409}  # the queue's state (e.g. the service is closed today)

    @extend_schema(request=TicketIssueSerializer, responses={201: TicketSchema})
    def post(self, request: Request) -> Response:
        data = TicketIssueSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        device = _device(request)
        branch_code = data.validated_data.get("branch")
        if device is not None:
            if device.branch is None:
                return _error(
                    "no_branch", "this device belongs to no branch; it cannot issue tickets", 400
                )
            if branch_code and branch_code != device.branch.code:
                return _error("wrong_branch", "a device issues tickets for its own branch", 400)
            branch = device.branch
        else:
            if not _may(request, "branches.add_ticket"):
                return _error("forbidden", "you may not issue tickets", 403)
            if not branch_code:
                return _error("branch_required", "name the branch ('branch': code)", 400)
            branch = branch_by_code(branch_code)
            if branch is None:
                return _error("unknown_branch", f"no branch {branch_code!r}", 400)
        service = service_type_by_code(data.validated_data["service"])
        if service is None:
            return _error(
                "unknown_service", f"no service type {data.validated_data['service']!r}", 400
            )
        language = data.validated_data["language"]
        try:
            ticket = ticket_issue(branch=branch, service=service, language=language, device=device)
        except TicketError as exc:
            return _ticket_error(exc)
        return Response(ticket_payload(ticket, language), status=status.HTTP_201_CREATED)


class TicketDetailView(APIView):
    @extend_schema(responses=TicketSchema)
    def get(self, request: Request, ticket_id: int) -> Response:
        ticket = get_object_or_404(_visible_tickets(request), pk=ticket_id)
        return Response(ticket_payload(ticket, request.query_params.get("language")))


class TicketCancelView(APIView):
    """The customer gives the ticket up (from the kiosk or app that issued it)."""

    error_statuses = {409}  # called or finished already

    @extend_schema(request=None, responses=TicketSchema)
    def post(self, request: Request, ticket_id: int) -> Response:
        ticket = get_object_or_404(_visible_tickets(request), pk=ticket_id)
        if _device(request) is None and not _may(request, "branches.change_ticket"):
            return _error("forbidden", "you may not cancel tickets", 403)
        try:
            ticket = ticket_cancel(ticket=ticket)
        except TicketError as exc:
            return _ticket_error(exc)
        return Response(ticket_payload(ticket))


class _StaffTicketAction(APIView):
    """recall / served / no-show at a counter: branch staff only."""

    action = ""
    error_statuses = {409}  # the ticket is not at a counter

    @extend_schema(request=None, responses=TicketSchema)
    def post(self, request: Request, ticket_id: int) -> Response:
        if not _may(request, "branches.change_ticket"):
            return _error("forbidden", "only branch staff call tickets", 403)
        ticket = get_object_or_404(Ticket, pk=ticket_id)
        try:
            if self.action == "recall":
                ticket = ticket_recall(ticket=ticket, user=request.user)
            else:
                ticket = ticket_finish(ticket=ticket, outcome=self.action, user=request.user)
        except TicketError as exc:
            return _ticket_error(exc)
        return Response(ticket_payload(ticket))


class TicketRecallView(_StaffTicketAction):
    action = "recall"


class TicketServedView(_StaffTicketAction):
    action = Ticket.Status.SERVED


class TicketNoShowView(_StaffTicketAction):
    action = Ticket.Status.NO_SHOW


class CounterCallNextView(APIView):
    error_statuses = {409}  # the counter is closed

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "CallNext",
            {"ticket": TicketSchema, "detail": serializers.CharField(required=False)},
        ),
    )
    def post(self, request: Request, counter_id: int) -> Response:
        if not _may(request, "branches.change_ticket"):
            return _error("forbidden", "only branch staff call tickets", 403)
        counter = get_object_or_404(Counter, pk=counter_id)
        try:
            ticket = ticket_call_next(counter=counter, user=request.user)
        except TicketError as exc:
            return _ticket_error(exc)
        if ticket is None:
            return Response({"ticket": None, "detail": "no one is waiting for this counter"})
        return Response({"ticket": ticket_payload(ticket)})


class BranchQueueView(APIView):
    """Waiting customers per service today (hall screens, kiosks, staff)."""

    @extend_schema(responses=inline_serializer("Queue", {"services": serializers.ListField()}))
    def get(self, request: Request, branch_code: str) -> Response:
        branch = get_object_or_404(Branch, code=branch_code)
        device = _device(request)
        allowed = (
            device.branch_id == branch.pk
            if device is not None
            else request.user.has_perm("branches.view_ticket")
        )
        if not allowed:
            return _error("forbidden", "not your branch's queue", 403)
        language = request.query_params.get("language")
        return Response({"branch": branch.code, "services": queue_overview(branch, language)})
