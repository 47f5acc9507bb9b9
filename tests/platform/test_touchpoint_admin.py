"""The admin's device registry pages write through the registry's services
(scenarios.touchpoints.services): what they refuse shows as a form error, nothing is saved."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient

from devices import admin as admin_module
from scenarios.branches.models import Branch
from scenarios.touchpoints.models import Device, DeviceGroup

pytestmark = pytest.mark.django_db


def _device_form(**fields: Any) -> dict[str, Any]:
    data = {"name": "", "kind": "", "branch": "", "capabilities": "{}", "is_active": "on"}
    data.update(fields)
    for prefix in ("connections", "tokens"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return data


def _errors(response: Any) -> dict[str, list[str]]:
    return {
        name: list(errors) for name, errors in response.context["adminform"].form.errors.items()
    }


def test_the_admin_refuses_an_unknown_capability_with_a_form_error(
    admin_client: HttpClient,
) -> None:
    device = Device.objects.get(name="demo-kiosk")
    data = _device_form(
        name=device.name,
        kind=device.kind,
        branch=device.branch_id,
        groups=[group.pk for group in device.groups.all()],
        capabilities='{"touch": true, "card_reeder": true}',
    )
    response = admin_client.post(f"/admin/touchpoints/device/{device.pk}/change/", data)
    assert response.status_code == 200
    assert "card_reeder" in " ".join(_errors(response)["capabilities"])
    assert "card_reeder" not in Device.objects.get(pk=device.pk).capabilities


def test_the_admin_adds_a_device_with_its_groups_through_the_service(
    admin_client: HttpClient,
) -> None:
    branch = Branch.objects.order_by("code").first()
    group = DeviceGroup.objects.get(name=f"{branch.code}-screens")
    data = _device_form(
        name="lobby-kiosk-9",
        kind="kiosk",
        branch=branch.pk,
        groups=[group.pk],
        capabilities='{"touch": true}',
    )
    response = admin_client.post("/admin/touchpoints/device/add/", data)
    assert response.status_code == 302, _errors(response)
    device = Device.objects.get(name="lobby-kiosk-9")
    assert response["Location"] == "/admin/touchpoints/device/"
    assert list(device.groups.all()) == [group]
    assert device.capabilities == {"touch": True}


def test_the_admin_refuses_a_kiosk_without_a_branch_and_saves_nothing(
    admin_client: HttpClient,
) -> None:
    response = admin_client.post(
        "/admin/touchpoints/device/add/", _device_form(name="kiosk-nowhere", kind="kiosk")
    )
    assert response.status_code == 200
    assert _errors(response).keys() == {"branch"}
    assert not Device.objects.filter(name="kiosk-nowhere").exists()


def test_the_admin_says_once_that_a_name_is_taken(admin_client: HttpClient) -> None:
    response = admin_client.post(
        "/admin/touchpoints/device/add/", _device_form(name="demo-app", kind="web")
    )
    assert response.status_code == 200
    assert len(_errors(response)["name"]) == 1


def _check_misses(times: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The form's check passes `times` times, as when another admin takes the name between
    the check and the save."""
    real = admin_module.device_check
    calls = {"n": 0}

    def check(**changes: Any) -> None:
        calls["n"] += 1
        if calls["n"] > times:
            real(**changes)

    monkeypatch.setattr(admin_module, "device_check", check)


def test_a_name_taken_between_the_check_and_the_save_is_a_form_error(
    admin_client: HttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _check_misses(1, monkeypatch)
    response = admin_client.post(
        "/admin/touchpoints/device/add/", _device_form(name="demo-app", kind="web")
    )
    assert response.status_code == 200
    assert len(_errors(response)["name"]) == 1
    assert Device.objects.filter(name="demo-app").count() == 1


def test_a_save_refused_twice_is_a_message_not_a_server_error(
    admin_client: HttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _check_misses(2, monkeypatch)
    response = admin_client.post(
        "/admin/touchpoints/device/add/", _device_form(name="demo-app", kind="web"), follow=True
    )
    assert response.redirect_chain == [("/admin/touchpoints/device/add/", 302)]
    assert any("name" in str(message) for message in response.context["messages"])
    assert Device.objects.filter(name="demo-app").count() == 1


def test_the_admin_refuses_to_move_a_group_away_from_its_devices_branch(
    admin_client: HttpClient,
) -> None:
    first, second = Branch.objects.order_by("code")[:2]
    group = DeviceGroup.objects.get(name=f"{first.code}-screens")
    response = admin_client.post(
        f"/admin/touchpoints/devicegroup/{group.pk}/change/",
        {"name": group.name, "branch": second.pk, "description": group.description},
    )
    assert response.status_code == 200
    assert "branch" in _errors(response)
    assert DeviceGroup.objects.get(pk=group.pk).branch == first


def test_the_admin_enable_action_lets_a_disabled_device_in_again(
    admin_client: HttpClient,
) -> None:
    device = Device.objects.get(name="demo-web")
    Device.objects.filter(pk=device.pk).update(is_active=False)
    response = admin_client.post(
        "/admin/touchpoints/device/", {"action": "enable", "_selected_action": [device.pk]}
    )
    assert response.status_code == 302
    assert Device.objects.get(pk=device.pk).is_active


def test_the_admin_deletes_a_device_group(admin_client: HttpClient) -> None:
    group = DeviceGroup.objects.create(name="to-delete")
    response = admin_client.post(
        f"/admin/touchpoints/devicegroup/{group.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not DeviceGroup.objects.filter(pk=group.pk).exists()
