from __future__ import annotations

import json
from collections.abc import Callable

from django.db import transaction

from bank_ai.demo import DATA_DIRS
from scenarios.branches.models import Branch, BranchService, Counter, ServiceType
from scenarios.touchpoints.selectors import device_by_name, device_group_by_name
from scenarios.touchpoints.services import (
    device_change,
    device_group_create,
    device_group_join,
    device_register,
)

# The first branch's devices carry fixed names the README and the tests refer to.
FIRST_BRANCH_DEVICE_NAMES = {
    "hall_screen": "demo-hall-screen",
    "kiosk": "demo-kiosk",
    "vtm": "demo-vtm",
}
CAPABILITIES = {
    "hall_screen": {"display": "1920x1080", "speech_synthesis": True, "touch": False},
    "kiosk": {
        "display": "1080x1920",
        "speech_synthesis": True,
        "speech_recognition": True,
        "touch": True,
        "ticket_printer": True,
    },
    "vtm": {
        "display": "1920x1080",
        "speech_synthesis": True,
        "speech_recognition": True,
        "touch": True,
        "card_reader": True,
        "id_reader": True,
        "camera": True,
        "receipt_printer": True,
        "cash": True,
    },
    # The app backend logs customers in itself, so it may tell a session who the customer is.
    "mobile_app": {
        "speech_synthesis": True,
        "speech_recognition": True,
        "touch": True,
        "customer_identity": True,
    },
    "web": {"speech_synthesis": True},
}


@transaction.atomic
def seed(log: Callable[[str], None]) -> dict[str, int]:
    records = json.loads((DATA_DIRS["devices"] / "branches.json").read_text(encoding="utf-8"))
    devices = 0
    for position, record in enumerate(records):
        branch, _ = Branch.objects.get_or_create(
            code=record["code"],
            defaults={
                "name_zh": record["name"]["zh-hans"],
                "name_en": record["name"]["en"],
                "address_zh": record["address"]["zh-hans"],
                "address_en": record["address"]["en"],
                "phone": record.get("phone", ""),
                "timezone": record.get("timezone", "Asia/Shanghai"),
                "opening_hours": record.get("opening_hours", []),
            },
        )
        for service in record["services"]:
            service_type, _ = ServiceType.objects.get_or_create(
                code=service["code"],
                defaults={
                    "name_zh": service["name"]["zh-hans"],
                    "name_en": service["name"]["en"],
                    "materials": service.get("materials", {}),
                },
            )
            BranchService.objects.get_or_create(
                branch=branch,
                service=service_type,
                defaults={
                    "ticket_prefix": service["ticket_prefix"],
                    "average_minutes": service.get("avg_minutes", 10),
                },
            )
        for counter_record in record["counters"]:
            counter, created = Counter.objects.get_or_create(
                branch=branch,
                number=counter_record["number"],
                defaults={
                    "name_zh": counter_record["name"]["zh-hans"],
                    "name_en": counter_record["name"]["en"],
                },
            )
            if created:
                counter.services.set(
                    ServiceType.objects.filter(code__in=counter_record["services"])
                )
        group_name = f"{branch.code}-screens"
        group = device_group_by_name(group_name) or device_group_create(
            name=group_name, branch=branch, description=f"All screens in {branch.name_en}"
        )
        for kind in ("hall_screen", "kiosk", "vtm"):
            name = (
                FIRST_BRANCH_DEVICE_NAMES[kind]
                if position == 0
                else f"{branch.code}-{kind.replace('_', '-')}"
            )
            device = device_by_name(name) or device_register(
                name=name, kind=kind, branch=branch, capabilities=CAPABILITIES[kind]
            )
            if not device.groups.filter(pk=group.pk).exists():
                device_group_join(device=device, group=group)
            devices += 1
    for name, kind in (("demo-app", "mobile_app"), ("demo-web", "web")):
        device = device_by_name(name) or device_register(
            name=name, kind=kind, capabilities=CAPABILITIES[kind]
        )
        # Capabilities added since the device was created (keys an operator set stay as set).
        missing = {k: v for k, v in CAPABILITIES[kind].items() if k not in device.capabilities}
        if missing:
            device_change(device=device, capabilities={**device.capabilities, **missing})
        devices += 1
    log(f"branches: {len(records)}, devices: {devices}")
    return {"branches": len(records), "devices": devices}
