"""The hourly django-q2 schedule that rolls up the last days' KPIs (scenarios.analytics.tasks)."""

from django.db import migrations

NAME = "analytics: daily KPI roll-ups"


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(
        name=NAME,
        defaults={
            "func": "scenarios.analytics.tasks.rollup_recent_task",
            "schedule_type": "H",  # Schedule.HOURLY: a day's late events land within the hour
            "repeats": -1,
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]
    operations = [migrations.RunPython(create_schedule, remove_schedule)]
