"""Listening to channel-layer groups the way an avatar socket or the agent console does, and
running on-commit pushes inside a test's transaction."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.test import TestCase


class GroupListener:
    """A channel on the channel layer that joined some groups, like an avatar socket does."""

    def __init__(self, *groups: str) -> None:
        self.layer = get_channel_layer()
        # A plain (not process-specific) name: channels-redis then reads it straight from
        # Redis, without a receive buffer tied to one event loop, so frames() can run twice.
        self.channel = f"test-listener-{uuid.uuid4().hex}"
        for group in groups:
            async_to_sync(self.layer.group_add)(group, self.channel)

    def frames(self, limit: int = 50, first_wait: float = 3.0) -> list[dict[str, Any]]:
        """Every frame delivered so far. The pushes were sent before this is called; the first
        read may still take a moment over Redis (a new connection on a busy machine), later
        ones only drain what is left."""

        async def drain() -> list[dict[str, Any]]:
            received = []
            for _ in range(limit):
                wait = first_wait if not received else 0.3
                try:
                    message = await asyncio.wait_for(self.layer.receive(self.channel), wait)
                except TimeoutError:
                    break
                received.append(message["frame"])
            return received

        return async_to_sync(drain)()


def capture_commits():  # noqa: ANN201 - a context manager
    """Run on-commit callbacks (the pushes) at the end of the block, inside the test's
    transaction."""
    return TestCase.captureOnCommitCallbacks(execute=True)
