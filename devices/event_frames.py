"""The avatar channel's side of the domain events: each event becomes the frames it shows
(or, for a disabled or deleted device, the closing of its sockets).

`DevicesConfig.ready()` subscribes these handlers to `scenarios.events`. They run inside the
domain's transaction: session frames are stored in the outbox with the change that caused them
(so a client that was away gets them on resume) and, like every push, sent on commit.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from devices.avatar import answer_frame
from devices.cues import cue
from devices.models import Device
from devices.push import push_to_device, push_to_group, push_to_session
from devices.services import device_sockets_close, device_sockets_regroup
from scenarios import events
from scenarios.selectors import (
    active_session_ids_of_customer,
    live_session_row_by_id,
    turn_payload_by_id,
)
from scenarios.takeover import CONSOLE_GROUP, console_online, console_session_group


def handoff_started(event: events.HandoffStarted) -> None:
    push_to_session(event.session_id, {"type": "handoff.started", "agent": event.agent_name})


def agent_said(event: events.AgentSaid) -> None:
    push_to_session(
        event.session_id,
        {
            "type": "avatar.say",
            "text": event.text,
            "agent": event.agent_name,
            "cue": cue(event.text, emotion_name="neutral", gesture_name="talk"),
        },
    )


def handoff_ended(event: events.HandoffEnded) -> None:
    push_to_session(event.session_id, {"type": "handoff.ended", "step": event.result.step})
    push_to_session(event.session_id, answer_frame(event.result, in_reply_to=None))


def customer_notified(event: events.CustomerNotified) -> None:
    frame = {
        "type": "notification",
        "kind": event.kind,
        "title": event.title,
        "body": event.body,
        "id": event.notification_id,
    }
    for session_id in active_session_ids_of_customer(event.customer_id):
        push_to_session(session_id, frame)


# Consoles mark themselves online; with none online a turn or row push (a dozen queries each)
# would be seen by nobody, so it is not even prepared.


def _send_row(session_id: Any) -> None:
    row = live_session_row_by_id(session_id)
    if row is not None:
        push_to_group(CONSOLE_GROUP, {"type": "session.updated", "session": row})


def turn_recorded(event: events.TurnRecorded) -> None:
    if not console_online():
        return

    def send() -> None:
        # Read after commit: the sentiment and intent are filled in by then.
        turn = turn_payload_by_id(event.turn_id)
        if turn is None:
            return
        push_to_group(
            console_session_group(event.session_id),
            {"type": "turn", "session_id": str(event.session_id), "turn": turn},
        )
        _send_row(event.session_id)

    transaction.on_commit(send)


def live_session_changed(event: events.LiveSessionChanged) -> None:
    if console_online():
        transaction.on_commit(lambda: _send_row(event.session_id))


def ticket_called(event: events.TicketCalled) -> None:
    """Every active hall screen of the branch announces the call, and so does the customer's
    own kiosk or app conversation that drew the ticket."""
    frame = {
        "type": "ticket.called",
        "ticket": event.ticket_id,
        "number": event.number,
        "counter": event.counter_number,
        "counter_name": dict(event.counter_name),
        "service": dict(event.service_name),
        "branch": event.branch_code,
        "recall": event.recall,
        "times_called": event.times_called,
        "announcement": dict(event.announcement),
        "called_at": event.called_at.isoformat(),
    }
    screens = Device.objects.filter(
        branch_id=event.branch_id, kind=Device.Kind.HALL_SCREEN, is_active=True
    )
    for device_id in screens.values_list("pk", flat=True):
        push_to_device(device_id, frame)
    if event.session_id:
        push_to_session(event.session_id, frame)


def device_disabled(event: events.DeviceDisabled) -> None:
    """Its credentials no longer hold: close its sockets (on commit), on every process."""
    device_sockets_close(device_id=event.device_id, reason="device disabled")


def device_moved(event: events.DeviceMoved) -> None:
    """Its open sockets join the branch's and groups' channel groups it belongs to now."""
    device_sockets_regroup(device_id=event.device_id)


def device_removed(event: events.DeviceRemoved) -> None:
    device_sockets_close(device_id=event.device_id, reason="device deleted")


def subscribe_all() -> None:
    events.subscribe(events.HandoffStarted, handoff_started)
    events.subscribe(events.AgentSaid, agent_said)
    events.subscribe(events.HandoffEnded, handoff_ended)
    events.subscribe(events.CustomerNotified, customer_notified)
    events.subscribe(events.TurnRecorded, turn_recorded)
    events.subscribe(events.LiveSessionChanged, live_session_changed)
    events.subscribe(events.TicketCalled, ticket_called)
    events.subscribe(events.DeviceDisabled, device_disabled)
    events.subscribe(events.DeviceRemoved, device_removed)
    events.subscribe(events.DeviceMoved, device_moved)
