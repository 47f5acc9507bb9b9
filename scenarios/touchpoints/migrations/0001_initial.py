"""Devices and device groups join the domain as the touchpoint registry (issue 14, step 3).

The models were `devices` models; their tables (devices_device, devices_devicegroup and the
groups many-to-many table devices_device_groups) stay as they are. This migration only adds
them to the `touchpoints` state, and renames their content types (with their permissions) from
`devices` to `touchpoints`, so roles, groups and object permissions keep what they were given
(a content type keeps its id; only its app label changes).
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

MOVED = ["device", "devicegroup"]


def _relabel(apps, schema_editor, source: str, target: str) -> None:
    """Give the content types (and so their permissions and grants) the other app label.

    A content type under the target label as well can only be the empty one `post_migrate`
    creates when this code runs with the migration unapplied (migrating back and forth with
    the new code installed); it is dropped so that the one holding the grants keeps them.
    """
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        moving = content_type.objects.filter(app_label=source, model=model).first()
        if moving is None:
            continue
        content_type.objects.filter(app_label=target, model=model).delete()
        moving.app_label = target
        moving.save(update_fields=["app_label"])


def content_types_to_touchpoints(apps, schema_editor) -> None:
    _relabel(apps, schema_editor, "devices", "touchpoints")


def content_types_to_devices(apps, schema_editor) -> None:
    _relabel(apps, schema_editor, "touchpoints", "devices")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('branches', '0001_initial'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('devices', '0125_wsb_branches_to_domain'),
    ]

    operations = [
        # State only: the tables keep their devices_* names, no row moves.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='DeviceGroup',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=80, unique=True, verbose_name='name')),
                        ('description', models.CharField(blank=True, max_length=255, verbose_name='description')),
                        ('branch', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='device_groups', to='branches.branch')),
                    ],
                    options={
                        'verbose_name': 'device group',
                        'verbose_name_plural': 'device groups',
                        'db_table': 'devices_devicegroup',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='Device',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.SlugField(max_length=80, unique=True, verbose_name='name')),
                        ('kind', models.CharField(choices=[('hall_screen', 'Hall screen'), ('kiosk', 'Kiosk'), ('vtm', 'VTM'), ('mobile_app', 'Mobile app'), ('web', 'Web channel')], max_length=20, verbose_name='kind')),
                        ('capabilities', models.JSONField(blank=True, default=dict, verbose_name='capabilities')),
                        ('is_active', models.BooleanField(default=True, verbose_name='active')),
                        ('last_seen_at', models.DateTimeField(blank=True, null=True, verbose_name='last seen')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created')),
                        ('branch', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='devices', to='branches.branch')),
                        ('groups', models.ManyToManyField(blank=True, db_table='devices_device_groups', related_name='devices', to='touchpoints.devicegroup')),
                    ],
                    options={
                        'verbose_name': 'device',
                        'verbose_name_plural': 'devices',
                        'db_table': 'devices_device',
                        'ordering': ['name'],
                    },
                ),
            ],
        ),
        migrations.RunPython(content_types_to_touchpoints, content_types_to_devices),
    ]
