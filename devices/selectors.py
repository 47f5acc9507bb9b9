"""Reads about branches and devices."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from devices.conf import connection_stale_seconds, online_window_seconds
from devices.models import Device, DeviceConnection


def _online_condition() -> Q:
    now = timezone.now()
    live = DeviceConnection.objects.filter(
        device=OuterRef("pk"),
        last_seen_at__gte=now - timedelta(seconds=connection_stale_seconds()),
    )
    return Q(last_seen_at__gte=now - timedelta(seconds=online_window_seconds())) | Q(Exists(live))


def devices_online(queryset: QuerySet[Device] | None = None) -> QuerySet[Device]:
    """Active devices with a live socket or a heartbeat within the online window."""
    queryset = Device.objects.all() if queryset is None else queryset
    return queryset.filter(_online_condition(), is_active=True)


def devices_offline(queryset: QuerySet[Device] | None = None) -> QuerySet[Device]:
    queryset = Device.objects.all() if queryset is None else queryset
    return queryset.exclude(pk__in=devices_online().values("pk"))
