"""The answer audit keeps the touchpoint as an opaque id, not a key into an app (issue 14, step 3).

`AnswerAudit.device` (a foreign key to the device registry) becomes `touchpoint_id`, a plain
indexed integer in the same column `device_id`: the foreign key constraint is dropped, the
values and the index stay, no row is touched (the table is append-only anyway).

Reversing restores the foreign key, which PostgreSQL only accepts while every id still names an
existing device; the check below says which ones do not instead of failing on the constraint.
"""

from django.db import migrations, models


def forwards(apps, schema_editor) -> None:
    """Nothing to do going forward: the ids stay as they are."""


def dangling_ids_refuse_the_key(apps, schema_editor) -> None:
    audit = apps.get_model("ai", "AnswerAudit")
    device = apps.get_model("devices", "Device")
    used = set(
        audit.objects.exclude(touchpoint_id=None)
        .values_list("touchpoint_id", flat=True)
        .distinct()
    )
    missing = used - set(device.objects.filter(pk__in=used).values_list("pk", flat=True))
    if missing:
        raise RuntimeError(
            "ai_answeraudit names devices that no longer exist (ids "
            f"{sorted(missing)[:20]}); the audit is append-only, so the foreign key cannot "
            "be restored. Recreate those devices or stay on this migration."
        )


class Migration(migrations.Migration):

    dependencies = [
        ('ai', '0004_chunk_search_length'),
    ]

    operations = [
        migrations.AlterField(
            model_name='answeraudit',
            name='device',
            field=models.BigIntegerField(blank=True, db_column='device_id', db_index=True, null=True, verbose_name='touchpoint'),
        ),
        migrations.RenameField(
            model_name='answeraudit',
            old_name='device',
            new_name='touchpoint_id',
        ),
        migrations.RunPython(forwards, dangling_ids_refuse_the_key, elidable=True),
    ]
