"""The browser clients' server side: start menus per device kind, every UI action rendered,
a signed-in customer over the socket, uploads that leave the turn to the socket."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client as HttpClient

from devices.menus import DEVICE_MENUS, device_menu
from devices.models import Device
from scenarios.models import Customer, DialogueSession, Flow
from tests.avatar.conftest import Client, token_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BASE = Path(settings.BASE_DIR)
CLIENT_JS = BASE / "devices/static/devices/avatar-client.js"


def _renderers() -> set[str]:
    source = CLIENT_JS.read_text(encoding="utf-8")
    block = source[source.index("const RENDERERS = {") : source.index("function disableAll")]
    found = re.findall(r"^    (?:\"([\w.]+)\"|(\w+))\(action", block, re.M)
    return {quoted or bare for quoted, bare in found}


def _documented_actions() -> set[str]:
    doc = (BASE / "docs/avatar-protocol.md").read_text(encoding="utf-8")
    table = doc[doc.index("### UI actions") : doc.index("## 4. Avatar cues")]
    types: set[str] = set()
    for line in table.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            types.update(re.findall(r"`(\w+)`", first_cell))
    types.discard("type")  # the table's header
    return types


def _emitted_actions() -> set[str]:
    """Every action type the dialogue code and flow data can put in `actions`."""
    types: set[str] = set()
    for path in (BASE / "scenarios/dialogue").rglob("*.py"):
        types.update(re.findall(r"\"type\": \"(\w+)\"", path.read_text(encoding="utf-8")))
    for path in (BASE / "scenarios/dialogue").rglob("flows.json"):
        types.update(re.findall(r"\"type\": \"(\w+)\"", path.read_text(encoding="utf-8")))
    return types


def test_every_action_type_the_server_can_emit_or_the_protocol_defines_has_a_renderer() -> None:
    renderers = _renderers()
    documented, emitted = _documented_actions(), _emitted_actions()
    assert len(documented) >= 30
    assert {"show_chart", "rating", "request_documents"} <= emitted
    assert documented - renderers == set(), "documented actions without a renderer"
    assert emitted - renderers == set(), "emitted actions without a renderer"


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("hall_screen", ["card_quiz", "ticket", "materials", "broadcasts"]),
        ("vtm", ["super_teller", "vtm_card_loss", "vtm_balance_statement"]),
        ("mobile_app", ["credit_card", "card_use", "card_activation", "pre_sales", "after_sales"]),
    ],
)
def test_each_device_kind_opens_on_its_own_menu(kind: str, expected: list[str]) -> None:
    keys = [entry["key"] for entry in device_menu(kind=kind, language="en")]
    assert keys[: len(expected)] == expected


def test_menu_labels_come_from_the_flows_and_a_switched_off_flow_is_not_offered() -> None:
    flow = Flow.objects.get(code="vtm_transfer")
    zh = {entry["key"]: entry for entry in device_menu(kind="vtm", language="zh-hans")}
    assert zh["vtm_transfer"]["label"] == flow.name_zh
    assert {entry["flow"] for entry in zh.values()} <= set(
        Flow.objects.values_list("code", flat=True)
    )
    flow.is_active = False
    flow.save()
    assert "vtm_transfer" not in {e["key"] for e in device_menu(kind="vtm", language="en")}


def test_card_use_needs_a_signed_in_customer_on_the_app_menu() -> None:
    entry = next(e for e in device_menu(kind="mobile_app", language="en") if e["key"] == "card_use")
    assert entry["needs_customer"] is True
    entries = [entry for menu in DEVICE_MENUS.values() for entry in menu]
    assert all(entry.flow for entry in entries if entry.key != "broadcasts")


def test_only_the_paired_app_page_lists_demo_customers(client: HttpClient) -> None:
    staff = UserFactory()
    staff.groups.add(Group.objects.get(name="branch staff"))
    client.force_login(staff)

    def config(url: str) -> dict:
        html = client.get(url).content.decode()
        found = re.search(r'<script id="avatar-config"[^>]*>(.*?)</script>', html)
        assert found
        return json.loads(found.group(1))

    app = config("/devices/demo-app/console/")
    assert app["customers"]
    assert app["customers"][0]["customer_no"].startswith("C")
    assert config("/devices/demo-kiosk/console/")["customers"] == []
    assert config("/devices/client/mobile/")["customers"] == []
    hall = config("/devices/demo-hall-screen/console/")
    assert hall["large_text"] is True
    assert hall["idle_seconds"] > 0
    assert hall["layout"] == "hall"


def _start(device: str, customer_no: str) -> list[dict]:
    token = token_for(device)

    async def run() -> list[dict]:
        client = Client(f"/ws/avatar/?token={token}")
        await client.connect()
        await client.send(
            {
                "type": "session.start",
                "scenario": "card_use",
                "language": "en",
                "customer_no": customer_no,
            }
        )
        frames = [await client.recv()]
        if frames[0]["type"] == "session.ready":
            frames.append(await client.recv())
        await client.close()
        return frames

    return async_to_sync(run)()


def test_the_app_socket_starts_card_use_for_the_customer_it_signs_in() -> None:
    customer = Customer.objects.filter(cards__isnull=False).first()
    ready, greeting = _start("demo-app", customer.customer_no)
    assert ready["type"] == "session.ready"
    assert greeting["type"] == "answer.done"
    assert DialogueSession.objects.get(pk=ready["session_id"]).customer == customer


def test_a_screen_without_customer_identity_may_not_name_a_customer() -> None:
    customer = Customer.objects.first()
    (refused,) = _start("demo-kiosk", customer.customer_no)
    assert refused["type"] == "error"
    assert refused["code"] == "customer_forbidden"
    (unknown,) = _start("demo-app", "C000000000")
    assert unknown["code"] == "unknown_customer"
    assert not DialogueSession.objects.filter(flow__code="card_use").exists()
    assert Device.objects.get(name="demo-kiosk").capabilities.get("customer_identity") is None
