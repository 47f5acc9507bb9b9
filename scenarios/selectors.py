"""Reads about customers' cards and spending, and the live sessions the agent console shows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Q, Sum
from django.utils import timezone

from scenarios.models import (
    CardBenefit,
    CardTransaction,
    Customer,
    CustomerCard,
    DialogueSession,
    Takeover,
    Turn,
)
from scenarios.models.dialogue import DEVICE_CHANNELS

# Each step asks the channel index for the next channel after the last one found: a handful
# of index lookups however many sessions there are (a DISTINCT would read every session;
# 460 ms against 2 ms on three million rows).
_RECORDED_CHANNELS_SQL = """
WITH RECURSIVE found(channel) AS (
    (SELECT channel FROM {table} ORDER BY channel LIMIT 1)
    UNION ALL
    SELECT (SELECT s.channel FROM {table} s WHERE s.channel > found.channel
            ORDER BY s.channel LIMIT 1)
    FROM found WHERE found.channel IS NOT NULL
)
SELECT channel FROM found WHERE channel IS NOT NULL
"""


def session_channels() -> list[str]:
    """The channels sessions are opened on: the device channels and any other a session has
    recorded (WeChat, web chat, voice: their adapters live in the channel layer, so the domain
    does not list them), sorted."""
    sql = _RECORDED_CHANNELS_SQL.format(
        table=connection.ops.quote_name(DialogueSession._meta.db_table)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        recorded = {channel for (channel,) in cursor.fetchall() if channel}
    return sorted(set(DEVICE_CHANNELS) | recorded)


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


def customer_cards(customer: Customer) -> list[CustomerCard]:
    """The customer's usable cards, the active ones first (an issued one still counts)."""
    cards = customer.cards.select_related("product").exclude(
        status__in=[CustomerCard.Status.BLOCKED, CustomerCard.Status.CLOSED]
    )
    return sorted(cards, key=lambda card: (card.status != CustomerCard.Status.ACTIVE, card.pk))


def unbilled_purchases(
    card: CustomerCard, minimum: Decimal = Decimal("0")
) -> list[CardTransaction]:
    """Purchases posted after the latest statement (what 交易分期 can convert), largest first."""
    latest = card.statements.order_by("-period_end").first()
    purchases = CardTransaction.objects.filter(card=card, is_refund=False, amount__gte=minimum)
    if latest is not None:
        zone = timezone.get_current_timezone()
        purchases = purchases.filter(
            posted_at__gte=datetime.combine(
                latest.period_end + timedelta(days=1), time.min, tzinfo=zone
            )
        )
    return list(purchases.order_by("-amount", "-posted_at")[:5])


# Which card benefits serve which kind of spending (CardBenefit.category <- CardTransaction).
# Points and cashback benefits are about whatever their title names (see GENERIC_BENEFITS).
BENEFITS_FOR_SPENDING: dict[str, tuple[str, ...]] = {
    "dining": ("dining",),
    "online_shopping": ("online_shopping",),
    "travel": ("travel", "insurance"),
    "airline": ("airline_miles", "lounge", "travel", "insurance"),
    "hotel": ("travel",),
    "fuel": ("fuel", "car_etc"),
    "tolls": ("car_etc",),
    "entertainment": ("entertainment",),
    "education": ("study",),
    "health_beauty": ("female_health",),
    "overseas": ("fx_overseas", "travel"),
}
GENERIC_BENEFITS = {"points", "cashback"}
# Words naming a kind of spending, in a benefit's or a campaign's title and summary.
SPENDING_WORDS: dict[str, tuple[str, ...]] = {
    "dining": ("餐饮", "美食", "dining", "restaurant"),
    "groceries": ("超市", "supermarket", "groceries"),
    "online_shopping": ("网购", "电商", "online shopping", "online purchase", "e-commerce"),
    "travel": ("旅行", "travel"),
    "airline": ("航空", "里程", "机票", "airline", "miles", "flight"),
    "hotel": ("酒店", "hotel"),
    "fuel": ("加油", "fuel"),
    "tolls": ("通行费", "ETC", "toll"),
    "entertainment": ("视频", "电影", "演出", "streaming", "movie", "concert"),
    "education": ("校园", "学习", "campus", "study"),
    "health_beauty": ("健康", "体检", "美容", "美妆", "护肤", "health", "beauty", "skincare"),
    "transport": ("通勤", "出行", "commut"),
    "overseas": ("境外", "海外", "overseas", "abroad"),
}
EVERYTHING = ("全场", "所有消费", "all purchases", "all spending", "everything")


def _named_in(text: str, category: str) -> bool:
    lowered = text.lower()
    return any(word.lower() in lowered for word in SPENDING_WORDS.get(category, ()))


@dataclass(frozen=True)
class BenefitMatch:
    benefit: CardBenefit
    score: Decimal
    categories: tuple[CategorySpend, ...]  # the spending it serves, largest first


def _served(benefit: CardBenefit, spending: list[CategorySpend]) -> tuple[CategorySpend, ...]:
    if benefit.category in GENERIC_BENEFITS:
        title = f"{benefit.title_zh} {benefit.title_en}"
        if any(word.lower() in title.lower() for word in EVERYTHING):
            return tuple(spending)
        return tuple(row for row in spending if _named_in(title, row.category))
    return tuple(
        row for row in spending if benefit.category in BENEFITS_FOR_SPENDING.get(row.category, ())
    )


def benefits_for_spending(
    card: CustomerCard, spending: list[CategorySpend], limit: int = 3
) -> list[BenefitMatch]:
    """The card's benefits ranked by the share of spending they serve times their weight."""
    matches = []
    for benefit in card.product.benefits.all():
        served = _served(benefit, spending)
        share = sum((row.share for row in served), Decimal("0"))
        if share > 0:
            matches.append(BenefitMatch(benefit, share * benefit.weight, served))
    matches.sort(key=lambda match: (-match.score, match.benefit.position))
    return matches[:limit]


@dataclass(frozen=True)
class CampaignMatch:
    campaign: Any  # content.CampaignPage
    score: Decimal
    categories: tuple[CategorySpend, ...]


def campaigns_for_spending(
    card: CustomerCard,
    spending: list[CategorySpend],
    *,
    language: str,
    today: date | None = None,
    limit: int = 2,
) -> list[CampaignMatch]:
    """Live public campaigns open to this card, ranked by the share of spending they reward.

    A campaign tied to another card product is not offered; one tied to this card's product
    counts double, since the customer qualifies without applying for anything.
    """
    from content.models import Audience, CampaignPage

    today = today or timezone.localdate()
    campaigns = (
        CampaignPage.objects.live()
        .filter(locale__language_code=language, audience=Audience.PUBLIC)
        .filter(product_code__in=("", card.product.code))
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=today))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
    )
    matches = []
    for campaign in campaigns:
        # Title and summary say what a campaign rewards; the body's fine print names every
        # kind of spending it excludes, which is no reason to offer it.
        text = f"{campaign.title}\n{campaign.summary}"
        served = tuple(row for row in spending if _named_in(text, row.category))
        share = sum((row.share for row in served), Decimal("0"))
        if share <= 0:
            continue
        if campaign.product_code == card.product.code:
            share *= 2
        matches.append(CampaignMatch(campaign, share, served))
    matches.sort(key=lambda match: (-match.score, match.campaign.pk))
    return matches[:limit]


# ----------------------------------------------------------------------------- agent console


LIVE_WINDOW_MINUTES = 30


def live_session_row(session: DialogueSession) -> dict[str, Any]:
    """One line of the agent console: where the session runs, its state and how it feels."""
    takeover = (
        Takeover.objects.filter(session=session)
        .exclude(state=Takeover.State.ENDED)
        .select_related("agent")
        .first()
    )
    device = session.device
    branch = device.branch if device is not None else None
    last_customer: Mapping[str, Any] = (
        session.turns.filter(role=Turn.Role.CUSTOMER)
        .order_by("-seq")
        .values("text", "created_at", "sentiment")
        .first()
    ) or {}
    now = timezone.now()
    if takeover is not None and takeover.state == Takeover.State.REQUESTED:
        state, waiting_since = "waiting", takeover.requested_at
    elif takeover is not None:
        state, waiting_since = "agent", None
    else:
        state = session.status
        waiting_since = None
    memory: dict[str, Any] = session.memory or {}
    sentiment: dict[str, Any] = memory.get("sentiment", {})
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
        "sentiment": sentiment.get("label") or last_customer.get("sentiment") or "",
        "anger": sentiment.get("anger", 0.0),
        "waiting_seconds": int((now - waiting_since).total_seconds()) if waiting_since else None,
        "idle_seconds": int((now - session.updated_at).total_seconds()),
        "last_text": last_customer.get("text", "")[:120],
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


def active_session_ids_of_customer(customer_id: int) -> list[Any]:
    """The customer's sessions still in dialogue with the AI (where a message can be shown)."""
    return list(
        DialogueSession.objects.filter(
            customer_id=customer_id, status=DialogueSession.Status.ACTIVE
        ).values_list("pk", flat=True)
    )


def live_session_row_by_id(session_id: Any) -> dict[str, Any] | None:
    """`live_session_row` of a session, or None when it is gone."""
    session = DialogueSession.objects.filter(pk=session_id).first()
    return live_session_row(session) if session is not None else None


def turn_payload_by_id(turn_id: int) -> dict[str, Any] | None:
    """The console's view of a stored turn, or None when it is gone."""
    from scenarios.takeover import turn_payload

    turn = Turn.objects.filter(pk=turn_id).first()
    return turn_payload(turn) if turn is not None else None
