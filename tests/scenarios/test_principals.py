"""The domain tells a device from a person without importing the devices app."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from devices.api.authentication import DevicePrincipal
from devices.models import Device
from scenarios.principals import is_touchpoint, touchpoint_device

pytestmark = pytest.mark.django_db


def test_a_device_caller_is_a_touchpoint_with_its_device() -> None:
    device = Device.objects.get(name="demo-kiosk")
    principal = DevicePrincipal(device)
    assert is_touchpoint(principal)
    assert touchpoint_device(principal) == device


def test_a_person_is_no_touchpoint() -> None:
    person = get_user_model().objects.get(username="employee")
    assert not is_touchpoint(person)
    assert touchpoint_device(person) is None


def test_an_anonymous_caller_is_no_touchpoint() -> None:
    assert touchpoint_device(AnonymousUser()) is None


def test_a_touchpoint_is_never_staff_and_holds_no_permission() -> None:
    principal = DevicePrincipal(Device.objects.get(name="demo-kiosk"))
    assert (principal.is_staff, principal.is_superuser) == (False, False)
    assert not principal.has_perm("scenarios.view_applicationdocument")
