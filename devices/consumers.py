"""The avatar websocket. Authentication happens before accept; frames are size-checked JSON."""

from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils import timezone

from devices.services import device_heartbeat

PROTOCOL = "bank-avatar/0.1"
MAX_FRAME_BYTES = 16 * 1024

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FRAME_TOO_LARGE = 1009


class AvatarConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        device = self.scope.get("device")
        user = self.scope.get("user")
        if self.scope.get("device_token_rejected") or (
            device is None and not (user is not None and user.is_authenticated)
        ):
            # Closing before accept makes daphne refuse the handshake (HTTP 403).
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        await self.accept()
        if device is not None:
            await database_sync_to_async(device_heartbeat)(device=device)
        await self.send_frame(
            {
                "type": "hello",
                "protocol": PROTOCOL,
                "device": device.name if device else None,
                "user": None if device else user.get_username(),
                "server_time": timezone.now().isoformat(),
            }
        )

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        raw = text_data if text_data is not None else (bytes_data or b"").decode("utf-8", "replace")
        if len(raw.encode("utf-8")) > MAX_FRAME_BYTES:
            await self.send_error(
                "frame_too_large", f"Frames are limited to {MAX_FRAME_BYTES} bytes."
            )
            await self.close(code=CLOSE_FRAME_TOO_LARGE)
            return
        try:
            frame = json.loads(raw)
        except json.JSONDecodeError:
            await self.send_error("malformed", "Frames must be JSON objects.")
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            await self.send_error("malformed", "Frames must be JSON objects with a string 'type'.")
            return
        handler = self.HANDLERS.get(frame["type"])
        if handler is None:
            await self.send_error("unknown_type", f"Unknown frame type {frame['type']!r}.")
            return
        await handler(self, frame)

    async def on_ping(self, frame: dict[str, Any]) -> None:
        device = self.scope.get("device")
        if device is not None:
            await database_sync_to_async(device_heartbeat)(device=device)
        await self.send_frame(
            {"type": "pong", "server_time": timezone.now().isoformat(), "echo": frame.get("nonce")}
        )

    async def on_echo(self, frame: dict[str, Any]) -> None:
        text = frame.get("text")
        if not isinstance(text, str):
            await self.send_error("invalid", "'text' must be a string.")
            return
        await self.send_frame({"type": "echo", "text": text})

    HANDLERS = {"ping": on_ping, "echo": on_echo}

    async def send_frame(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(frame, ensure_ascii=False))

    async def send_error(self, code: str, message: str) -> None:
        await self.send_frame({"type": "error", "code": code, "message": message})
