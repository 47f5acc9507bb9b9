"""The branch hall's demo state: how services are recognised, broadcast playlists, a queue.

Idempotent like every loader: keywords are filled only where an operator left them empty,
playlists are found by name, and waiting tickets are only issued for a branch whose queue is
empty today.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.db import transaction

from bank_ai.demo import DATA_DIRS
from content.models import AntiFraudNoticePage, CampaignPage
from devices.models import Device, DeviceGroup, Playlist, PlaylistItem
from scenarios.branches.models import BranchService, ServiceType, Ticket

# Demo playlists per device group suffix ("<branch>-screens"): anti-fraud notices all day,
# promotions in opening hours on weekdays.
PLAYLISTS = [
    {
        "name": "{branch}: anti-fraud notices",
        "priority": 10,
        "weekdays": [],
        "daily": None,
        "items": [
            ("anti_fraud", "fraud-safe-account"),
            ("anti_fraud", "fraud-screen-sharing"),
            ("anti_fraud", "fraud-fake-refund-customer-service"),
            (
                "notice",
                {
                    "title_zh": "保护好您的验证码",
                    "title_en": "Keep your codes to yourself",
                    "text_zh": "银行工作人员不会向您索要短信验证码、密码或要求您转账到“安全账户”。",
                    "text_en": "Bank staff never ask for your SMS codes or PIN, or ask you to "
                    "move money to a 'safe account'.",
                },
            ),
        ],
    },
    {
        "name": "{branch}: card promotions",
        "priority": 0,
        "weekdays": [0, 1, 2, 3, 4],
        "daily": ("09:00", "17:00"),
        "items": [
            ("promotion", "campaign-new-card-welcome-2026"),
            ("promotion", "campaign-dining-friday-q4-2026"),
            ("promotion", "campaign-etc-signup-2026"),
        ],
    },
]
# Customers already waiting in the first branch's hall when the demo starts.
WAITING = {"cash": 4, "account_opening": 2, "card_services": 3, "foreign_exchange": 1}


def _service_keywords() -> int:
    records = json.loads((DATA_DIRS["devices"] / "service_types.json").read_text(encoding="utf-8"))
    updated = 0
    for code, record in records.items():
        service = ServiceType.objects.filter(code=code).first()
        if service is None:
            continue
        changed = []
        if not service.keywords:
            service.keywords = record["keywords"]
            changed.append("keywords")
        if not service.intents:
            service.intents = record["intents"]
            changed.append("intents")
        if changed:
            service.save(update_fields=changed)
            updated += 1
    return updated


def _article(key_slug: str):  # noqa: ANN202 - a KnowledgeArticle or None
    """The Chinese page of a demo article (the English one is its translation)."""
    for model in (CampaignPage, AntiFraudNoticePage):
        page = model.objects.filter(slug=key_slug, locale__language_code="zh-hans").first()
        if page is not None:
            return page
    return None


def _playlists() -> int:
    from datetime import time

    created = 0
    for group in DeviceGroup.objects.select_related("branch").filter(branch__isnull=False):
        for spec in PLAYLISTS:
            name = spec["name"].format(branch=group.branch.code)
            playlist, new = Playlist.objects.get_or_create(
                name=name,
                device_group=group,
                defaults={
                    "priority": spec["priority"],
                    "weekdays": spec["weekdays"],
                    "daily_start": time.fromisoformat(spec["daily"][0]) if spec["daily"] else None,
                    "daily_end": time.fromisoformat(spec["daily"][1]) if spec["daily"] else None,
                },
            )
            if not new:
                continue
            created += 1
            position = 0
            for kind, ref in spec["items"]:
                if isinstance(ref, dict):
                    position += 1
                    PlaylistItem.objects.create(
                        playlist=playlist, position=position, kind=kind, **ref
                    )
                    continue
                article = _article(ref)
                if article is None:
                    continue
                position += 1
                PlaylistItem.objects.create(
                    playlist=playlist, position=position, kind=kind, article=article
                )
            # Published through the service so the first schedule tick does not re-announce.
            from devices.broadcasts import playlist_publish

            playlist_publish(playlist=playlist)
    return created


def _waiting_tickets() -> int:
    from bank_ai.demo.branches import FIRST_BRANCH_DEVICE_NAMES
    from scenarios.branches.selectors import branch_today
    from scenarios.branches.services import ticket_issue

    screen = Device.objects.filter(name=FIRST_BRANCH_DEVICE_NAMES["hall_screen"]).first()
    branch = screen.branch if screen is not None else None
    if branch is None or Ticket.objects.filter(branch=branch, day=branch_today(branch)).exists():
        return 0
    issued = 0
    for code, count in WAITING.items():
        branch_service = BranchService.objects.filter(branch=branch, service__code=code).first()
        if branch_service is None:
            continue
        for _ in range(count):
            ticket_issue(branch=branch, service=branch_service.service, language="zh-hans")
            issued += 1
    return issued


@transaction.atomic
def seed(log: Callable[[str], None]) -> dict[str, int]:
    keywords = _service_keywords()
    playlists = _playlists()
    tickets = _waiting_tickets()
    log(
        f"branch hall: {keywords} service types given keywords, {playlists} playlists, "
        f"{tickets} waiting tickets"
    )
    return {"playlists": Playlist.objects.count(), "waiting_tickets": tickets}
