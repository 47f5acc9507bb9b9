"""Branches, service types, counters and queue tickets join the domain (issue 14, step 2).

The models were `devices` models; their tables (devices_*) stay as they are. This migration
only adds them to the `branches` state, and renames their content types (with their
permissions) from `devices` to `branches`, so roles and groups keep what they were given.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MOVED = ["branch", "servicetype", "branchservice", "counter", "ticketsequence", "ticket"]


def _relabel(apps, schema_editor, source: str, target: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    already = set(
        content_type.objects.filter(app_label=target, model__in=MOVED).values_list("model", flat=True)
    )
    content_type.objects.filter(app_label=source, model__in=set(MOVED) - already).update(
        app_label=target
    )


def content_types_to_branches(apps, schema_editor) -> None:
    _relabel(apps, schema_editor, "devices", "branches")


def content_types_to_devices(apps, schema_editor) -> None:
    _relabel(apps, schema_editor, "branches", "devices")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('devices', '0124_playlist_video_items'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # State only: the tables keep their devices_* names, no row moves.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Branch',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.SlugField(max_length=40, unique=True, verbose_name='code')),
                        ('name_zh', models.CharField(max_length=120, verbose_name='name (Chinese)')),
                        ('name_en', models.CharField(max_length=120, verbose_name='name (English)')),
                        ('address_zh', models.CharField(blank=True, max_length=255, verbose_name='address (Chinese)')),
                        ('address_en', models.CharField(blank=True, max_length=255, verbose_name='address (English)')),
                        ('phone', models.CharField(blank=True, max_length=40, verbose_name='phone')),
                        ('timezone', models.CharField(default='Asia/Shanghai', max_length=64, verbose_name='time zone')),
                        ('opening_hours', models.JSONField(blank=True, default=list, verbose_name='opening hours')),
                        ('is_active', models.BooleanField(default=True, verbose_name='active')),
                    ],
                    options={
                        'verbose_name': 'branch',
                        'verbose_name_plural': 'branches',
                        'db_table': 'devices_branch',
                        'ordering': ['code'],
                    },
                ),
                migrations.CreateModel(
                    name='ServiceType',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.SlugField(max_length=40, unique=True, verbose_name='code')),
                        ('name_zh', models.CharField(max_length=80, verbose_name='name (Chinese)')),
                        ('name_en', models.CharField(max_length=80, verbose_name='name (English)')),
                        ('materials', models.JSONField(blank=True, default=dict, verbose_name='materials to bring')),
                        ('keywords', models.JSONField(blank=True, default=dict, verbose_name='keywords')),
                        ('intents', models.JSONField(blank=True, default=list, verbose_name='intents')),
                    ],
                    options={
                        'verbose_name': 'service type',
                        'verbose_name_plural': 'service types',
                        'db_table': 'devices_servicetype',
                        'ordering': ['code'],
                    },
                ),
                migrations.CreateModel(
                    name='Counter',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.PositiveSmallIntegerField(verbose_name='number')),
                        ('name_zh', models.CharField(max_length=60, verbose_name='name (Chinese)')),
                        ('name_en', models.CharField(max_length=60, verbose_name='name (English)')),
                        ('is_open', models.BooleanField(default=True, verbose_name='open')),
                        ('branch', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='counters', to='branches.branch')),
                        ('services', models.ManyToManyField(blank=True, db_table='devices_counter_services', related_name='counters', to='branches.servicetype')),
                    ],
                    options={
                        'verbose_name': 'counter',
                        'verbose_name_plural': 'counters',
                        'db_table': 'devices_counter',
                        'ordering': ['branch', 'number'],
                    },
                ),
                migrations.CreateModel(
                    name='BranchService',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('ticket_prefix', models.CharField(max_length=2, verbose_name='ticket prefix')),
                        ('average_minutes', models.PositiveSmallIntegerField(default=10, verbose_name='average handling minutes')),
                        ('branch', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='services', to='branches.branch')),
                        ('service', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='branches', to='branches.servicetype')),
                    ],
                    options={
                        'verbose_name': 'branch service',
                        'verbose_name_plural': 'branch services',
                        'db_table': 'devices_branchservice',
                    },
                ),
                migrations.CreateModel(
                    name='Ticket',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('day', models.DateField(verbose_name='day')),
                        ('number', models.PositiveIntegerField(verbose_name='number')),
                        ('display', models.CharField(max_length=12, verbose_name='ticket')),
                        ('status', models.CharField(choices=[('waiting', 'Waiting'), ('called', 'Called'), ('served', 'Served'), ('no_show', 'No show'), ('cancelled', 'Cancelled')], default='waiting', max_length=10, verbose_name='status')),
                        ('language', models.CharField(default='zh-hans', max_length=10, verbose_name='language')),
                        ('session_id', models.UUIDField(blank=True, null=True, verbose_name='dialogue session')),
                        ('call_count', models.PositiveSmallIntegerField(default=0, verbose_name='times called')),
                        ('issued_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='issued')),
                        ('called_at', models.DateTimeField(blank=True, null=True, verbose_name='called')),
                        ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished')),
                        ('branch', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='tickets', to='branches.branch', verbose_name='branch')),
                        ('branch_service', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='tickets', to='branches.branchservice', verbose_name='service')),
                        ('called_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='called by')),
                        ('counter', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='tickets', to='branches.counter', verbose_name='counter')),
                        ('issued_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='devices.device', verbose_name='issued by device')),
                    ],
                    options={
                        'verbose_name': 'queue ticket',
                        'verbose_name_plural': 'queue tickets',
                        'db_table': 'devices_ticket',
                        'ordering': ['day', 'issued_at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='TicketSequence',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('day', models.DateField(verbose_name='day')),
                        ('last_number', models.PositiveIntegerField(default=0, verbose_name='last number')),
                        ('branch_service', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='branches.branchservice')),
                    ],
                    options={
                        'verbose_name': 'ticket sequence',
                        'verbose_name_plural': 'ticket sequences',
                        'db_table': 'devices_ticketsequence',
                    },
                ),
                migrations.AddConstraint(
                    model_name='counter',
                    constraint=models.UniqueConstraint(fields=('branch', 'number'), name='uniq_branch_counter'),
                ),
                migrations.AddConstraint(
                    model_name='branchservice',
                    constraint=models.UniqueConstraint(fields=('branch', 'service'), name='uniq_branch_service'),
                ),
                migrations.AddConstraint(
                    model_name='branchservice',
                    constraint=models.UniqueConstraint(fields=('branch', 'ticket_prefix'), name='uniq_branch_prefix'),
                ),
                migrations.AddIndex(
                    model_name='ticket',
                    index=models.Index(fields=['branch', 'day', 'status'], name='ticket_queue_idx'),
                ),
                migrations.AddConstraint(
                    model_name='ticket',
                    constraint=models.UniqueConstraint(fields=('branch_service', 'day', 'number'), name='uniq_ticket_number_day'),
                ),
                migrations.AddConstraint(
                    model_name='ticketsequence',
                    constraint=models.UniqueConstraint(fields=('branch_service', 'day'), name='uniq_ticket_seq_day'),
                ),
            ],
        ),
        migrations.RunPython(content_types_to_branches, content_types_to_devices),
    ]
