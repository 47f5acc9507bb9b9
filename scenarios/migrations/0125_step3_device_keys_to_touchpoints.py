"""Sessions, funnel events and disclosures point at the touchpoint registry in the domain.

Issue 14, step 3: the device models moved from `devices` to `touchpoints` with their table
(devices_device), so the keys only change in the state; no column or constraint changes.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('scenarios', '0124_takeover_withdrawn'),
        ('touchpoints', '0001_initial'),
    ]

    operations = [
        # State only: same table, same column, same constraint.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='dialoguesession',
                    name='device',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='touchpoints.device'),
                ),
                migrations.AlterField(
                    model_name='funnelevent',
                    name='device',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='touchpoints.device'),
                ),
                migrations.AlterField(
                    model_name='disclosureacknowledgement',
                    name='device',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='touchpoints.device'),
                ),
            ],
        ),
    ]
