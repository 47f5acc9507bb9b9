"""Queue tickets: numbering per branch, service and day; the wait estimate; calling at a counter."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from devices.models import Device
from devices.push import device_group, session_group
from scenarios import dialogue
from scenarios.branches.models import BranchService, Counter, ServiceType, Ticket, TicketSequence
from scenarios.branches.selectors import branch_today, ticket_payload, ticket_quote
from scenarios.branches.services import (
    TicketError,
    ticket_call_next,
    ticket_finish,
    ticket_issue,
    ticket_recall,
)

pytestmark = pytest.mark.django_db


def _clear_queue(branch) -> None:  # noqa: ANN001
    Ticket.objects.filter(branch=branch).delete()
    TicketSequence.objects.filter(branch_service__branch=branch).delete()


def test_numbers_carry_the_service_prefix_and_count_up_per_day(branch, cash) -> None:  # noqa: ANN001
    _clear_queue(branch)
    first = ticket_issue(branch=branch, service=cash)
    second = ticket_issue(branch=branch, service=cash)
    prefix = BranchService.objects.get(branch=branch, service=cash).ticket_prefix
    assert (first.display, second.display) == (f"{prefix}001", f"{prefix}002")
    assert first.day == second.day == branch_today(branch)


def test_each_service_has_its_own_sequence(branch, cash) -> None:  # noqa: ANN001
    _clear_queue(branch)
    cards = ServiceType.objects.get(code="card_services")
    ticket_issue(branch=branch, service=cash)
    card_ticket = ticket_issue(branch=branch, service=cards)
    assert card_ticket.number == 1


def test_a_service_the_branch_does_not_offer_is_refused(branch) -> None:  # noqa: ANN001
    loans = ServiceType.objects.get(code="loans")
    BranchService.objects.filter(branch=branch, service=loans).delete()
    with pytest.raises(TicketError) as refused:
        ticket_issue(branch=branch, service=loans)
    assert refused.value.code == "service_not_offered"


def test_the_estimate_is_people_ahead_times_minutes_over_open_counters(branch, cash) -> None:  # noqa: ANN001
    _clear_queue(branch)
    BranchService.objects.filter(branch=branch, service=cash).update(average_minutes=9)
    counters = Counter.objects.filter(branch=branch, services=cash)
    counters.update(is_open=False)
    first, second = counters[:2]
    Counter.objects.filter(pk__in=[first.pk, second.pk]).update(is_open=True)
    for _ in range(5):
        ticket_issue(branch=branch, service=cash)
    mine = ticket_issue(branch=branch, service=cash)
    quote = ticket_quote(mine)
    assert (quote.waiting_ahead, quote.open_counters) == (5, 2)
    assert quote.estimated_minutes == 23  # ceil(5 * 9 / 2)
    assert quote.materials == cash.materials["zh-hans"]


def test_the_payload_speaks_the_ticket_language(branch, cash) -> None:  # noqa: ANN001
    ticket = ticket_issue(branch=branch, service=cash, language="en")
    payload = ticket_payload(ticket)
    assert payload["service"] == cash.name_en
    assert payload["materials"] == cash.materials["en"]


def test_concurrent_issuing_never_hands_out_the_same_number(branch, cash) -> None:  # noqa: ANN001
    """Eight connections issue at once, committed for real; every number is different."""
    per_thread, threads_count = 5, 8
    issued: list[tuple[int, int]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(threads_count)
    lock = threading.Lock()

    def worker() -> None:
        try:
            start.wait()
            for _ in range(per_thread):
                ticket = ticket_issue(branch=branch, service=cash)
                with lock:
                    issued.append((ticket.pk, ticket.number))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=worker) for _ in range(threads_count)]
    try:
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join(60)
        assert errors == []
        numbers = [number for _pk, number in issued]
        assert len(numbers) == per_thread * threads_count
        assert len(set(numbers)) == len(numbers)
        # Gapless too: the sequence row hands out consecutive numbers.
        assert max(numbers) - min(numbers) == len(numbers) - 1
    finally:
        # The workers committed on their own connections; undo that on another one.
        def cleanup() -> None:
            Ticket.objects.filter(pk__in=[pk for pk, _n in issued]).delete()
            if issued:
                TicketSequence.objects.filter(
                    branch_service__branch=branch, branch_service__service=cash
                ).update(last_number=min(n for _pk, n in issued) - 1)
            connections.close_all()

        cleaner = threading.Thread(target=cleanup)
        cleaner.start()
        cleaner.join(30)


def _only_counter_for(branch, service) -> Counter:  # noqa: ANN001
    counter = Counter.objects.filter(branch=branch, services=service).first()
    Counter.objects.filter(pk=counter.pk).update(is_open=True)
    counter.refresh_from_db()
    return counter


def test_call_next_takes_the_longest_waiting_ticket_the_counter_serves(branch, cash) -> None:  # noqa: ANN001
    _clear_queue(branch)
    counter = _only_counter_for(branch, cash)
    other = ServiceType.objects.exclude(pk__in=counter.services.all()).first()
    if other is not None and BranchService.objects.filter(branch=branch, service=other).exists():
        ticket_issue(branch=branch, service=other)  # not for this counter
    first = ticket_issue(branch=branch, service=cash)
    ticket_issue(branch=branch, service=cash)
    called = ticket_call_next(counter=counter)
    assert called.pk == first.pk
    assert (called.status, called.counter_id, called.call_count) == ("called", counter.pk, 1)


def test_calling_announces_the_ticket_on_the_branch_hall_screens(
    branch,
    cash,
    listen,
    committed,  # noqa: ANN001
) -> None:
    _clear_queue(branch)
    counter = _only_counter_for(branch, cash)
    screen = Device.objects.get(name="demo-hall-screen")
    kiosk = Device.objects.get(name="demo-kiosk")
    session, _ = dialogue.session_start(
        scenario="branch_hall", channel="kiosk", language="zh-hans", device=kiosk
    )
    issued = ticket_issue(branch=branch, service=cash, session_id=session.pk)
    hall, kiosk_socket, customer = (
        listen(device_group(screen.pk)),
        listen(device_group(kiosk.pk)),
        listen(session_group(issued.session_id)),
    )
    with committed():
        ticket_call_next(counter=counter)
    [frame] = hall.frames()
    assert frame["type"] == "ticket.called"
    assert frame["number"] == issued.display
    assert frame["counter"] == counter.number
    assert frame["recall"] is False
    assert issued.display in frame["announcement"]["zh-hans"]
    assert f"counter {counter.number}" in frame["announcement"]["en"]
    assert kiosk_socket.frames() == []  # only hall screens announce
    assert customer.frames()[0]["number"] == issued.display  # the customer's own session too


def test_a_busy_counter_must_close_its_ticket_before_calling_again(branch, cash) -> None:  # noqa: ANN001
    _clear_queue(branch)
    counter = _only_counter_for(branch, cash)
    ticket_issue(branch=branch, service=cash)
    ticket_issue(branch=branch, service=cash)
    current = ticket_call_next(counter=counter)
    with pytest.raises(TicketError) as busy:
        ticket_call_next(counter=counter)
    assert busy.value.code == "counter_busy"
    ticket_finish(ticket=current, outcome="served")
    assert ticket_call_next(counter=counter).number == current.number + 1


def test_recall_announces_again_and_counts_the_calls(branch, cash, listen, committed) -> None:  # noqa: ANN001
    _clear_queue(branch)
    counter = _only_counter_for(branch, cash)
    ticket_issue(branch=branch, service=cash)
    current = ticket_call_next(counter=counter)
    hall = listen(device_group(Device.objects.get(name="demo-hall-screen").pk))
    with committed():
        recalled = ticket_recall(ticket=current)
    assert recalled.call_count == 2
    assert hall.frames()[0]["recall"] is True


def test_only_a_called_ticket_can_be_finished(branch, cash) -> None:  # noqa: ANN001
    waiting = ticket_issue(branch=branch, service=cash)
    with pytest.raises(TicketError) as refused:
        ticket_finish(ticket=waiting, outcome="no_show")
    assert refused.value.code == "not_called"


def test_nobody_waiting_returns_none(branch, cash) -> None:  # noqa: ANN001
    _clear_queue(branch)
    assert ticket_call_next(counter=_only_counter_for(branch, cash)) is None


def test_a_closed_counter_calls_nobody(branch, cash) -> None:  # noqa: ANN001
    counter = _only_counter_for(branch, cash)
    Counter.objects.filter(pk=counter.pk).update(is_open=False)
    with pytest.raises(TicketError) as closed:
        ticket_call_next(counter=counter)
    assert closed.value.code == "counter_closed"
