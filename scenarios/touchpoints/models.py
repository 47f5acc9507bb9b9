"""The device registry: the bank's touchpoints, where they stand and what they can do.

Domain data (docs/architecture.md, step 3): sessions, funnel events, disclosures and queue
tickets name the touchpoint they happened at, so the registry sits in the domain, below the
channel app `devices` that keeps what is about sockets (tokens, open connections, the session
outbox, playlists). Whether a device is online is channel state: `devices.selectors`.

The tables keep the `devices_*` names they had when `devices` owned these models; the move was
state-only (no row copied, foreign keys unchanged).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scenarios.branches.models import Branch


class DeviceGroup(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    branch = models.ForeignKey(
        Branch, on_delete=models.CASCADE, null=True, blank=True, related_name="device_groups"
    )
    description = models.CharField(_("description"), max_length=255, blank=True)

    class Meta:
        db_table = "devices_devicegroup"
        ordering = ["name"]
        verbose_name = _("device group")
        verbose_name_plural = _("device groups")

    def __str__(self) -> str:
        return self.name


class Device(models.Model):
    class Kind(models.TextChoices):
        HALL_SCREEN = "hall_screen", _("Hall screen")
        KIOSK = "kiosk", _("Kiosk")
        VTM = "vtm", _("VTM")
        MOBILE_APP = "mobile_app", _("Mobile app")
        WEB = "web", _("Web channel")

    name = models.SlugField(_("name"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, null=True, blank=True, related_name="devices"
    )
    groups = models.ManyToManyField(
        DeviceGroup, related_name="devices", blank=True, db_table="devices_device_groups"
    )
    # e.g. {"speech_synthesis": true, "ticket_printer": true, "card_reader": true}; the keys
    # and value types the services accept are `scenarios.touchpoints.services.CAPABILITIES`.
    capabilities = models.JSONField(_("capabilities"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Written by the channel layer on every heartbeat; `devices.selectors.device_is_online`
    # reads it together with the open connections.
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        db_table = "devices_device"
        ordering = ["name"]
        verbose_name = _("device")
        verbose_name_plural = _("devices")

    def __str__(self) -> str:
        return self.name
