"""The routing sweep (overflow, SLA breaches, abandoned waits, assignment) every minute."""

from django.db import migrations
from django.utils import timezone


def forwards(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.get_or_create(
        name="agent-routing-sweep",
        defaults={
            "func": "scenarios.agentrouting.tasks.routing_sweep_task",
            "schedule_type": "I",
            "minutes": 1,
            "repeats": -1,
            "next_run": timezone.now(),
        },
    )


def backwards(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="agent-routing-sweep").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("agentrouting", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
