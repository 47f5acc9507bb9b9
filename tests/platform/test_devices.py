from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from devices.models import Device, DeviceToken
from devices.selectors import device_is_online
from devices.services import (
    DeviceTokenError,
    device_authenticate,
    device_token_issue,
    device_token_revoke,
)

pytestmark = pytest.mark.django_db


def test_the_first_branch_has_the_named_demo_devices() -> None:
    names = set(Device.objects.filter(branch__code="hq-central").values_list("name", flat=True))
    assert {"demo-hall-screen", "demo-kiosk", "demo-vtm"} <= names
    assert Device.objects.get(name="demo-app").kind == Device.Kind.MOBILE_APP
    assert Device.objects.get(name="demo-web").kind == Device.Kind.WEB


def test_issue_device_token_prints_a_token_that_authenticates() -> None:
    out = StringIO()
    call_command("issue_device_token", "demo-kiosk", stdout=out)
    token = out.getvalue().strip()
    assert device_authenticate(token=token).name == "demo-kiosk"


def test_only_a_hash_of_the_token_is_stored() -> None:
    token = device_token_issue(device=Device.objects.get(name="demo-vtm"))
    record = DeviceToken.objects.get(prefix=token.split("_")[1])
    assert token.split("_", 2)[2] not in record.secret_hash
    assert len(record.secret_hash) == 64


def test_issue_device_token_fails_for_an_unknown_device() -> None:
    with pytest.raises(CommandError, match="No device named 'nope'"):
        call_command("issue_device_token", "nope", stdout=StringIO())


def test_a_revoked_token_no_longer_authenticates() -> None:
    device = Device.objects.get(name="demo-kiosk")
    token = device_token_issue(device=device)
    device_token_revoke(token=device.tokens.get(prefix=token.split("_")[1]))
    with pytest.raises(DeviceTokenError, match="revoked"):
        device_authenticate(token=token)


def test_a_token_with_a_wrong_secret_is_refused() -> None:
    token = device_token_issue(device=Device.objects.get(name="demo-kiosk"))
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(DeviceTokenError, match="unknown"):
        device_authenticate(token=forged)


def test_a_disabled_device_cannot_authenticate() -> None:
    device = Device.objects.get(name="demo-hall-screen")
    token = device_token_issue(device=device)
    Device.objects.filter(pk=device.pk).update(is_active=False)
    with pytest.raises(DeviceTokenError, match="disabled"):
        device_authenticate(token=token)


def test_authenticating_marks_the_device_as_seen() -> None:
    device = Device.objects.get(name="demo-web")
    token = device_token_issue(device=device)
    device_authenticate(token=token)
    device.refresh_from_db()
    assert device_is_online(device)
