"""Domain events become the avatar's frames: stored with the change, sent only on commit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from devices.models import Device, SessionFrame
from devices.push import session_group
from scenarios import dialogue, events
from scenarios.models import Customer, DialogueSession
from scenarios.notifications import channel_for
from scenarios.takeover import agent_say, takeover_end, takeover_start
from tests.channel_listener import GroupListener, capture_commits

pytestmark = pytest.mark.django_db


class Rollback(Exception):
    pass


@pytest.fixture
def agent():  # noqa: ANN201
    return get_user_model().objects.get(username="agent")


@pytest.fixture
def session() -> DialogueSession:
    session, _ = dialogue.session_start(
        scenario="super_teller",
        channel="vtm",
        language="zh-hans",
        device=Device.objects.get(name="demo-vtm"),
    )
    return session


@pytest.fixture
def told() -> Iterator[list[Any]]:
    received: list[Any] = []
    kinds = (events.HandoffStarted, events.AgentSaid, events.HandoffEnded)
    for kind in kinds:
        events.subscribe(kind, received.append)
    yield received
    for kind in kinds:
        events.unsubscribe(kind, received.append)


def _frame_types(session_id: Any) -> list[str]:
    return list(
        SessionFrame.objects.filter(session_id=session_id)
        .order_by("seq")
        .values_list("type", flat=True)
    )


def test_the_takeover_services_emit_domain_events(agent, session, told) -> None:  # noqa: ANN001
    takeover_start(session_id=session.pk, agent=agent)
    agent_say(session_id=session.pk, agent=agent, text="您好")
    takeover_end(session_id=session.pk, agent=agent)
    assert [type(e) for e in told] == [
        events.HandoffStarted,
        events.AgentSaid,
        events.HandoffEnded,
    ]
    session.refresh_from_db()
    assert told[2].session_id == session.pk
    assert told[2].result.step == session.current_step


def test_a_handoff_is_stored_as_a_session_frame_with_the_takeover(agent, session) -> None:  # noqa: ANN001
    takeover_start(session_id=session.pk, agent=agent)
    assert _frame_types(session.pk)[-1] == "handoff.started"


def test_a_rolled_back_takeover_leaves_no_frame_and_sends_nothing(agent, session) -> None:  # noqa: ANN001
    before = _frame_types(session.pk)
    device = GroupListener(session_group(session.pk))

    def take_over_then_fail() -> None:
        with transaction.atomic():
            takeover_start(session_id=session.pk, agent=agent)
            raise Rollback

    with capture_commits(), pytest.raises(Rollback):
        take_over_then_fail()
    assert _frame_types(session.pk) == before
    assert device.frames(first_wait=0.5) == []


def test_an_inbox_message_is_pushed_to_the_customers_active_sessions(session) -> None:  # noqa: ANN001
    customer = Customer.objects.create(
        customer_no="C209910002",
        full_name="Alex Test",
        preferred_language="en",
        birth_year=1988,
        id_last4="0000",
        mobile_masked="139****0000",
        income_band="60k-150k",
        created_at=timezone.now(),
    )
    DialogueSession.objects.filter(pk=session.pk).update(customer=customer)
    device = GroupListener(session_group(session.pk))
    with capture_commits():
        delivery = channel_for("app_inbox").send(
            customer=customer,
            kind="repayment",
            language="en",
            title="Repayment due",
            body="Please repay by the 15th.",
            reference="stmt-1",
        )
    frame = next(f for f in device.frames() if f["type"] == "notification")
    assert delivery.ref == f"inbox:{frame['id']}"
    assert not delivery.queued
    assert (frame["title"], frame["body"], frame["kind"]) == (
        "Repayment due",
        "Please repay by the 15th.",
        "repayment",
    )
