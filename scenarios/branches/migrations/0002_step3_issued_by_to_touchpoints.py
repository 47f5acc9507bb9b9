"""Ticket.issued_by points at the touchpoint registry in the domain (issue 14, step 3).

Same table (devices_device), so only the state changes; the column and constraint stay.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('branches', '0001_initial'),
        ('touchpoints', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='ticket',
                    name='issued_by',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='touchpoints.device', verbose_name='issued by device'),
                ),
            ],
        ),
    ]
