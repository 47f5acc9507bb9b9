"""Schedule the knowledge sweep: expired and unpublished pages leave retrieval within 15 minutes,
and pages published outside the page editor are indexed."""

from django.db import migrations

NAME = "knowledge-sweep"
FUNC = "content.tasks.knowledge_sweep_task"


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    if not Schedule.objects.filter(name=NAME).exists():
        Schedule.objects.create(
            name=NAME,
            func=FUNC,
            schedule_type="I",  # Schedule.MINUTES
            minutes=15,
            repeats=-1,
        )


def drop_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("content", "0002_question_hits"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedule, drop_schedule)]
