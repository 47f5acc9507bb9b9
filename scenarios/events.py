"""Domain events: what happened in a dialogue, told to whichever channel shows it.

The domain never names a frame, a socket or a channel group. It emits one of the frozen
dataclasses below; channel apps (`devices`) `subscribe` in their AppConfig.ready() and turn each
event into their own wire format.

Handlers run inside the emitter's transaction, when `emit` is called. That is deliberate: a
channel may store what it will show (the avatar's numbered session frames, replayed on resume)
and that row must commit or roll back with the domain change that caused it. Anything seen
outside the database (a channel-layer send) a handler defers with `transaction.on_commit`, so
nothing announces a row that was rolled back. A handler that raises fails the domain action,
as a failed write in the same transaction would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from scenarios.dialogue.base import TurnResult


@dataclass(frozen=True)
class HandoffStarted:
    """A person took control of the session; the customer is told who."""

    session_id: Any
    agent_name: str


@dataclass(frozen=True)
class AgentSaid:
    """The agent in control said something (already masked) through the session's avatar."""

    session_id: Any
    text: str
    agent_name: str


@dataclass(frozen=True)
class HandoffEnded:
    """The person handed the session back; `result` is what the AI says on resuming."""

    session_id: Any
    result: TurnResult


@dataclass(frozen=True)
class SessionEnded:
    """The session reached an end (completed or abandoned); its transcript is final."""

    session_id: Any
    status: str


@dataclass(frozen=True)
class TurnRecorded:
    """A turn of the session was stored (for whoever watches the transcript live)."""

    session_id: Any
    turn_id: int


@dataclass(frozen=True)
class LiveSessionChanged:
    """Something agents see of the session changed (state, waiting reason, owner)."""

    session_id: Any


@dataclass(frozen=True)
class CustomerNotified:
    """A message was put in the customer's in-app inbox."""

    customer_id: int
    notification_id: int
    kind: str
    title: str
    body: str


@dataclass(frozen=True)
class TicketCalled:
    """A counter called (or recalled) a queue ticket; the branch hall and the customer hear it.

    Names and the spoken announcement come in every supported language (keyed like
    `bank_ai.i18n.SUPPORTED`); `session_id` is the dialogue session that drew the ticket, if it
    still exists.
    """

    ticket_id: int
    number: str
    branch_id: int
    branch_code: str
    counter_number: int
    counter_name: dict[str, str]
    service_name: dict[str, str]
    announcement: dict[str, str]
    recall: bool
    times_called: int
    called_at: datetime
    session_id: Any = None


@dataclass(frozen=True)
class DeviceDisabled:
    """A touchpoint was disabled: its credentials no longer hold (`scenarios.touchpoints`).

    The channel that keeps its sockets closes them (on commit: a rolled-back disable closes
    nothing).
    """

    device_id: int


@dataclass(frozen=True)
class DeviceMoved:
    """A touchpoint's branch or device groups changed (`scenarios.touchpoints`).

    The channel that keeps its sockets makes them join what the device belongs to now (its
    branch's and groups' broadcasts), on commit, without closing them.
    """

    device_id: int


@dataclass(frozen=True)
class DeviceRemoved:
    """A touchpoint is being deleted from the registry; its open sockets are to be closed."""

    device_id: int


Event = (
    HandoffStarted
    | AgentSaid
    | HandoffEnded
    | TurnRecorded
    | LiveSessionChanged
    | CustomerNotified
    | TicketCalled
    | SessionEnded
    | DeviceDisabled
    | DeviceMoved
    | DeviceRemoved
)
E = TypeVar("E")
Handler = Callable[[Any], None]

_handlers: dict[type, list[Handler]] = {}


def subscribe(event_type: type[E], handler: Callable[[E], None]) -> Callable[[E], None]:
    """Call `handler` with every `event_type` emitted from now on (once, however often)."""
    handlers = _handlers.setdefault(event_type, [])
    if handler not in handlers:
        handlers.append(handler)
    return handler


def unsubscribe(event_type: type[E], handler: Callable[[E], None]) -> None:
    handlers = _handlers.get(event_type, [])
    if handler in handlers:
        handlers.remove(handler)


def emit(event: Event) -> None:
    """Tell every subscriber of the event's type, in subscription order, now."""
    for handler in list(_handlers.get(type(event), ())):
        handler(event)
