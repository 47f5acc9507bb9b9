"""Helpers for the branch-hall tests: the demo branch and service, channel listeners."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from devices.models import Device
from scenarios.branches.models import Branch, ServiceType
from tests.channel_listener import GroupListener, capture_commits


@pytest.fixture
def branch() -> Branch:
    return Device.objects.get(name="demo-hall-screen").branch


@pytest.fixture
def cash() -> ServiceType:
    return ServiceType.objects.get(code="cash")


@pytest.fixture
def listen() -> Callable[..., GroupListener]:
    return GroupListener


@pytest.fixture
def committed() -> Callable[[], Any]:
    return capture_commits
