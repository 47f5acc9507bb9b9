"""Helpers for driving the avatar socket in-process (channels' WebsocketCommunicator)."""

from __future__ import annotations

from typing import Any

import pytest
from channels.testing import WebsocketCommunicator

from bank_ai.asgi import application
from devices.models import Device
from devices.services import device_token_issue

TIMEOUT = 90  # the first knowledge answer loads the embedding model
# channels' default of 1 s fails handshakes on a loaded machine, not on a broken server.
CONNECT_TIMEOUT = 15


def token_for(name: str = "demo-kiosk") -> str:
    return device_token_issue(device=Device.objects.get(name=name))


class Client:
    """A thin async wrapper that keeps what a real client keeps: the highest seq seen."""

    def __init__(self, path: str, headers: list[tuple[bytes, bytes]] | None = None, **kw: Any):
        self.ws = WebsocketCommunicator(application, path, headers=headers or [], **kw)
        self.last_seq = 0
        self.session_id: str | None = None
        self.seen: list[dict[str, Any]] = []

    async def connect(self) -> tuple[bool, Any]:
        connected, detail = await self.ws.connect(timeout=CONNECT_TIMEOUT)
        if connected:
            hello = await self.recv()
            assert hello["type"] == "hello"
        return connected, detail

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send_json_to(frame)

    async def recv(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        frame = await self.ws.receive_json_from(timeout=timeout)
        self.seen.append(frame)
        if "seq" in frame and frame.get("type") not in {"answer.delta", "turn.ack"}:
            self.last_seq = max(self.last_seq, frame["seq"])
        if frame.get("type") == "session.ready":
            self.session_id = frame["session_id"]
        return frame

    async def recv_until(self, kind: str, timeout: float = TIMEOUT) -> list[dict[str, Any]]:
        """Frames up to and including the first of type `kind`."""
        frames = []
        while True:
            frame = await self.recv(timeout)
            frames.append(frame)
            if frame["type"] == kind:
                return frames

    async def start(self, scenario: str = "credit_card", language: str = "zh-hans") -> dict:
        await self.send({"type": "session.start", "scenario": scenario, "language": language})
        ready = await self.recv()
        assert ready["type"] == "session.ready", ready
        greeting = await self.recv()
        assert greeting["type"] == "answer.done", greeting
        return greeting

    async def say(self, text: str, source: str = "typed") -> list[dict[str, Any]]:
        await self.send({"type": "user.text", "text": text, "source": source, "id": "t"})
        return await self.recv_until("answer.done")

    async def close(self) -> None:
        await self.ws.disconnect()


@pytest.fixture
def kiosk_token(db: None) -> str:
    return token_for("demo-kiosk")
