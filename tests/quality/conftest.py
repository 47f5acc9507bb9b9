from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from scenarios.models import DialogueSession, Flow, Takeover, Turn


def build_session(
    lines: list[tuple[str, str]],
    *,
    flow: str = "pre_sales",
    status: str = DialogueSession.Status.COMPLETED,
    agent: Any = None,
    minutes_ago: int = 60,
) -> DialogueSession:
    """A finished session with a hand-written transcript (turns 30 s apart)."""
    flow_obj = Flow.objects.get(code=flow)
    start = timezone.now() - timedelta(minutes=minutes_ago)
    session = DialogueSession.objects.create(
        flow=flow_obj,
        channel="app",
        language="zh-hans",
        status=status,
        current_step=flow_obj.steps.order_by("position").first().code,
        created_at=start,
    )
    for i, (role, text) in enumerate(lines):
        Turn.objects.create(
            session=session,
            seq=i + 1,
            role=role,
            text=text,
            payload={"agent": agent.get_username()} if role == "agent" and agent else {},
            created_at=start + timedelta(seconds=30 * i),
        )
    # As the engine leaves it: last touched at the last turn.
    DialogueSession.objects.filter(pk=session.pk).update(
        updated_at=start + timedelta(seconds=30 * max(len(lines) - 1, 0))
    )
    session.refresh_from_db()
    if agent is not None:
        Takeover.objects.create(
            session=session,
            state=Takeover.State.ENDED,
            reason="asked_for_person",
            agent=agent,
            taken_at=start,
            ended_at=start + timedelta(seconds=30 * len(lines)),
        )
    return session


@pytest.fixture
def agent():  # noqa: ANN201
    return get_user_model().objects.get(username="agent")


@pytest.fixture
def supervisor():  # noqa: ANN201
    return get_user_model().objects.get(username="supervisor")


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str]]]:
    """Tasks queued for django-q2, run at once (in the test's transaction) and recorded."""
    calls: list[tuple[str, str]] = []

    def run_now(func: Any, *args: Any, **kwargs: Any) -> str:
        calls.append((func.__name__, args[0]))
        func(*args)
        return "queued"

    monkeypatch.setattr("scenarios.quality.tasks.async_task", run_now)
    return calls
