"""Repayment reminders: scheduled with django-q2 before a statement's due date, sent through a
notification channel when they fire (unless the statement has been repaid by then).

Scheduling is idempotent: one reminder per statement, lead time and channel, and one django-q2
`Schedule` per reminder, named after it; asking again moves nothing and creates nothing.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule

from bank_ai.i18n import pick
from scenarios.models import CardStatement, CustomerCard, RepaymentReminder
from scenarios.notifications import (
    NotificationError,
    channel_for,
    delivery_status_after,
)

REMIND_AT = time(9, 0)  # local time of day reminders go out
MAX_DAYS_BEFORE = 10
# The reference a reminder is sent under (and reported back under by a channel that queues it).
REFERENCE = re.compile(r"reminder:(\d+)")
TASK = "scenarios.tasks.send_repayment_reminder"
MESSAGE = {
    "title": {"zh-hans": "信用卡还款提醒", "en": "Credit card repayment reminder"},
    "body": {
        "zh-hans": "您尾号{last4}的{card}本期账单应还{outstanding}元（最低还款{minimum}元），"
        "到期还款日为{due}。请按时还款，避免产生利息和违约金。",
        "en": "Your {card} ending {last4} has RMB {outstanding} to repay (minimum RMB "
        "{minimum}) by {due}. Please repay on time to avoid interest and late fees.",
    },
}


class ReminderError(ValueError):
    """Nothing to remind about (repaid, already due) or a lead time out of range."""


def _outstanding(statement: CardStatement):  # noqa: ANN202 - Decimal
    return statement.new_balance - statement.paid_amount


@transaction.atomic
def repayment_reminder_schedule(
    *,
    card: CustomerCard,
    statement: CardStatement,
    days_before: int,
    channel: str = "app_inbox",
    now: datetime | None = None,
) -> RepaymentReminder:
    if not 1 <= days_before <= MAX_DAYS_BEFORE:
        raise ReminderError(f"reminders go 1 to {MAX_DAYS_BEFORE} days before the due date")
    if statement.card_id != card.pk:
        raise ReminderError("the statement is not this card's")
    channel_for(channel)  # an unknown channel fails here, not when the reminder fires
    now = now or timezone.now()
    today = timezone.localdate(now)
    if _outstanding(statement) <= 0:
        raise ReminderError("this statement is repaid in full")
    if statement.due_date < today:
        raise ReminderError("this statement's due date has passed")
    zone = timezone.get_current_timezone()
    remind_at = datetime.combine(
        statement.due_date - timedelta(days=days_before), REMIND_AT, tzinfo=zone
    )
    # Too late for the usual time: remind in a minute rather than not at all.
    remind_at = max(remind_at, now + timedelta(minutes=1))
    reminder, created = RepaymentReminder.objects.get_or_create(
        statement=statement,
        days_before=days_before,
        channel=channel,
        defaults={
            "card": card,
            "remind_at": remind_at,
            "schedule_name": f"repayment-reminder-{statement.pk}-{days_before}-{channel}",
        },
    )
    if created or reminder.status == RepaymentReminder.Status.SCHEDULED:
        Schedule.objects.update_or_create(
            name=reminder.schedule_name,
            defaults={
                "func": TASK,
                "args": repr(reminder.pk),
                "schedule_type": Schedule.ONCE,
                "next_run": reminder.remind_at,
                "repeats": -1,
            },
        )
    return reminder


def repayment_reminder_message(reminder: RepaymentReminder, language: str) -> tuple[str, str]:
    statement, card = reminder.statement, reminder.card
    due = statement.due_date
    values = {
        "card": card.product.name(language),
        "last4": card.last4,
        "outstanding": f"{_outstanding(statement):,.2f}",
        "minimum": f"{max(statement.minimum_payment - statement.paid_amount, 0):,.2f}",
        "due": f"{due.year}年{due.month}月{due.day}日"
        if language == "zh-hans"
        else f"{due.day} {due:%b %Y}",
    }
    return pick(MESSAGE["title"], language), pick(MESSAGE["body"], language).format(**values)


@transaction.atomic
def repayment_reminder_send(*, reminder_id: int) -> RepaymentReminder:
    """Send a due reminder once; a repaid statement is skipped, a sent one is left alone.

    A channel that refuses it (no linked WeChat follower, outside WeChat's 48-hour window)
    leaves it `failed` with the reason; one that only queues it (WeChat's outbox) leaves it
    `queued` until the channel reports it sent or failed (`repayment_reminder_delivery_record`).
    """
    reminder = (
        RepaymentReminder.objects.select_for_update()
        .select_related("statement", "card__product", "card__customer")
        .get(pk=reminder_id)
    )
    if reminder.status != RepaymentReminder.Status.SCHEDULED:
        return reminder
    statement = reminder.statement
    if _outstanding(statement) <= 0:
        reminder.status = RepaymentReminder.Status.SKIPPED
        reminder.save(update_fields=["status"])
        return reminder
    customer = reminder.card.customer
    language = customer.preferred_language
    title, body = repayment_reminder_message(reminder, language)
    reminder.message = body
    try:
        delivery = channel_for(reminder.channel).send(
            customer=customer,
            kind="repayment_reminder",
            language=language,
            title=title,
            body=body,
            reference=f"reminder:{reminder.pk}",
        )
    except NotificationError as exc:
        reminder.status, reminder.error = RepaymentReminder.Status.FAILED, str(exc)[:300]
        reminder.save(update_fields=["status", "error", "message"])
        return reminder
    reminder.delivery_ref = delivery.ref[:60]
    if delivery.queued:
        reminder.status = RepaymentReminder.Status.QUEUED
    else:
        reminder.status, reminder.sent_at = RepaymentReminder.Status.SENT, timezone.now()
    reminder.save(update_fields=["delivery_ref", "status", "message", "sent_at"])
    return reminder


@transaction.atomic
def repayment_reminder_delivery_record(
    *, reference: str, delivered: bool | None, delivery_ref: str = "", error: str = ""
) -> bool:
    """A channel that queued a reminder reports what became of it (a `delivery_record`
    listener): delivered -> `sent` (with the delivery's reference), given up -> `failed` with
    the reason, sent again by staff after a give-up -> `queued`. False for a reference that is
    not a reminder's."""
    match = REFERENCE.fullmatch(reference or "")
    if match is None:
        return False
    reminder = RepaymentReminder.objects.select_for_update().filter(pk=int(match.group(1))).first()
    if reminder is None:
        return False
    after = delivery_status_after(reminder.status, delivered)
    if after is not None:
        reminder.status = after
        reminder.error = error[:300] if after == RepaymentReminder.Status.FAILED else ""
        if after == RepaymentReminder.Status.SENT:
            reminder.sent_at = timezone.now()
            reminder.delivery_ref = (delivery_ref or reminder.delivery_ref)[:60]
        reminder.save(update_fields=["status", "error", "sent_at", "delivery_ref"])
    return True


def repayment_reminders_schedule_upcoming(
    *, days_before: int = 3, today: date | None = None
) -> int:
    """Plan a reminder for every active card's unpaid statement that is still to fall due."""
    today = today or timezone.localdate()
    scheduled = 0
    for card in CustomerCard.objects.filter(status=CustomerCard.Status.ACTIVE):
        statement = card.statements.order_by("-period_end").first()
        if statement is None or statement.due_date < today or _outstanding(statement) <= 0:
            continue
        repayment_reminder_schedule(card=card, statement=statement, days_before=days_before)
        scheduled += 1
    return scheduled
