"""The domain event registry: subscribers are told of their event type, once, in order."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from scenarios import events


# Events of the test's own, so the channel apps' subscribers (which read the database) stay out.
@dataclass(frozen=True)
class Pinged:
    n: int


@dataclass(frozen=True)
class Ponged:
    n: int


@pytest.fixture
def heard() -> Iterator[list[Any]]:
    received: list[Any] = []
    events.subscribe(Pinged, received.append)
    yield received
    events.unsubscribe(Pinged, received.append)


def test_a_subscriber_hears_the_events_of_its_type(heard: list[Any]) -> None:
    events.emit(Pinged(1))  # type: ignore[arg-type]
    assert heard == [Pinged(1)]


def test_a_subscriber_does_not_hear_other_event_types(heard: list[Any]) -> None:
    events.emit(Ponged(1))  # type: ignore[arg-type]
    assert heard == []


def test_subscribing_the_same_handler_twice_tells_it_once(heard: list[Any]) -> None:
    events.subscribe(Pinged, heard.append)
    events.emit(Pinged(2))  # type: ignore[arg-type]
    assert heard == [Pinged(2)]


def test_subscribers_are_told_in_subscription_order(heard: list[Any]) -> None:
    def second(event: Pinged) -> None:
        heard.append("second")

    events.subscribe(Pinged, second)
    try:
        events.emit(Pinged(3))  # type: ignore[arg-type]
    finally:
        events.unsubscribe(Pinged, second)
    assert heard == [Pinged(3), "second"]


def test_the_domain_events_are_immutable() -> None:
    event = events.AgentSaid(session_id="s1", text="hello", agent_name="Wang")
    with pytest.raises(AttributeError):
        event.text = "changed"  # type: ignore[misc]


def test_a_failing_subscriber_fails_the_emitter() -> None:
    def broken(event: Ponged) -> None:
        raise RuntimeError("channel down")

    events.subscribe(Ponged, broken)
    try:
        with pytest.raises(RuntimeError):
            events.emit(Ponged(1))  # type: ignore[arg-type]
    finally:
        events.unsubscribe(Ponged, broken)
