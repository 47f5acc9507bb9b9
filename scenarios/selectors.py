"""Reads about customers' cards and spending, and the live sessions the agent console shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from scenarios.models import CardTransaction, CustomerCard, DialogueSession, Turn


@dataclass(frozen=True)
class CategorySpend:
    category: str
    amount: Decimal
    transactions: int
    share: Decimal  # of the period's net spending, 0..1


def spending_by_category(card: CustomerCard, start: date, end: date) -> list[CategorySpend]:
    """Net spending per category from `start` to `end` inclusive (refunds subtracted)."""
    if end < start:
        raise ValueError("the period ends before it starts")
    zone = timezone.get_current_timezone()
    rows = (
        CardTransaction.objects.filter(
            card=card,
            posted_at__gte=datetime.combine(start, time.min, tzinfo=zone),
            posted_at__lt=datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
        )
        .values("category")
        .annotate(
            spent=Sum("amount", filter=Q(is_refund=False), default=Decimal("0")),
            refunded=Sum("amount", filter=Q(is_refund=True), default=Decimal("0")),
            count=Count("id", filter=Q(is_refund=False)),
        )
    )
    net = {row["category"]: (row["spent"] - row["refunded"], row["count"]) for row in rows}
    total = sum((amount for amount, _ in net.values() if amount > 0), Decimal("0"))
    result = [
        CategorySpend(
            category=category,
            amount=amount,
            transactions=count,
            share=(amount / total).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
            if total
            else Decimal("0"),
        )
        for category, (amount, count) in net.items()
        if amount > 0
    ]
    return sorted(result, key=lambda row: (-row.amount, row.category))


# ----------------------------------------------------------------------------- agent console


LIVE_WINDOW_MINUTES = 30


def live_session_row(session: DialogueSession) -> dict[str, Any]:
    """One line of the agent console: where the session runs, its state and how it feels."""
    from scenarios.models import Takeover

    takeover = (
        Takeover.objects.filter(session=session)
        .exclude(state=Takeover.State.ENDED)
        .select_related("agent")
        .first()
    )
    device = session.device
    branch = device.branch if device is not None else None
    last_customer = (
        session.turns.filter(role=Turn.Role.CUSTOMER)
        .order_by("-seq")
        .values("text", "created_at", "sentiment")
        .first()
    )
    now = timezone.now()
    if takeover is not None and takeover.state == Takeover.State.REQUESTED:
        state, waiting_since = "waiting", takeover.requested_at
    elif takeover is not None:
        state, waiting_since = "agent", None
    else:
        state = session.status
        waiting_since = None
    sentiment = (session.memory or {}).get("sentiment", {})
    return {
        "id": str(session.pk),
        "scenario": session.flow.code,
        "scenario_name": {"zh-hans": session.flow.name_zh, "en": session.flow.name_en},
        "channel": session.channel,
        "language": session.language,
        "device": device.name if device is not None else None,
        "device_kind": device.kind if device is not None else None,
        "branch": branch.name(session.language) if branch is not None else None,
        "status": session.status,
        "state": state,
        "step": session.current_step,
        "reason": takeover.reason if takeover is not None else None,
        "agent": takeover.agent.get_username() if takeover and takeover.agent else None,
        "sentiment": sentiment.get("label") or (last_customer or {}).get("sentiment") or "",
        "anger": sentiment.get("anger", 0.0),
        "waiting_seconds": int((now - waiting_since).total_seconds()) if waiting_since else None,
        "idle_seconds": int((now - session.updated_at).total_seconds()),
        "last_text": (last_customer or {}).get("text", "")[:120],
        "turns": session.turn_count,
        "started_at": session.created_at.isoformat(),
        "updated_at": session.updated_at.isoformat(),
    }


def live_sessions(minutes: int = LIVE_WINDOW_MINUTES) -> list[dict[str, Any]]:
    """Sessions active in the last `minutes`, and every session waiting for or with an agent;
    those waiting come first, longest wait first."""
    since = timezone.now() - timedelta(minutes=minutes)
    sessions = (
        DialogueSession.objects.filter(
            Q(status=DialogueSession.Status.ACTIVE, updated_at__gte=since)
            | Q(status=DialogueSession.Status.HANDED_OVER)
        )
        .select_related("flow", "device__branch")
        .order_by("-updated_at")[:200]
    )
    rows = [live_session_row(session) for session in sessions]
    order = {"waiting": 0, "agent": 1}
    return sorted(
        rows, key=lambda row: (order.get(row["state"], 2), -(row["waiting_seconds"] or 0))
    )


def session_transcript(session: DialogueSession, limit: int = 200) -> list[dict[str, Any]]:
    from scenarios.takeover import turn_payload

    turns = session.turns.order_by("-seq")[:limit]
    return [turn_payload(turn) for turn in reversed(list(turns))]
