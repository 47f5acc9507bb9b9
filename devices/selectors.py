"""Reads about branches and devices."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from devices.models import Device


def devices_online() -> QuerySet[Device]:
    since = timezone.now() - timedelta(seconds=Device.ONLINE_WINDOW_SECONDS)
    return Device.objects.filter(is_active=True, last_seen_at__gte=since)
