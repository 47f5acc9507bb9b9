"""django-q2 tasks of the omnichannel adapters."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings


def wechat_messages_recover_task() -> dict[str, int]:
    """Every few minutes (the schedule ships with migration 0003): WeChat messages whose
    process died mid-turn get their turn or their reply (devices.omni.wechat), and
    customer-service sends whose retry schedule was lost or whose process died mid-call are
    tried or given up (devices.omni.outbox)."""
    from devices.omni.outbox import wechat_outbound_sweep
    from devices.omni.wechat import wechat_messages_recover

    minutes = int(getattr(settings, "WECHAT_RECOVER_AFTER_MINUTES", 10))
    report = wechat_messages_recover(stale_after=timedelta(minutes=minutes))
    return {**report, **wechat_outbound_sweep()}


def wechat_outbound_send_task(outbound_id: int) -> str:
    """A retry of a failed customer-service send (a one-off schedule made by the outbox)."""
    from devices.omni.outbox import wechat_outbound_send

    return wechat_outbound_send(outbound_id=outbound_id)
