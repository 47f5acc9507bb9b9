"""Rebuild the customer-need clusters every night."""

from django.db import migrations

NAME = "mine-customer-needs"
FUNC = "content.needs.tasks.mine_needs_task"


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    if not Schedule.objects.filter(name=NAME).exists():
        Schedule.objects.create(
            name=NAME, func=FUNC, schedule_type="D", repeats=-1  # Schedule.DAILY
        )


def drop_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("needs", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedule, drop_schedule)]
