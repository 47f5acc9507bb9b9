"""Customer.home_branch points at the branch in the domain (`branches`); same table."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('branches', '0001_initial'),
        ('scenarios', '0122_merge_0101_app_service_flows_0121_hall_teller_flows'),
    ]

    operations = [
        # State only: the tables keep their devices_* names, no row moves.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='customer',
                    name='home_branch',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='customers', to='branches.branch'),
                ),
            ],
        ),
    ]
