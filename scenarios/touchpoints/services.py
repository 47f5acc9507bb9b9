"""State changes of the device registry: what the bank's operations staff do to touchpoints.

The only code that writes `Device` and `DeviceGroup` rows: the admin, the demo bank and the
channel app call it. The one exception is `Device.last_seen_at`, channel state the channel
layer (`devices.services`) stamps on every heartbeat.

Disabling or deleting a device is told as a domain event (`scenarios.events.DeviceDisabled`,
`DeviceRemoved`) inside the change's transaction; the channel that holds the device's sockets
(`devices`) closes them on commit. Its tokens and pairing tickets stop working with the row:
they are checked against `is_active` at every handshake and request.

A refused change raises `DeviceError`, which says per field what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from scenarios import events
from scenarios.branches.models import Branch
from scenarios.touchpoints.models import Device, DeviceGroup


class DeviceError(Exception):
    """A registry change that was refused; `errors` maps each field to what is wrong with it."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        self.errors = {field: list(messages) for field, messages in errors.items()}
        super().__init__(
            "; ".join(f"{field}: {' '.join(messages)}" for field, messages in self.errors.items())
        )


# ----------------------------------------------------------------------------- capabilities

FLAG = "flag"  # true / false
COUNT = "count"  # a whole number from 0 to MAX_COUNT
DISPLAY = "display"  # the screen's resolution, "1920x1080"
MAX_COUNT = 1000

# What a device may say it can do, and what the code reading it expects. An unknown key is
# refused: a misspelt "card_reeder" would otherwise silently switch a journey's step off.
CAPABILITIES: dict[str, str] = {
    "display": DISPLAY,
    "touch": FLAG,
    "speech_synthesis": FLAG,
    "speech_recognition": FLAG,
    # The server speaks the answers (devices.speech_output) instead of the browser.
    "server_speech": FLAG,
    "camera": FLAG,
    # Card activation reads the card at the machine (scenarios.dialogue.card_activation).
    "card_reader": FLAG,
    "id_reader": FLAG,
    "ticket_printer": FLAG,
    "receipt_printer": FLAG,
    "cash": FLAG,
    # The device may say which customer is using it (the app backend, after its own login).
    "customer_identity": FLAG,
    # Sessions of this device that may wait for an agent at once (scenarios.takeover).
    "max_waiting_takeovers": COUNT,
}
_DISPLAY = re.compile(r"[1-9][0-9]{1,4}x[1-9][0-9]{1,4}")

# Kinds that stand in a branch; the app and the web channel serve customers anywhere.
KINDS_IN_A_BRANCH = frozenset({Device.Kind.HALL_SCREEN, Device.Kind.KIOSK, Device.Kind.VTM})


def _capability_errors(capabilities: Any) -> list[str]:
    if not isinstance(capabilities, Mapping):
        return [_('Capabilities are an object of names and values, e.g. {"touch": true}.')]
    errors = []
    for name, value in capabilities.items():
        kind = CAPABILITIES.get(name)
        if kind is None:
            errors.append(
                _("Unknown capability %(name)s (known: %(known)s).")
                % {"name": name, "known": ", ".join(sorted(CAPABILITIES))}
            )
        elif kind == FLAG and not isinstance(value, bool):
            errors.append(_("Capability %(name)s is true or false.") % {"name": name})
        elif kind == COUNT and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT
        ):
            errors.append(
                _("Capability %(name)s is a whole number from 0 to %(max)d.")
                % {"name": name, "max": MAX_COUNT}
            )
        elif kind == DISPLAY and not (isinstance(value, str) and _DISPLAY.fullmatch(value)):
            errors.append(
                _('Capability %(name)s is a resolution such as "1920x1080".') % {"name": name}
            )
    return errors


# ----------------------------------------------------------------------------- devices


NAME_MAX_LENGTH = 80  # both models' `name`


class DeviceChanges(TypedDict, total=False):
    """The fields of a device staff may set; a change names only those it changes."""

    name: str
    kind: str
    branch: Branch | None
    capabilities: Mapping[str, Any]
    groups: Iterable[DeviceGroup]
    is_active: bool


def _device_errors(device: Device | None, changes: DeviceChanges) -> dict[str, list[str]]:
    """What is wrong with `device` (None: a new one) once `changes` are applied."""
    errors: dict[str, list[str]] = {}

    def refuse(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if "name" in changes:
        name = changes["name"]
        try:
            validate_slug(name)
        except ValidationError:
            refuse("name", _("A name is letters, digits, hyphens and underscores only."))
        else:
            if len(name) > NAME_MAX_LENGTH:
                refuse("name", _("A name is at most 80 characters long."))
            taken = Device.objects.filter(name=name)
            if device is not None:
                taken = taken.exclude(pk=device.pk)
            if taken.exists():
                refuse("name", _("Another device is already called %(name)s.") % {"name": name})
    if "kind" in changes and changes["kind"] not in Device.Kind.values:
        refuse("kind", _("Unknown kind of device %(kind)s.") % {"kind": changes["kind"]})
    if "capabilities" in changes:
        for message in _capability_errors(changes["capabilities"]):
            refuse("capabilities", message)

    kind = changes.get("kind", device.kind if device else "")
    branch = changes.get("branch", device.branch if device else None)
    if "branch" in changes and branch is not None and not branch.is_active:
        refuse("branch", _("Branch %(branch)s is closed.") % {"branch": branch.code})
    if ("kind" in changes or "branch" in changes) and kind in KINDS_IN_A_BRANCH and not branch:
        refuse(
            "branch",
            _("A %(kind)s stands in a branch: choose one.") % {"kind": Device.Kind(kind).label},
        )
    if {"groups", "branch"} & changes.keys():
        if "groups" in changes:
            groups = list(changes["groups"])
        else:
            groups = list(device.groups.all()) if device is not None else []
        for group in groups:
            if group.branch_id is not None and group.branch_id != (branch.pk if branch else None):
                refuse(
                    "groups",
                    _("Group %(group)s is another branch's; the device is not in that branch.")
                    % {"group": group.name},
                )
    return errors


def device_check(*, device: Device | None = None, **changes: Unpack[DeviceChanges]) -> None:
    """Raise DeviceError if registering (`device` None) or changing `device` would be refused.

    For forms that show the errors before saving; the services check again when they write.
    """
    errors = _device_errors(device, changes)
    if errors:
        raise DeviceError(errors)


@transaction.atomic
def device_register(
    *,
    name: str,
    kind: str,
    branch: Branch | None = None,
    capabilities: Mapping[str, Any] | None = None,
    groups: Iterable[DeviceGroup] = (),
    is_active: bool = True,
) -> Device:
    """Add a touchpoint to the registry; it connects once it has a token (devices.services)."""
    fields = DeviceChanges(
        name=name,
        kind=kind,
        branch=branch,
        capabilities={} if capabilities is None else capabilities,
        groups=list(groups),
        is_active=is_active,
    )
    device_check(**fields)
    try:
        with transaction.atomic():
            device = Device.objects.create(
                name=name,
                kind=kind,
                branch=branch,
                capabilities=dict(fields["capabilities"]),
                is_active=is_active,
            )
    except IntegrityError as exc:  # registered at the same moment by someone else
        raise DeviceError(
            {"name": [_("Another device is already called %(name)s.") % {"name": name}]}
        ) from exc
    device.groups.set(fields["groups"])
    return device


_DEVICE_COLUMNS = ("name", "kind", "branch", "capabilities", "is_active")


@transaction.atomic
def device_change(*, device: Device, **changes: Unpack[DeviceChanges]) -> Device:
    """Change what is named in `changes`; disabling closes the device's sockets (on commit).

    The row is locked and re-read: `device` may carry unsaved values (a bound admin form's);
    it gets the stored ones back.
    """
    if "groups" in changes:
        changes["groups"] = list(changes["groups"])  # read twice: checked, then set
    current = Device.objects.select_for_update().get(pk=device.pk)
    device_check(device=current, **changes)
    moved = ("branch" in changes and changes["branch"] != current.branch) or (
        "groups" in changes
        and {g.pk for g in changes["groups"]} != set(current.groups.values_list("pk", flat=True))
    )
    if "name" in changes:
        current.name = changes["name"]
    if "kind" in changes:
        current.kind = changes["kind"]
    if "branch" in changes:
        current.branch = changes["branch"]
    if "capabilities" in changes:
        current.capabilities = dict(changes["capabilities"])
    if "is_active" in changes:
        current.is_active = changes["is_active"]
    columns = [field for field in _DEVICE_COLUMNS if field in changes]
    if columns:
        try:
            with transaction.atomic():
                current.save(update_fields=columns)
        except IntegrityError as exc:
            raise DeviceError(
                {"name": [_("Another device is already called %(name)s.") % {"name": current.name}]}
            ) from exc
    if "groups" in changes:
        current.groups.set(changes["groups"])
    for field in _DEVICE_COLUMNS:
        setattr(device, field, getattr(current, field))
    if changes.get("is_active") is False:
        # Also for a device that was disabled already: a socket that authenticated in the
        # instant before that commit may still be open.
        events.emit(events.DeviceDisabled(device_id=current.pk))
    elif moved and current.is_active:
        events.emit(events.DeviceMoved(device_id=current.pk))
    return device


def device_disable(*, device: Device) -> Device:
    """Disable a device: its tokens and pairing tickets stop working and its sockets close."""
    return device_change(device=device, is_active=False)


def device_enable(*, device: Device) -> Device:
    """Let a disabled device in again; its unrevoked tokens work again."""
    return device_change(device=device, is_active=True)


def device_group_join(*, device: Device, group: DeviceGroup) -> Device:
    """Put the device in `group` (a branch's group only takes that branch's devices)."""
    return device_change(device=device, groups=[*device.groups.all(), group])


def device_group_leave(*, device: Device, group: DeviceGroup) -> Device:
    return device_change(device=device, groups=[g for g in device.groups.all() if g.pk != group.pk])


@transaction.atomic
def device_delete(*, device: Device) -> None:
    """Remove a device from the registry and close its open sockets (on commit).

    Refused by the database (ProtectedError) while records that must be kept point at it.
    """
    events.emit(events.DeviceRemoved(device_id=device.pk))
    device.delete()


# ----------------------------------------------------------------------------- device groups


class DeviceGroupChanges(TypedDict, total=False):
    name: str
    branch: Branch | None
    description: str


def _group_errors(group: DeviceGroup | None, changes: DeviceGroupChanges) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if "name" in changes:
        name = changes["name"].strip()
        taken = DeviceGroup.objects.filter(name=name)
        if group is not None:
            taken = taken.exclude(pk=group.pk)
        if not name:
            errors["name"] = [_("A group needs a name.")]
        elif len(name) > NAME_MAX_LENGTH:
            errors["name"] = [_("A name is at most 80 characters long.")]
        elif taken.exists():
            errors["name"] = [_("Another group is already called %(name)s.") % {"name": name}]
    if "description" in changes and len(changes["description"]) > 255:
        errors["description"] = [_("A description is at most 255 characters long.")]
    if "branch" in changes and group is not None and changes["branch"] is not None:
        branch = changes["branch"]
        strangers = list(group.devices.exclude(branch=branch).values_list("name", flat=True))
        if strangers:
            errors["branch"] = [
                _("Devices of other branches are in the group: %(names)s.")
                % {"names": ", ".join(strangers)}
            ]
    return errors


def device_group_check(
    *, group: DeviceGroup | None = None, **changes: Unpack[DeviceGroupChanges]
) -> None:
    """Raise DeviceError if creating (`group` None) or changing `group` would be refused."""
    errors = _group_errors(group, changes)
    if errors:
        raise DeviceError(errors)


@transaction.atomic
def device_group_create(
    *, name: str, branch: Branch | None = None, description: str = ""
) -> DeviceGroup:
    """A set of devices that is addressed together (playlists, broadcasts)."""
    device_group_check(name=name, branch=branch, description=description)
    try:
        with transaction.atomic():
            return DeviceGroup.objects.create(
                name=name.strip(), branch=branch, description=description
            )
    except IntegrityError as exc:
        raise DeviceError(
            {"name": [_("Another group is already called %(name)s.") % {"name": name}]}
        ) from exc


@transaction.atomic
def device_group_change(
    *, group: DeviceGroup, **changes: Unpack[DeviceGroupChanges]
) -> DeviceGroup:
    current = DeviceGroup.objects.select_for_update().get(pk=group.pk)
    device_group_check(group=current, **changes)
    if "name" in changes:
        current.name = changes["name"].strip()
    if "branch" in changes:
        current.branch = changes["branch"]
    if "description" in changes:
        current.description = changes["description"]
    fields = [field for field in ("name", "branch", "description") if field in changes]
    if fields:
        try:
            with transaction.atomic():
                current.save(update_fields=fields)
        except IntegrityError as exc:
            raise DeviceError(
                {"name": [_("Another group is already called %(name)s.") % {"name": current.name}]}
            ) from exc
    for field in ("name", "branch", "description"):
        setattr(group, field, getattr(current, field))
    return group


@transaction.atomic
def device_group_delete(*, group: DeviceGroup) -> None:
    """Remove a group: its devices stay (only their membership goes); its playlists go with it."""
    group.delete()
