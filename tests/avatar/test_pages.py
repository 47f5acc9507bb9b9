"""Who may open the demo consoles, and what the pages carry."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client as HttpClient

from devices.models import Device
from devices.services import pairing_ticket_check
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _config(html: str) -> dict:
    found = re.search(r'<script id="avatar-config" type="application/json">(.*?)</script>', html)
    assert found, "the page carries its client configuration"
    return json.loads(found.group(1))


def test_an_anonymous_visitor_is_sent_to_log_in(client: HttpClient) -> None:
    response = client.get("/devices/demo-kiosk/console/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_user_without_the_device_permission_is_refused(client: HttpClient) -> None:
    client.force_login(UserFactory())
    assert client.get("/devices/demo-kiosk/console/").status_code == 403
    assert client.get("/devices/").status_code == 403


@pytest.mark.parametrize(
    ("name", "layout"),
    [
        ("demo-kiosk", "kiosk"),
        ("demo-hall-screen", "hall"),
        ("demo-vtm", "vtm"),
        ("demo-app", "mobile"),
    ],
)
def test_branch_staff_get_the_devices_page_with_a_pairing_ticket(
    client: HttpClient, name: str, layout: str
) -> None:
    staff = UserFactory()
    staff.groups.add(Group.objects.get(name="branch staff"))
    client.force_login(staff)
    html = client.get(f"/devices/{name}/console/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    config = _config(html)
    assert config["layout"] == layout
    assert config["device"] == name
    assert pairing_ticket_check(ticket=config["pair"]) == Device.objects.get(name=name)
    assert "海港银行" in html
    assert "请输入您的问题" in html


def test_the_page_speaks_english_when_asked(client: HttpClient) -> None:
    ops = UserFactory()
    ops.groups.add(Group.objects.get(name="operations"))
    client.force_login(ops)
    html = client.get("/devices/demo-kiosk/console/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Hall assistant" in html
    assert _config(html)["language"] == "en"


def test_a_token_page_needs_no_login_and_carries_no_ticket(client: HttpClient) -> None:
    html = client.get("/devices/client/kiosk/").content.decode()
    assert _config(html)["pair"] == ""
    assert client.get("/devices/client/nonsense/").status_code == 404
