"""The device registry's own services (scenarios.touchpoints.services): what they refuse, what
they tell the channels."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from devices.services import DeviceTokenError, device_authenticate, device_token_issue
from scenarios import events
from scenarios.branches.models import Branch
from scenarios.touchpoints.models import Device, DeviceGroup
from scenarios.touchpoints.services import (
    DeviceError,
    device_change,
    device_delete,
    device_disable,
    device_enable,
    device_group_change,
    device_group_create,
    device_group_delete,
    device_group_join,
    device_group_leave,
    device_register,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def branches() -> tuple[Branch, Branch]:
    first, second = Branch.objects.order_by("code")[:2]
    return first, second


@pytest.fixture
def told() -> Iterator[list[Any]]:
    received: list[Any] = []
    for kind in (events.DeviceDisabled, events.DeviceRemoved):
        events.subscribe(kind, received.append)
    yield received
    for kind in (events.DeviceDisabled, events.DeviceRemoved):
        events.unsubscribe(kind, received.append)


def _refused(excinfo: pytest.ExceptionInfo[DeviceError], field: str) -> str:
    return " ".join(excinfo.value.errors[field])


def test_registering_stores_the_device_with_its_branch_capabilities_and_groups(
    branches: tuple[Branch, Branch],
) -> None:
    branch, _ = branches
    group = device_group_create(name="lobby", branch=branch)
    device = device_register(
        name="lobby-kiosk-2",
        kind=Device.Kind.KIOSK,
        branch=branch,
        capabilities={"touch": True, "display": "1080x1920", "max_waiting_takeovers": 5},
        groups=[group],
    )
    stored = Device.objects.get(name="lobby-kiosk-2")
    assert stored.pk == device.pk
    assert stored.branch == branch
    assert stored.capabilities == {
        "touch": True,
        "display": "1080x1920",
        "max_waiting_takeovers": 5,
    }
    assert list(stored.groups.all()) == [group]
    assert stored.is_active


def test_registering_refuses_an_unknown_capability(branches: tuple[Branch, Branch]) -> None:
    with pytest.raises(DeviceError) as excinfo:
        device_register(
            name="kiosk-x", kind="kiosk", branch=branches[0], capabilities={"card_reeder": True}
        )
    assert "card_reeder" in _refused(excinfo, "capabilities")
    assert not Device.objects.filter(name="kiosk-x").exists()


@pytest.mark.parametrize(
    "capabilities",
    [
        {"touch": "yes"},
        {"max_waiting_takeovers": True},
        {"max_waiting_takeovers": -1},
        {"display": "big"},
        ["touch"],
    ],
)
def test_registering_refuses_a_capability_value_of_the_wrong_type(
    branches: tuple[Branch, Branch], capabilities: Any
) -> None:
    with pytest.raises(DeviceError) as excinfo:
        device_register(name="kiosk-x", kind="kiosk", branch=branches[0], capabilities=capabilities)
    assert set(excinfo.value.errors) == {"capabilities"}


def test_registering_refuses_a_taken_or_malformed_name_and_an_unknown_kind() -> None:
    with pytest.raises(DeviceError) as excinfo:
        device_register(name="demo-app", kind="fax")
    assert "demo-app" in _refused(excinfo, "name")
    assert "fax" in _refused(excinfo, "kind")
    with pytest.raises(DeviceError) as excinfo:
        device_register(name="kiosk 2", kind="web")
    assert set(excinfo.value.errors) == {"name"}


def test_a_kiosk_hall_screen_or_vtm_is_registered_in_a_branch_only() -> None:
    with pytest.raises(DeviceError) as excinfo:
        device_register(name="kiosk-nowhere", kind="kiosk")
    assert set(excinfo.value.errors) == {"branch"}
    assert device_register(name="web-anywhere", kind="web").branch is None


def test_a_device_is_not_placed_in_a_closed_branch(branches: tuple[Branch, Branch]) -> None:
    branch, _ = branches
    Branch.objects.filter(pk=branch.pk).update(is_active=False)
    branch.refresh_from_db()
    with pytest.raises(DeviceError) as excinfo:
        device_register(name="kiosk-closed", kind="kiosk", branch=branch)
    assert branch.code in _refused(excinfo, "branch")


def test_a_device_joins_only_groups_of_its_own_branch_or_of_none(
    branches: tuple[Branch, Branch],
) -> None:
    first, second = branches
    device = device_register(name="kiosk-a", kind="kiosk", branch=first)
    elsewhere = device_group_create(name="elsewhere", branch=second)
    with pytest.raises(DeviceError) as excinfo:
        device_group_join(device=device, group=elsewhere)
    assert "elsewhere" in _refused(excinfo, "groups")
    everywhere = device_group_create(name="everywhere")
    device_group_join(device=device, group=everywhere)
    assert list(device.groups.all()) == [everywhere]
    device_group_leave(device=device, group=everywhere)
    assert not device.groups.exists()


def test_moving_a_device_to_another_branch_is_refused_while_it_is_in_a_group_of_the_old(
    branches: tuple[Branch, Branch],
) -> None:
    first, second = branches
    group = device_group_create(name="first-screens", branch=first)
    device = device_register(name="kiosk-a", kind="kiosk", branch=first, groups=[group])
    with pytest.raises(DeviceError) as excinfo:
        device_change(device=device, branch=second)
    assert set(excinfo.value.errors) == {"groups"}
    device_change(device=device, branch=second, groups=[])
    assert Device.objects.get(pk=device.pk).branch == second


def test_a_change_checks_only_what_it_changes(branches: tuple[Branch, Branch]) -> None:
    # A capability key from before the registry checked them does not block a rename.
    device = device_register(name="kiosk-old", kind="kiosk", branch=branches[0])
    Device.objects.filter(pk=device.pk).update(capabilities={"printer": True})
    device_change(device=device, name="kiosk-renamed")
    assert Device.objects.get(pk=device.pk).name == "kiosk-renamed"
    with pytest.raises(DeviceError):
        device_change(device=device, capabilities={"printer": True})


def test_a_change_gives_the_callers_instance_the_stored_values(
    branches: tuple[Branch, Branch],
) -> None:
    device = device_register(name="kiosk-a", kind="kiosk", branch=branches[0])
    device.name = "unsaved-edit"  # a bound form's value, not asked to be saved
    device_change(device=device, capabilities={"touch": True})
    assert device.name == "kiosk-a"
    assert device.capabilities == {"touch": True}


def test_disabling_refuses_the_devices_tokens_and_tells_the_channels(told: list[Any]) -> None:
    device = Device.objects.get(name="demo-web")
    token = device_token_issue(device=device)
    device_disable(device=device)
    assert not Device.objects.get(pk=device.pk).is_active
    assert told == [events.DeviceDisabled(device_id=device.pk)]
    with pytest.raises(DeviceTokenError, match="disabled"):
        device_authenticate(token=token)


def test_enabling_lets_the_unrevoked_token_in_again(told: list[Any]) -> None:
    device = Device.objects.get(name="demo-web")
    token = device_token_issue(device=device)
    device_disable(device=device)
    device_enable(device=device)
    assert device_authenticate(token=token).pk == device.pk
    assert told == [events.DeviceDisabled(device_id=device.pk)]


def test_a_refused_change_neither_writes_nor_tells(told: list[Any]) -> None:
    device = Device.objects.get(name="demo-web")
    with pytest.raises(DeviceError):
        device_change(device=device, is_active=False, capabilities={"teleport": True})
    assert Device.objects.get(pk=device.pk).is_active
    assert told == []


def test_a_rolled_back_disable_closes_no_socket_and_leaves_the_device_active(
    django_capture_on_commit_callbacks: Any,
) -> None:
    device = Device.objects.get(name="demo-web")

    class Rollback(Exception):
        pass

    def disable_then_fail() -> None:
        with transaction.atomic():
            device_disable(device=device)
            raise Rollback

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(Rollback):
        disable_then_fail()
    assert callbacks == []
    assert Device.objects.get(pk=device.pk).is_active


def test_disabling_closes_the_devices_sockets_on_commit(
    django_capture_on_commit_callbacks: Any,
) -> None:
    device = Device.objects.get(name="demo-web")
    with django_capture_on_commit_callbacks() as callbacks:
        device_disable(device=device)
    assert len(callbacks) == 1


def test_deleting_tells_the_channels_and_removes_the_row(told: list[Any]) -> None:
    device = device_register(name="web-gone", kind="web")
    device_pk = device.pk
    device_delete(device=device)
    assert told == [events.DeviceRemoved(device_id=device_pk)]
    assert not Device.objects.filter(pk=device_pk).exists()


def test_a_group_keeps_its_branch_while_devices_of_another_are_in_it(
    branches: tuple[Branch, Branch],
) -> None:
    first, second = branches
    group = device_group_create(name="mixed")
    device_register(name="kiosk-a", kind="kiosk", branch=first, groups=[group])
    with pytest.raises(DeviceError) as excinfo:
        device_group_change(group=group, branch=second)
    assert "kiosk-a" in _refused(excinfo, "branch")
    device_group_change(group=group, branch=first, description="first branch")
    assert DeviceGroup.objects.get(pk=group.pk).branch == first


def test_a_group_name_is_required_and_unique() -> None:
    device_group_create(name="lobby")
    with pytest.raises(DeviceError) as excinfo:
        device_group_create(name="lobby")
    assert "lobby" in _refused(excinfo, "name")
    with pytest.raises(DeviceError):
        device_group_create(name="  ")


def test_deleting_a_group_keeps_its_devices(branches: tuple[Branch, Branch]) -> None:
    group = device_group_create(name="temporary")
    device = device_register(name="kiosk-a", kind="kiosk", branch=branches[0], groups=[group])
    device_group_delete(group=group)
    assert not DeviceGroup.objects.filter(name="temporary").exists()
    assert Device.objects.filter(pk=device.pk).exists()
    assert not device.groups.exists()


def test_a_change_takes_the_groups_from_a_one_pass_iterable(
    branches: tuple[Branch, Branch],
) -> None:
    group = device_group_create(name="lobby", branch=branches[0])
    device = device_register(name="kiosk-a", kind="kiosk", branch=branches[0])
    device_change(device=device, groups=(g for g in [group]))
    assert list(device.groups.all()) == [group]
