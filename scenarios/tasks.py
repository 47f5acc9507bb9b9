"""django-q2 tasks of the scenarios. Schedule them through `scenarios.reminders`."""

from __future__ import annotations


def send_repayment_reminder(reminder_id: int) -> str:
    from scenarios.reminders import repayment_reminder_send

    return repayment_reminder_send(reminder_id=reminder_id).status


def schedule_upcoming_repayment_reminders() -> int:
    from scenarios.reminders import repayment_reminders_schedule_upcoming

    return repayment_reminders_schedule_upcoming()
