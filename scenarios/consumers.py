"""The remote-agent console's websocket (`/ws/agent/`): live sessions, transcripts, takeover.

Only a logged-in member of the remote-agent group connects (checked before accept). The socket
joins the console group (a `session.updated` row whenever a session changes) and, while the
agent watches a session, that session's group (each `turn` as it is stored). Actions go through
the services in `scenarios.takeover`, which check again who may do what.

Client frames: `ping`, `sessions`, `watch {session_id}`, `unwatch`, `take_over {session_id,
note?}`, `say {session_id, text}`, `hand_back {session_id, note?}`, `presence {presence,
capacity?}`, `transfer {session_id, to, note?}`, `accept_transfer {session_id}`,
`decline_transfer {session_id}`. Server frames: `hello`, `pong`, `sessions`, `transcript`,
`session.updated`, `session.removed`, `turn`, `ack`, `presence`, `error {code, message}`.

With routing queues configured (`scenarios.agentrouting`) the socket shows an agent only what
is routed to them: the session list is their inbox, a `session.updated` row of a session routed
elsewhere becomes `session.removed`, and watching such a session is refused.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from bank_ai import json_limits
from scenarios.agentrouting.selectors import agent_presence
from scenarios.agentrouting.services import (
    RoutingError,
    agent_presence_set,
    transfer_accept,
    transfer_decline,
    transfer_offer,
)
from scenarios.takeover import (
    CONSOLE_GROUP,
    TakeoverError,
    agent_say,
    can_take_over,
    console_presence_mark,
    console_session_group,
    takeover_end,
    takeover_start,
)

MAX_FRAME_BYTES = 16 * 1024
CLOSE_FORBIDDEN = 4403
# Not 1009: daphne (autobahn) lets an application send only 1000 or 3000-4999 and turns any
# other code into a crash and 1011. 4009 is the avatar protocol's "frame too large" as well.
CLOSE_FRAME_TOO_LARGE = 4009


def _session_id(frame: dict[str, Any]) -> str | None:
    try:
        return str(uuid.UUID(str(frame.get("session_id", ""))))
    except ValueError:
        return None


@database_sync_to_async
def _sessions(user: Any) -> list[dict[str, Any]]:
    from scenarios.agentrouting.selectors import inbox_for

    return inbox_for(user)


@database_sync_to_async
def _visible(user: Any, session_id: str) -> bool:
    from scenarios.agentrouting.selectors import session_visible_to

    return session_visible_to(user, session_id)


@database_sync_to_async
def _inbox_overlay(user: Any, session_id: str) -> dict[str, Any] | None:
    from scenarios.agentrouting.selectors import inbox_overlay

    return inbox_overlay(user, session_id)


@database_sync_to_async
def _inbox_row(user: Any, session_id: str) -> dict[str, Any] | None:
    from scenarios.agentrouting.selectors import inbox_row

    return inbox_row(user, session_id)


@database_sync_to_async
def _transcript(session_id: str) -> dict[str, Any] | None:
    from scenarios.models import DialogueSession
    from scenarios.selectors import live_session_row, session_transcript

    session = DialogueSession.objects.select_related("flow", "device__branch").filter(pk=session_id)
    session = session.first()
    if session is None:
        return None
    return {"session": live_session_row(session), "turns": session_transcript(session)}


def _agent_named(username: Any) -> Any:
    from django.contrib.auth import get_user_model

    if not isinstance(username, str) or not username:
        return None
    return get_user_model().objects.filter(username=username, is_active=True).first()


class AgentConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        self.watching: str | None = None
        if not await database_sync_to_async(can_take_over)(user):
            await self.close(code=CLOSE_FORBIDDEN)  # before accept: the handshake gets 403
            return
        await self.channel_layer.group_add(CONSOLE_GROUP, self.channel_name)
        await database_sync_to_async(console_presence_mark)()
        await self.accept()
        await self.send_frame(
            {
                "type": "hello",
                "user": user.get_username(),
                "sessions": await _sessions(user),
                "presence": await database_sync_to_async(agent_presence)(user),
            }
        )

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(CONSOLE_GROUP, self.channel_name)
        if self.watching:
            await self.channel_layer.group_discard(
                console_session_group(self.watching), self.channel_name
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
            frame = json_limits.loads(raw)
        except json_limits.JSONTooDeep as exc:
            await self.send_error("malformed", str(exc))
            return
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

    # ------------------------------------------------------------------ handlers

    async def on_ping(self, frame: dict[str, Any]) -> None:
        await database_sync_to_async(console_presence_mark)()
        await self.send_frame({"type": "pong", "echo": frame.get("nonce")})

    async def on_sessions(self, frame: dict[str, Any]) -> None:
        await self.send_frame({"type": "sessions", "sessions": await _sessions(self.scope["user"])})

    async def on_watch(self, frame: dict[str, Any]) -> None:
        session_id = _session_id(frame)
        if session_id is None:
            await self.send_error("invalid", "'session_id' must be a session's UUID.")
            return
        if not await _visible(self.scope["user"], session_id):
            await self.send_error("routed_to_other", "This session is routed to another agent.")
            return
        # Join first, then read: a turn stored in between arrives twice (the console drops
        # repeated seq numbers) rather than never.
        await self._leave_watched()
        await self.channel_layer.group_add(console_session_group(session_id), self.channel_name)
        self.watching = session_id
        transcript = await _transcript(session_id)
        if transcript is None:
            await self._leave_watched()
            await self.send_error("session_not_found", f"No session {session_id}.")
            return
        await self.send_frame({"type": "transcript", **transcript})

    async def on_unwatch(self, frame: dict[str, Any]) -> None:
        await self._leave_watched()
        await self.send_frame({"type": "ack", "action": "unwatch"})

    async def on_take_over(self, frame: dict[str, Any]) -> None:
        await self._act(frame, "take_over", takeover_start, note=str(frame.get("note", ""))[:500])

    async def on_say(self, frame: dict[str, Any]) -> None:
        text = frame.get("text")
        if not isinstance(text, str):
            await self.send_error("invalid", "'text' must be a string.")
            return
        await self._act(frame, "say", agent_say, text=text)

    async def on_hand_back(self, frame: dict[str, Any]) -> None:
        await self._act(frame, "hand_back", takeover_end, note=str(frame.get("note", ""))[:500])

    async def on_presence(self, frame: dict[str, Any]) -> None:
        presence, capacity = frame.get("presence"), frame.get("capacity")
        if capacity is not None and (isinstance(capacity, bool) or not isinstance(capacity, int)):
            await self.send_error("invalid", "'capacity' must be a whole number.")
            return
        try:
            await database_sync_to_async(agent_presence_set)(
                user=self.scope["user"], presence=str(presence), capacity=capacity
            )
        except RoutingError as exc:
            await self.send_error(exc.code, str(exc))
            return
        state = await database_sync_to_async(agent_presence)(self.scope["user"])
        await self.send_frame({"type": "presence", **state})
        await self.send_frame({"type": "sessions", "sessions": await _sessions(self.scope["user"])})

    async def on_transfer(self, frame: dict[str, Any]) -> None:
        to = await database_sync_to_async(_agent_named)(frame.get("to"))
        if to is None:
            await self.send_error("invalid", "'to' must name an agent.")
            return
        note = str(frame.get("note", ""))[:500]
        await self._act(frame, "transfer", transfer_offer, to_agent=to, note=note)

    async def on_accept_transfer(self, frame: dict[str, Any]) -> None:
        await self._act(frame, "accept_transfer", transfer_accept)

    async def on_decline_transfer(self, frame: dict[str, Any]) -> None:
        await self._act(frame, "decline_transfer", transfer_decline)

    HANDLERS = {
        "ping": on_ping,
        "sessions": on_sessions,
        "watch": on_watch,
        "unwatch": on_unwatch,
        "take_over": on_take_over,
        "say": on_say,
        "hand_back": on_hand_back,
        "presence": on_presence,
        "transfer": on_transfer,
        "accept_transfer": on_accept_transfer,
        "decline_transfer": on_decline_transfer,
    }

    # ------------------------------------------------------------------ helpers

    async def _act(self, frame: dict[str, Any], action: str, service: Any, **kwargs: Any) -> None:
        session_id = _session_id(frame)
        if session_id is None:
            await self.send_error("invalid", "'session_id' must be a session's UUID.")
            return
        try:
            await database_sync_to_async(service)(
                session_id=session_id, agent=self.scope["user"], **kwargs
            )
        except (TakeoverError, RoutingError) as exc:
            await self.send_error(exc.code, str(exc))
            return
        row = await _inbox_row(self.scope["user"], session_id)
        await self.send_frame({"type": "ack", "action": action, "session": row})

    async def _leave_watched(self) -> None:
        if self.watching:
            await self.channel_layer.group_discard(
                console_session_group(self.watching), self.channel_name
            )
            self.watching = None

    async def push_frame(self, event: dict[str, Any]) -> None:
        frame = event["frame"]
        if frame.get("type") == "session.updated" and isinstance(frame.get("session"), dict):
            # The row is the same for every console; who may see it is not.
            session_id = str(frame["session"].get("id"))
            overlay = await _inbox_overlay(self.scope["user"], session_id)
            if overlay is None:
                frame = {"type": "session.removed", "session_id": session_id}
            else:
                frame = {"type": "session.updated", "session": {**frame["session"], **overlay}}
        await self.send_frame(frame)

    async def send_frame(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(frame, ensure_ascii=False))

    async def send_error(self, code: str, message: str) -> None:
        await self.send_frame({"type": "error", "code": code, "message": message})
