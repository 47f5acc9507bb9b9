"""Turns and events that must not move a session: refused events and turns raced by two sockets.

The concurrency tests commit for real, on separate connections, because two sockets' turns
are two connections' transactions. They do not use `django_db(transaction=True)`: its teardown
TRUNCATEs every table, which the append-only audit tables refuse (and it would wipe the demo
bank the other tests share); they delete the sessions they created instead.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.db import connection, connections
from rest_framework.test import APIClient

from devices.models import Device
from devices.services import device_token_issue
from scenarios import dialogue
from scenarios.dialogue import engine
from scenarios.models import DialogueSession, FunnelEvent, Turn
from tests.avatar.conftest import Client, token_for


@pytest.fixture
def kiosk_token(db: None) -> str:
    return token_for("demo-kiosk")


def _client() -> APIClient:
    client = APIClient()
    token = device_token_issue(device=Device.objects.get(name="demo-app"))
    client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    return client


def _snapshot(session_id: Any) -> dict[str, Any]:
    """Everything a refused request must leave as it was."""
    session = DialogueSession.objects.get(pk=session_id)
    return {
        "turn_count": session.turn_count,
        "step": session.current_step,
        "flow": session.flow_id,
        "status": session.status,
        "slots": session.slots,
        "memory": session.memory,
        "turns": list(
            Turn.objects.filter(session_id=session_id)
            .order_by("seq")
            .values_list("seq", "role", "text", "step", "intent")
        ),
        "funnel": list(
            FunnelEvent.objects.filter(session_id=session_id)
            .order_by("id")
            .values_list("id", "step", "outcome")
        ),
    }


def _at_card_choice(client: APIClient, language: str = "zh-hans") -> str:
    started = client.post(
        "/api/sessions/",
        {"channel": "app", "scenario": "credit_card", "language": language},
        format="json",
    ).json()
    for text in ("我经常出国旅游", "年收入30万", "年费无所谓", "对"):
        response = client.post(f"/api/sessions/{started['id']}/turns/", {"text": text})
        assert response.status_code == 200, response.content
    assert DialogueSession.objects.get(pk=started["id"]).current_step == "choose_card"
    return started["id"]


# ----------------------------------------------------------------------------- refused events


@pytest.mark.django_db
def test_an_event_the_step_does_not_take_is_409_and_leaves_the_whole_session_as_it_was() -> None:
    client = _client()
    session_id = _at_card_choice(client)
    before = _snapshot(session_id)
    response = client.post(
        f"/api/sessions/{session_id}/events/",
        {"name": "choose_card", "step": "choose_card", "data": {"card": "not-shown"}},
        format="json",
    )
    assert response.status_code == 409
    assert "does not take" in response.json()["detail"]
    assert _snapshot(session_id) == before


@pytest.mark.django_db
def test_an_event_for_another_step_is_409_and_leaves_the_whole_session_as_it_was() -> None:
    client = _client()
    session_id = _at_card_choice(client)
    before = _snapshot(session_id)
    response = client.post(
        f"/api/sessions/{session_id}/events/",
        {"name": "confirm", "step": "confirm_needs"},
        format="json",
    )
    assert response.status_code == 409
    assert "choose_card" in response.json()["detail"]
    assert _snapshot(session_id) == before


@pytest.mark.django_db
def test_a_refused_event_is_kept_in_the_refusal_log_masked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = _client()
    session_id = _at_card_choice(client)
    with caplog.at_level(logging.INFO, logger="scenarios.refusals"):
        response = client.post(
            f"/api/sessions/{session_id}/events/",
            {"name": "form", "data": {"mobile": "13812345678"}},
            format="json",
        )
    assert response.status_code == 409
    (record,) = [r for r in caplog.records if r.name == "scenarios.refusals"]
    assert record.session == session_id
    assert record.reason == "not_taken"
    assert record.detail["event"] == "form"
    assert "13812345678" not in str(record.detail)


@pytest.mark.django_db
def test_a_socket_event_the_step_does_not_take_is_refused_and_changes_nothing(
    kiosk_token: str,
) -> None:
    async def scenario() -> tuple[str, dict]:
        client = Client(f"/ws/avatar/?token={kiosk_token}")
        await client.connect()
        await client.start()
        await client.send({"type": "ui.event", "name": "choose_card", "step": "ask_needs"})
        refused = await client.recv()
        await client.close()
        return client.session_id, refused

    session_id, refused = async_to_sync(scenario)()
    assert refused["code"] == "event_refused"
    session = DialogueSession.objects.get(pk=session_id)
    assert session.turn_count == 0
    assert not Turn.objects.filter(session=session, role=Turn.Role.CUSTOMER).exists()
    assert list(FunnelEvent.objects.filter(session=session).values_list("step", "outcome")) == [
        ("ask_needs", "entered")
    ]


# ----------------------------------------------------------------------------- two sockets


@pytest.fixture
def committed(django_db_setup: None, django_db_blocker: Any) -> Iterator[list[str]]:
    """Real commits (autocommit, no test transaction); the sessions listed are deleted after."""
    created: list[str] = []
    with django_db_blocker.unblock():
        try:
            yield created
        finally:
            DialogueSession.objects.filter(pk__in=created).delete()
            connection.close()


def _advisory_waiter() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        return cursor.fetchone()[0] > 0


def _race(
    monkeypatch: pytest.MonkeyPatch,
    session_id: str,
    first: dict[str, Any],
    second: dict[str, Any],
) -> dict[str, Any]:
    """Turn `first` stores its text; while it has not been answered, `second` arrives.

    The first turn waits, right after its text is committed, until the second one is either
    stored too or waiting for the session, so the interleaving is the same on every run.
    """
    outcomes: dict[str, Any] = {}
    second_started = threading.Event()
    record = engine._record_customer

    def hold_after_commit() -> None:
        second_started.set()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            customer_turns = Turn.objects.filter(
                session_id=session_id, role=Turn.Role.CUSTOMER
            ).count()
            if customer_turns >= 2 or _advisory_waiter():
                return
            time.sleep(0.02)

    def recording(
        session: DialogueSession, masked: str, payload: Any = None, **options: Any
    ) -> Turn:
        turn = record(session, masked, payload, **options)
        if masked == first["text"]:
            from django.db import transaction

            transaction.on_commit(hold_after_commit)
        return turn

    monkeypatch.setattr(engine, "_record_customer", recording)

    def run(name: str, kwargs: dict[str, Any], wait: Callable[[], None] | None = None) -> None:
        if wait is not None:
            wait()
        try:
            outcomes[name] = dialogue.session_turn(session_id=session_id, **kwargs)
        except dialogue.DialogueError as exc:
            outcomes[name] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=("first", first)),
        threading.Thread(target=run, args=("second", second, second_started.wait)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def _start(committed: list[str]) -> str:
    session, _ = dialogue.session_start(scenario="credit_card", channel="app", language="zh-hans")
    committed.append(str(session.pk))
    return str(session.pk)


def test_two_concurrent_turns_are_each_applied_once_in_order(
    committed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    session_id = _start(committed)
    outcomes = _race(monkeypatch, session_id, {"text": "我经常出国旅游"}, {"text": "年收入30万"})
    assert outcomes["first"].step == "ask_income"
    assert outcomes["second"].step == "ask_fee"
    turns = list(
        Turn.objects.filter(session_id=session_id).order_by("seq").values_list("role", "step")
    )
    # Greeting, then each customer turn stored at the step it was answered at, and its answer.
    assert turns == [
        ("assistant", "ask_needs"),
        ("customer", "ask_needs"),
        ("assistant", "ask_income"),
        ("customer", "ask_income"),
        ("assistant", "ask_fee"),
    ]
    session = DialogueSession.objects.get(pk=session_id)
    assert session.turn_count == 2
    assert session.slots["annual_income"] == "300000"


def test_a_turn_typed_at_a_step_another_socket_has_left_is_refused_not_applied(
    committed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    session_id = _start(committed)
    outcomes = _race(
        monkeypatch,
        session_id,
        {"text": "我经常出国旅游", "step": "ask_needs"},
        {"text": "我喜欢美食", "step": "ask_needs"},
    )
    assert outcomes["first"].step == "ask_income"
    assert isinstance(outcomes["second"], dialogue.StaleStep)
    assert outcomes["second"].current == "ask_income"
    session = DialogueSession.objects.get(pk=session_id)
    assert session.current_step == "ask_income"
    assert session.turn_count == 1
    assert list(
        Turn.objects.filter(session_id=session_id, role=Turn.Role.CUSTOMER).values_list(
            "text", "step"
        )
    ) == [("我经常出国旅游", "ask_needs")]
    assert (
        not FunnelEvent.objects.filter(session_id=session_id, step="ask_income")
        .exclude(outcome="entered")
        .exists()
    )


@pytest.mark.django_db
def test_the_turn_api_refuses_a_turn_for_a_step_the_session_has_left() -> None:
    client = _client()
    started = client.post(
        "/api/sessions/", {"channel": "app", "scenario": "credit_card", "language": "en"}
    ).json()
    before = _snapshot(started["id"])
    response = client.post(
        f"/api/sessions/{started['id']}/turns/",
        {"text": "yes", "step": "confirm_needs"},
        format="json",
    )
    assert response.status_code == 409
    assert "ask_needs" in response.json()["detail"]
    assert _snapshot(started["id"]) == before


@pytest.mark.django_db
def test_a_socket_turn_for_a_step_the_session_has_left_gets_stale_step(kiosk_token: str) -> None:
    async def scenario() -> dict:
        client = Client(f"/ws/avatar/?token={kiosk_token}")
        await client.connect()
        await client.start()
        await client.send(
            {"type": "user.text", "text": "对", "step": "confirm_needs", "id": "late"}
        )
        refused = await client.recv()
        await client.close()
        return refused

    refused = async_to_sync(scenario)()
    assert refused["type"] == "error"
    assert refused["code"] == "stale_step"
    assert refused["in_reply_to"]["step"] == "confirm_needs"
