"""The device registry's move to the domain (issue 14, step 3) keeps rows, keys and grants.

The migrations run back to before the move and forward again inside the test's transaction,
on top of the demo bank, so the schema and the rows are as they were afterwards.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

BEFORE = [("touchpoints", None), ("ai", "0004_chunk_search_length")]


def _migrate(targets: list[tuple[str, str | None]] | None = None) -> Any:
    """Migrate to `targets` (default: the latest) and return the models of that state."""
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    with connection.cursor() as cursor:
        # Each migration normally runs in its own transaction; here they share the test's, so
        # the foreign key checks the test's inserts deferred must run before a table is altered.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    state = executor.migrate(targets)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    ContentType.objects.clear_cache()
    return state.apps


def _foreign_keys_to_devices_device() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text FROM pg_constraint "
            "WHERE contype = 'f' AND confrelid = 'devices_device'::regclass"
        )
        return {row[0] for row in cursor.fetchall()}


def test_the_registry_moves_with_its_rows_keys_and_grants_and_back() -> None:
    keys_now = _foreign_keys_to_devices_device()
    old = _migrate(BEFORE)
    assert "ai_answeraudit" in _foreign_keys_to_devices_device()

    # Before the move: a device of the channel app with a token, a session, a ticket, an audit
    # row, a group permission and an object permission on it.
    device_model = old.get_model("devices", "Device")
    kiosk = device_model.objects.get(name="demo-kiosk")
    devices_before = set(device_model.objects.values_list("pk", "name"))
    groups_before = set(
        device_model.groups.through.objects.values_list("device_id", "devicegroup_id")
    )
    old.get_model("devices", "DeviceToken").objects.create(
        device=kiosk, prefix="mig00000", secret_hash="0" * 64
    )
    session = old.get_model("scenarios", "DialogueSession").objects.create(
        flow=old.get_model("scenarios", "Flow").objects.first(),
        channel="kiosk",
        language="zh-hans",
        device=kiosk,
    )
    old.get_model("ai", "AnswerAudit").objects.create(
        channel="kiosk",
        device=kiosk,
        session_ref=str(session.pk),
        language="zh-hans",
        masked_question="q",
        masked_answer="a",
        answer_kind="answer",
        provider="fake",
        latency_ms=1,
    )
    old_type = ContentType.objects.get(app_label="devices", model="device")
    permission = old.get_model("auth", "Permission").objects.get(
        content_type_id=old_type.pk, codename="change_device"
    )
    user = get_user_model().objects.create_user("migration-check")
    group = old.get_model("auth", "Group").objects.create(name="migration check")
    group.permissions.add(permission)
    group.user_set.add(user.pk)
    watcher = get_user_model().objects.create_user("migration-watcher")
    old.get_model("guardian", "UserObjectPermission").objects.create(
        user_id=watcher.pk,
        permission=permission,
        content_type_id=old_type.pk,
        object_pk=str(kiosk.pk),
    )

    new = _migrate()

    from bank_ai.ai.models import AnswerAudit
    from devices.models import DeviceToken
    from scenarios.models import DialogueSession
    from scenarios.touchpoints.models import Device

    assert _foreign_keys_to_devices_device() == keys_now
    assert "ai_answeraudit" not in keys_now
    assert set(Device.objects.values_list("pk", "name")) == devices_before
    assert set(Device.groups.through.objects.values_list("device_id", "devicegroup_id")) == (
        groups_before
    )
    moved = Device.objects.get(pk=kiosk.pk)
    assert DeviceToken.objects.get(prefix="mig00000").device == moved
    assert DialogueSession.objects.get(pk=session.pk).device == moved
    assert AnswerAudit.objects.filter(touchpoint_id=moved.pk, session_ref=str(session.pk)).exists()
    # Same content type, relabelled: the group's permission and an object grant follow it.
    assert ContentType.objects.get_for_model(Device).pk == old_type.pk
    assert not ContentType.objects.filter(app_label="devices", model="device").exists()
    assert get_user_model().objects.get(pk=user.pk).has_perm("touchpoints.change_device")
    watcher = get_user_model().objects.get(pk=watcher.pk)
    assert watcher.has_perm("touchpoints.change_device", moved)
    assert not watcher.has_perm("touchpoints.change_device", Device.objects.exclude(pk=moved.pk)[0])
    assert not watcher.has_perm("touchpoints.change_device")
    assert new.get_model("touchpoints", "Device")._meta.db_table == "devices_device"

    # And back: the audit's foreign key returns, the content type is the channel app's again.
    _migrate(BEFORE)
    assert "ai_answeraudit" in _foreign_keys_to_devices_device()
    assert ContentType.objects.get(pk=old_type.pk).app_label == "devices"
    _migrate()
    assert ContentType.objects.get(pk=old_type.pk).app_label == "touchpoints"
