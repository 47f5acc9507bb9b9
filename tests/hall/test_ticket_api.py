"""The queue over REST: kiosks issue, staff call; clear 4xx with a code on bad input."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from devices.models import Device
from devices.services import device_token_issue
from scenarios.branches.models import Counter, Ticket, TicketSequence

pytestmark = pytest.mark.django_db


def _device_client(name: str = "demo-kiosk") -> APIClient:
    client = APIClient()
    token = device_token_issue(device=Device.objects.get(name=name))
    client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    return client


def _user_client(username: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(get_user_model().objects.get(username=username))
    return client


def test_a_kiosk_issues_a_ticket_for_its_branch() -> None:
    response = _device_client().post(
        "/api/tickets/", {"service": "cash", "language": "en"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("A")
    assert body["branch_code"] == Device.objects.get(name="demo-kiosk").branch.code
    assert body["service"] == "Cash deposits and withdrawals"
    assert {"waiting_ahead", "estimated_minutes", "materials", "open_counters"} <= set(body)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"service": "no-such-service"}, "unknown_service"),
        ({"service": "cash", "branch": "binjiang-sub"}, "wrong_branch"),
        ({"service": "cash", "language": "fr"}, None),
        ({}, None),
    ],
)
def test_bad_requests_get_a_400_that_says_why(payload: dict, code: str | None) -> None:
    response = _device_client().post("/api/tickets/", payload, format="json")
    assert response.status_code == 400
    if code:
        assert response.json()["code"] == code


def test_a_device_without_a_branch_cannot_issue_tickets() -> None:
    response = _device_client("demo-app").post("/api/tickets/", {"service": "cash"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "no_branch"


def test_staff_must_name_the_branch_and_others_are_forbidden() -> None:
    staff = _user_client("branch")
    assert staff.post("/api/tickets/", {"service": "cash"}, format="json").json()["code"] == (
        "branch_required"
    )
    ok = staff.post("/api/tickets/", {"service": "cash", "branch": "hq-central"}, format="json")
    assert ok.status_code == 201
    employee = _user_client("employee")
    refused = employee.post(
        "/api/tickets/", {"service": "cash", "branch": "hq-central"}, format="json"
    )
    assert refused.status_code == 403


def test_call_next_then_409_until_the_ticket_is_served() -> None:
    counter = Counter.objects.filter(branch__code="hq-central", services__code="cash").first()
    Counter.objects.filter(pk=counter.pk).update(is_open=True)
    Ticket.objects.filter(branch=counter.branch).delete()
    TicketSequence.objects.filter(branch_service__branch=counter.branch).delete()
    _device_client().post("/api/tickets/", {"service": "cash"}, format="json")
    staff = _user_client("branch")
    called = staff.post(f"/api/counters/{counter.pk}/call-next/")
    assert called.status_code == 200
    ticket = called.json()["ticket"]
    assert ticket["status"] == "called"
    busy = staff.post(f"/api/counters/{counter.pk}/call-next/")
    assert (busy.status_code, busy.json()["code"]) == (409, "counter_busy")
    served = staff.post(f"/api/tickets/{ticket['id']}/served/")
    assert served.json()["status"] == "served"
    again = staff.post(f"/api/tickets/{ticket['id']}/served/")
    assert (again.status_code, again.json()["code"]) == (409, "not_called")
    empty = staff.post(f"/api/counters/{counter.pk}/call-next/")
    assert empty.json()["ticket"] is None


def test_a_kiosk_may_not_call_tickets() -> None:
    counter = Counter.objects.first()
    response = _device_client().post(f"/api/counters/{counter.pk}/call-next/")
    assert response.status_code == 403


def test_the_branch_queue_lists_waiting_customers_per_service() -> None:
    kiosk = _device_client()
    kiosk.post("/api/tickets/", {"service": "foreign_exchange"}, format="json")
    response = kiosk.get("/api/branches/hq-central/queue/?language=en")
    assert response.status_code == 200
    rows = {row["service_code"]: row for row in response.json()["services"]}
    assert rows["foreign_exchange"]["waiting"] >= 1
    assert rows["foreign_exchange"]["next"].startswith("F")
    assert kiosk.get("/api/branches/binjiang-sub/queue/").status_code == 403


def test_a_waiting_ticket_can_be_cancelled_once() -> None:
    kiosk = _device_client()
    ticket = kiosk.post("/api/tickets/", {"service": "cash"}, format="json").json()
    assert kiosk.post(f"/api/tickets/{ticket['id']}/cancel/").json()["status"] == "cancelled"
    assert kiosk.post(f"/api/tickets/{ticket['id']}/cancel/").status_code == 409
