"""Branches, service types, counters and tickets leave the `devices` state for `branches`.

Device and device group keep their keys to the same table (devices_branch), now the domain's.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('branches', '0001_initial'),
        ('devices', '0124_playlist_video_items'),
        ('scenarios', '0123_wsb_home_branch_to_domain'),
    ]

    operations = [
        # State only: the tables keep their devices_* names, no row moves.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='devicegroup',
                    name='branch',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='device_groups', to='branches.branch'),
                ),
                migrations.RemoveField(
                    model_name='branchservice',
                    name='branch',
                ),
                migrations.RemoveField(
                    model_name='ticket',
                    name='branch',
                ),
                migrations.AlterField(
                    model_name='device',
                    name='branch',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='devices', to='branches.branch'),
                ),
                migrations.RemoveField(
                    model_name='counter',
                    name='branch',
                ),
                migrations.RemoveField(
                    model_name='branchservice',
                    name='service',
                ),
                migrations.RemoveField(
                    model_name='ticket',
                    name='branch_service',
                ),
                migrations.RemoveField(
                    model_name='ticketsequence',
                    name='branch_service',
                ),
                migrations.RemoveField(
                    model_name='counter',
                    name='services',
                ),
                migrations.RemoveField(
                    model_name='ticket',
                    name='counter',
                ),
                migrations.RemoveField(
                    model_name='ticket',
                    name='called_by',
                ),
                migrations.RemoveField(
                    model_name='ticket',
                    name='issued_by',
                ),
                migrations.DeleteModel(
                    name='Branch',
                ),
                migrations.DeleteModel(
                    name='BranchService',
                ),
                migrations.DeleteModel(
                    name='TicketSequence',
                ),
                migrations.DeleteModel(
                    name='ServiceType',
                ),
                migrations.DeleteModel(
                    name='Counter',
                ),
                migrations.DeleteModel(
                    name='Ticket',
                ),
            ],
        ),
    ]
