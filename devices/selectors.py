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


def device_is_online(device: Device) -> bool:
    """A live socket or a heartbeat within the configured window (devices.conf).

    Unlike `devices_online` it does not look at `is_active`: a disabled device that still
    speaks is online (and is refused at its next handshake).
    """
    now = timezone.now()
    if (
        device.last_seen_at
        and (now - device.last_seen_at).total_seconds() <= online_window_seconds()
    ):
        return True
    return DeviceConnection.objects.filter(
        device=device,
        last_seen_at__gte=now - timedelta(seconds=connection_stale_seconds()),
    ).exists()


def devices_online(queryset: QuerySet[Device] | None = None) -> QuerySet[Device]:
    """Active devices with a live socket or a heartbeat within the online window."""
    queryset = Device.objects.all() if queryset is None else queryset
    return queryset.filter(_online_condition(), is_active=True)


def devices_offline(queryset: QuerySet[Device] | None = None) -> QuerySet[Device]:
    queryset = Device.objects.all() if queryset is None else queryset
    return queryset.exclude(pk__in=devices_online().values("pk"))
