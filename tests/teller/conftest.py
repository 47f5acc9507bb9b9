"""Helpers for the branch-hall tests: the demo branch, its hall screen, and a channel listener."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.test import TestCase

from devices.models import Branch, Device, ServiceType


@pytest.fixture
def branch() -> Branch:
    return Device.objects.get(name="demo-hall-screen").branch


@pytest.fixture
def cash() -> ServiceType:
    return ServiceType.objects.get(code="cash")


class GroupListener:
    """A channel on the channel layer that joined some groups, like an avatar socket does."""

    def __init__(self, *groups: str) -> None:
        self.layer = get_channel_layer()
        self.channel = async_to_sync(self.layer.new_channel)()
        for group in groups:
            async_to_sync(self.layer.group_add)(group, self.channel)

    def frames(self, limit: int = 50) -> list[dict[str, Any]]:
        """Every frame delivered so far (the in-memory layer holds them until read)."""

        async def drain() -> list[dict[str, Any]]:
            import asyncio

            received = []
            for _ in range(limit):
                try:
                    message = await asyncio.wait_for(self.layer.receive(self.channel), 0.2)
                except TimeoutError:
                    break
                received.append(message["frame"])
            return received

        return async_to_sync(drain)()


@pytest.fixture
def listen() -> Callable[..., GroupListener]:
    return GroupListener


@pytest.fixture
def committed() -> Callable[[], Any]:
    """Run on-commit callbacks (the pushes) inside a test's transaction."""

    def capture():  # noqa: ANN202 - a context manager
        return TestCase.captureOnCommitCallbacks(execute=True)

    return capture
