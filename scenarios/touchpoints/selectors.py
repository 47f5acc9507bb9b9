"""Reads of the device registry (online or not is channel state: `devices.selectors`)."""

from __future__ import annotations

from scenarios.touchpoints.models import Device, DeviceGroup


def device_by_name(name: str) -> Device | None:
    """The device called `name` (with its branch), or None."""
    return Device.objects.select_related("branch").filter(name=name).first()


def device_group_by_name(name: str) -> DeviceGroup | None:
    return DeviceGroup.objects.select_related("branch").filter(name=name).first()
