"""Running campaigns are worked through every 15 minutes (quiet hours are checked per run)."""

from django.db import migrations
from django.utils import timezone


def forwards(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.get_or_create(
        name="outbound-campaigns",
        defaults={
            "func": "scenarios.outbound.tasks.run_due_campaigns",
            "schedule_type": "I",
            "minutes": 15,
            "repeats": -1,
            "next_run": timezone.now(),
        },
    )


def backwards(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="outbound-campaigns").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("outbound", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
