"""Who calls the domain's APIs: a person (a Django user) or a touchpoint (a bank device).

Channel apps authenticate their callers their own way. A channel whose callers are devices
(kiosks, VTMs, hall screens, the app backend) hands the domain a `TouchpointPrincipal` subclass
as `request.user`, so the domain tells devices from people without importing that channel.
"""

from __future__ import annotations

from typing import Any


class TouchpointPrincipal:
    """Stands in for request.user when a device, not a person, calls; never staff, no perms."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_superuser = False
    is_active = True
    pk = None

    def __init__(self, device: Any) -> None:
        # The `touchpoints.Device` that authenticated.
        self.device = device

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return False


def touchpoint_device(user: Any) -> Any | None:
    """The device behind a caller, or None when the caller is a person (or nobody)."""
    return user.device if isinstance(user, TouchpointPrincipal) else None


def is_touchpoint(user: Any) -> bool:
    return isinstance(user, TouchpointPrincipal)
