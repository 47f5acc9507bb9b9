"""Repayment reminders: scheduled with django-q2 before the due date, sent once, through a
notification channel."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django_q.models import Schedule

from scenarios.models import (
    CardStatement,
    CustomerNotification,
    RepaymentReminder,
)
from scenarios.reminders import (
    ReminderError,
    repayment_reminder_schedule,
    repayment_reminder_send,
    repayment_reminders_schedule_upcoming,
)
from scenarios.tasks import send_repayment_reminder
from tests.factories import unpaid_statement

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def statement() -> CardStatement:
    return unpaid_statement(customer_no="C209910001")


def test_scheduling_creates_one_django_q_schedule_at_nine_the_chosen_days_before(
    statement: CardStatement,
) -> None:
    reminder = repayment_reminder_schedule(card=statement.card, statement=statement, days_before=3)
    expected = datetime.combine(statement.due_date - timedelta(days=3), time(9), tzinfo=SHANGHAI)
    assert reminder.remind_at == expected
    schedule = Schedule.objects.get(name=reminder.schedule_name)
    assert schedule.func == "scenarios.tasks.send_repayment_reminder"
    assert schedule.schedule_type == Schedule.ONCE
    assert schedule.next_run == expected
    assert schedule.args == repr(reminder.pk)


def test_scheduling_twice_changes_nothing(statement: CardStatement) -> None:
    first = repayment_reminder_schedule(card=statement.card, statement=statement, days_before=3)
    second = repayment_reminder_schedule(card=statement.card, statement=statement, days_before=3)
    assert first.pk == second.pk
    assert RepaymentReminder.objects.count() == 1
    assert Schedule.objects.filter(name=first.schedule_name).count() == 1


def test_the_task_sends_the_reminder_to_the_app_inbox_once(statement: CardStatement) -> None:
    reminder = repayment_reminder_schedule(card=statement.card, statement=statement, days_before=2)
    assert send_repayment_reminder(reminder.pk) == "sent"
    assert send_repayment_reminder(reminder.pk) == "sent"
    note = CustomerNotification.objects.get(customer=statement.card.customer)
    assert note.kind == "repayment_reminder"
    assert "RMB 3,210.50" in note.body
    assert "ending 7777" in note.body
    reminder.refresh_from_db()
    assert reminder.delivery_ref == f"inbox:{note.pk}"
    assert reminder.message == note.body
    assert reminder.sent_at is not None


def test_a_statement_repaid_before_the_reminder_fires_is_skipped(statement: CardStatement) -> None:
    reminder = repayment_reminder_schedule(card=statement.card, statement=statement, days_before=2)
    CardStatement.objects.filter(pk=statement.pk).update(paid_amount=statement.new_balance)
    assert repayment_reminder_send(reminder_id=reminder.pk).status == "skipped"
    assert not CustomerNotification.objects.exists()


@pytest.mark.parametrize("days", [0, 11])
def test_a_lead_time_out_of_range_is_refused(statement: CardStatement, days: int) -> None:
    with pytest.raises(ReminderError, match="1 to 10"):
        repayment_reminder_schedule(card=statement.card, statement=statement, days_before=days)
    assert not RepaymentReminder.objects.exists()


def test_a_repaid_or_past_due_statement_gets_no_reminder(statement: CardStatement) -> None:
    CardStatement.objects.filter(pk=statement.pk).update(
        due_date=timezone.localdate() - timedelta(1)
    )
    statement.refresh_from_db()
    with pytest.raises(ReminderError, match="passed"):
        repayment_reminder_schedule(card=statement.card, statement=statement, days_before=1)


def test_a_reminder_too_late_for_its_day_is_sent_soon_rather_than_never(
    statement: CardStatement,
) -> None:
    now = timezone.now()
    CardStatement.objects.filter(pk=statement.pk).update(due_date=timezone.localdate(now))
    statement.refresh_from_db()
    reminder = repayment_reminder_schedule(
        card=statement.card, statement=statement, days_before=3, now=now
    )
    assert reminder.remind_at == now + timedelta(minutes=1)


def test_the_daily_sweep_plans_every_unpaid_statement_still_to_fall_due(
    statement: CardStatement,
) -> None:
    planned = repayment_reminders_schedule_upcoming()
    assert planned >= 1
    assert RepaymentReminder.objects.filter(statement=statement, days_before=3).exists()
    assert repayment_reminders_schedule_upcoming() == planned
    assert RepaymentReminder.objects.filter(statement=statement).count() == 1


def test_the_daily_sweep_is_scheduled() -> None:
    schedule = Schedule.objects.get(name="repayment-reminders-daily")
    assert schedule.func == "scenarios.tasks.schedule_upcoming_repayment_reminders"
    assert schedule.schedule_type == Schedule.DAILY
