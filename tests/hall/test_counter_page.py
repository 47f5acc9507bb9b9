"""The counter page: branch staff choose a counter and call, recall and close tickets."""

from __future__ import annotations

import pytest
from django.test import Client

from devices.models import Device
from devices.push import device_group
from scenarios.branches.models import Counter, Ticket, TicketSequence
from scenarios.branches.services import ticket_issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def counter(branch, cash) -> Counter:  # noqa: ANN001
    counter = Counter.objects.filter(branch=branch, services=cash).first()
    Counter.objects.filter(pk=counter.pk).update(is_open=True)
    Ticket.objects.filter(branch=branch).delete()
    TicketSequence.objects.filter(branch_service__branch=branch).delete()
    return counter


def _login(username: str, password: str) -> Client:
    client = Client()
    assert client.login(username=username, password=password)
    return client


def test_the_counter_page_asks_for_a_staff_login() -> None:
    response = Client().get("/branch/counter/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")


def test_people_outside_branch_staff_are_refused(demo_password: str) -> None:
    assert _login("agent", demo_password).get("/branch/counter/").status_code == 403


def test_staff_log_in_on_the_staff_login_page(demo_password: str) -> None:
    client = Client()
    response = client.post(
        "/staff/login/?next=/branch/counter/",
        {"username": "branch", "password": demo_password, "next": "/branch/counter/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/branch/counter/"
    assert client.get("/branch/counter/").status_code == 200


def test_call_next_from_the_page_is_announced_on_the_hall_screen(
    counter,
    branch,
    cash,
    demo_password,
    listen,
    committed,  # noqa: ANN001
) -> None:
    issued = ticket_issue(branch=branch, service=cash)
    hall = listen(device_group(Device.objects.get(name="demo-hall-screen").pk))
    client = _login("branch", demo_password)
    with committed():
        response = client.post(
            f"/branch/counter/{counter.pk}/", {"action": "call_next"}, follow=True
        )
    page = response.content.decode()
    assert issued.display in page
    assert 'id="current-ticket"' in page
    [frame] = hall.frames()
    assert (frame["type"], frame["number"]) == ("ticket.called", issued.display)


def test_the_current_ticket_is_recalled_and_closed_from_the_page(
    counter,
    branch,
    cash,
    demo_password,  # noqa: ANN001
) -> None:
    ticket_issue(branch=branch, service=cash)
    client = _login("branch", demo_password)
    client.post(f"/branch/counter/{counter.pk}/", {"action": "call_next"})
    current = Ticket.objects.get(counter=counter, status="called")
    client.post(f"/branch/counter/{counter.pk}/", {"action": "recall", "ticket": current.pk})
    client.post(f"/branch/counter/{counter.pk}/", {"action": "no_show", "ticket": current.pk})
    current.refresh_from_db()
    assert (current.call_count, current.status) == (2, "no_show")


def test_calling_twice_explains_what_to_do(counter, branch, cash, demo_password) -> None:  # noqa: ANN001
    ticket_issue(branch=branch, service=cash)
    ticket_issue(branch=branch, service=cash)
    client = _login("branch", demo_password)
    client.post(f"/branch/counter/{counter.pk}/", {"action": "call_next"})
    response = client.post(
        f"/branch/counter/{counter.pk}/",
        {"action": "call_next"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Finish the current ticket first" in response.content.decode()


@pytest.mark.parametrize(
    ("language", "words"),
    [("zh-hans", ["叫下一位", "今日排队"]), ("en", ["Call next", "Queue today"])],
)
def test_the_page_speaks_both_languages(counter, demo_password, language, words) -> None:  # noqa: ANN001
    client = _login("branch", demo_password)
    client.cookies["django_language"] = language
    page = client.get(f"/branch/counter/?counter={counter.pk}").content.decode()
    for word in words:
        assert word in page
