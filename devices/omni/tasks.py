"""django-q2 tasks of the omnichannel adapters."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings


def wechat_messages_recover_task() -> dict[str, int]:
    """Every few minutes (the schedule ships with migration 0003): WeChat messages whose
    process died mid-turn get their turn or their reply (devices.omni.wechat)."""
    from devices.omni.wechat import wechat_messages_recover

    minutes = int(getattr(settings, "WECHAT_RECOVER_AFTER_MINUTES", 10))
    return wechat_messages_recover(stale_after=timedelta(minutes=minutes))
