"""Devices and device groups leave the `devices` state for `touchpoints` (issue 14, step 3).

Tokens, open connections and playlists keep their keys to the same tables (devices_device,
devices_devicegroup), now the domain's: the channel layer points down at the registry.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('ai', '0005_step3_answer_audit_touchpoint_id'),
        ('branches', '0002_step3_issued_by_to_touchpoints'),
        ('devices', '0125_wsb_branches_to_domain'),
        ('scenarios', '0125_step3_device_keys_to_touchpoints'),
        ('touchpoints', '0001_initial'),
    ]

    operations = [
        # State only: the tables keep their devices_* names, no row moves.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='devicetoken',
                    name='device',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='tokens', to='touchpoints.device'),
                ),
                migrations.AlterField(
                    model_name='deviceconnection',
                    name='device',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='connections', to='touchpoints.device'),
                ),
                migrations.AlterField(
                    model_name='playlist',
                    name='device_group',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='playlists', to='touchpoints.devicegroup', verbose_name='device group'),
                ),
                migrations.RemoveField(
                    model_name='device',
                    name='groups',
                ),
                migrations.RemoveField(
                    model_name='device',
                    name='branch',
                ),
                migrations.RemoveField(
                    model_name='devicegroup',
                    name='branch',
                ),
                migrations.DeleteModel(
                    name='Device',
                ),
                migrations.DeleteModel(
                    name='DeviceGroup',
                ),
            ],
        ),
    ]
