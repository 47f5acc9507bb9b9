"""The avatar websocket (protocol bank-avatar/1, docs/avatar-protocol.md).

Authentication and the Origin check happen before accept (devices.middleware). The consumer is
thin: it validates frames (devices.protocol), asks the socket's `SocketSequencer`
(devices.socket_sequencer: sequencing, replay, one turn at a time) what to send, and hands the
work to devices.avatar through its `runner`. A turn runs as its own task so pings, pushes and a
disconnect are handled while an answer streams; a disconnect cancels that task and makes the
engine's next streamed chunk raise, which stops generation.

Spoken questions (`audio.*` frames, devices.speech_input) are buffered here and recognised in
the runner; the transcript then runs as a `user.text` turn with `source: asr`. A socket that
asked for server speech gets each answer sentence as `speech.audio` (devices.speech_output).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from bank_ai.ai.masking import mask_pii
from bank_ai.ai.speech import AUDIO_FORMATS
from devices import avatar, conf, processes
from devices.models import Device
from devices.outbox import session_frames_after
from devices.protocol import (
    CLOSE_BAD_SUBPROTOCOL,
    CLOSE_FRAME_TOO_LARGE,
    CLOSE_INTERNAL,
    CLOSE_POLICY,
    CLOSE_REVOKED,
    CLOSE_UNAUTHENTICATED,
    PROTOCOL,
    SUBPROTOCOL,
    ProtocolError,
    error_frame,
    parse_frame,
)
from devices.push import (
    branch_group,
    device_group,
    device_set_group,
    session_group,
    token_group,
)
from devices.ratelimit import TokenBucket
from devices.services import (
    device_connection_bind,
    device_connection_close,
    device_connection_open,
    device_credential_valid,
    device_heartbeat,
)
from devices.socket_sequencer import PushAction, SocketSequencer
from devices.speech_input import Utterance, max_utterance_bytes, transcribe_utterance
from devices.speech_output import (
    SentenceBuffer,
    SpeechError,
    SpokenPart,
    sentences_of,
    speech_frame,
)
from scenarios.conversation import Inbound, adapter_for
from scenarios.dialogue import MAX_TURN_CHARS
from scenarios.services import session_presence

logger = logging.getLogger(__name__)
# Sentences waiting for synthesis on one socket before `speech.say` is refused.
MAX_QUEUED_SENTENCES = 20

# Kept for callers of the 0.1 consumer; the limits now live in devices.conf.
MAX_FRAME_BYTES = conf.max_frame_bytes()
# How often a socket writes that it is alive. Online means a heartbeat within
# DEVICE_ONLINE_WINDOW_SECONDS (90) or an open connection seen within the stale window (600).
HEARTBEAT_WRITE_SECONDS = 30


class SyncRunner(Protocol):
    """How the consumer runs synchronous (database, engine) work and tidies connections."""

    def wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """`function` as an awaitable callable."""
        ...

    async def between_messages(self) -> None:
        """Run before each handled message and after the socket closes."""
        ...


class WorkerThreads:
    """Engine work in the thread pool, so one process answers several sessions at once.

    Each call closes stale database connections of its worker thread before and after it runs
    (channels' `database_sync_to_async`), which is the only place this consumer touches the
    database. Nothing is done between messages: channels' default there is a hop to the
    process's single sync thread for every frame and push of every socket, which at a few
    thousand sockets became a queue of its own in front of every turn.
    """

    # Socket bookkeeping (handshake, credential check, binding, backlog reads, heartbeats) runs
    # on threads of its own: behind dialogue turns in the shared pool, a handshake waited for
    # whole turns under load and daphne cut it. Small and quick, so a few threads are enough.
    BOOKKEEPING_THREADS = 4

    def __init__(self) -> None:
        self.bookkeeping = ThreadPoolExecutor(
            max_workers=self.BOOKKEEPING_THREADS, thread_name_prefix="avatar-socket"
        )

    def wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        if getattr(function, "socket_bookkeeping", False):
            return database_sync_to_async(
                function, thread_sensitive=False, executor=self.bookkeeping
            )
        return database_sync_to_async(function, thread_sensitive=False)

    async def between_messages(self) -> None:
        return None


def bookkeeping(function: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a quick socket call to run on the bookkeeping threads (see WorkerThreads)."""
    function.socket_bookkeeping = True  # type: ignore[attr-defined]
    return function


def _bookkept(function: Callable[..., Any]) -> Callable[..., Any]:
    """A marked wrapper of a function defined elsewhere (it is not changed itself)."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    call.__name__ = getattr(function, "__name__", "call")
    return bookkeeping(call)


def _device_groups(device: Any, token_id: int | None) -> list[str]:
    """The channel groups a device's socket joins (pushes to the device, token, groups, branch)."""
    groups = [device_group(device.pk)]
    if token_id is not None:
        groups.append(token_group(token_id))
    groups += [device_set_group(pk) for pk in device.groups.values_list("pk", flat=True)]
    if device.branch_id:
        groups.append(branch_group(device.branch_id))
    return groups


@bookkeeping
def _bind_and_read_backlog(
    *, channel_name: str | None, session_id: Any, after_seq: int, language: str
) -> list[dict[str, Any]]:
    """One worker call when a session is bound: note it on the connection row (device
    sockets), then read the stored frames the client has not seen."""
    if channel_name is not None:
        device_connection_bind(channel_name=channel_name, session_id=session_id)
    return session_frames_after(session_id=session_id, after_seq=after_seq, language=language)


@bookkeeping
def _register_socket(device: Any, channel_name: str, token_id: int | None) -> list[str]:
    """One worker call at connect: the connection row and the groups to join."""
    device_connection_open(device=device, channel_name=channel_name)
    return _device_groups(device, token_id)


@bookkeeping
def _device_now(device_id: Any, token_id: int | None) -> tuple[Any, list[str]]:
    """The device as stored now and the groups its socket belongs in (None, [] if it was
    disabled or deleted meanwhile: that closes the socket by its own event)."""
    device = Device.objects.filter(pk=device_id, is_active=True).select_related("branch").first()
    return device, (_device_groups(device, token_id) if device is not None else [])


_credential_valid = _bookkept(device_credential_valid)
_heartbeat_write = _bookkept(device_heartbeat)
_connection_close = _bookkept(device_connection_close)
_frames_after = _bookkept(session_frames_after)


class AvatarConsumer(AsyncWebsocketConsumer):
    # Replaced by whoever needs the work elsewhere (the test suite runs it on the test's own
    # thread and connection, inside the test's transaction).
    runner: SyncRunner = WorkerThreads()

    def _run_sync(self, function: Callable[..., Any]) -> Callable[..., Any]:
        return self.runner.wrap(function)

    async def dispatch(self, message: dict[str, Any]) -> None:
        # channels' own dispatch, with the runner deciding about stale connections.
        try:
            handler = getattr(self, get_handler_name(message), None)
            if handler is None:
                raise ValueError(f"No handler for message type {message['type']}")
            await self.runner.between_messages()
            await handler(message)
        except (StopConsumer, asyncio.CancelledError):
            raise
        except Exception:
            # A crash would leave the socket to daphne (1011, a traceback, and no disconnect()
            # for this consumer, so its connection row and group memberships stayed behind).
            logger.exception("avatar socket failed handling %s", message.get("type"))
            await self.close_with(CLOSE_INTERNAL)
            raise StopConsumer() from None

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        # The socket's groups are left in _release (the class-level `groups` is unused).
        await self.disconnect(message.get("code", 1000))
        await self.runner.between_messages()
        raise StopConsumer()

    async def connect(self) -> None:
        self.device = self.scope.get("device")
        self.user = self.scope.get("user")
        self.groups_joined: list[str] = []
        # The part of groups_joined that follows from the device (not a bound session's).
        self.device_groups: list[str] = []
        self.sequencer = SocketSequencer(catch_up_seconds=conf.heartbeat_seconds())
        self.turn_task: asyncio.Task | None = None
        self.gone = threading.Event()
        self.bucket = TokenBucket(conf.rate_per_second(), conf.rate_burst())
        self.refused_in_a_row = 0
        self.last_rate_error = 0.0
        self.last_heartbeat = 0.0
        self.released = False
        # A spoken question being received (audio.start … audio.end).
        self.utterance: Utterance | None = None
        # Server speech: sentences waiting to be synthesised, and the streamed text per answer.
        self.server_speech = False
        self.speech_queue: asyncio.Queue[SpokenPart] = asyncio.Queue()
        self.speech_task: asyncio.Task | None = None
        self.speech_streams: dict[int, SentenceBuffer] = {}
        self.speech_index: dict[int, int] = {}
        if not processes.is_started():
            # The process's first socket: register it and recover what dead processes left.
            await self._run_sync(processes.server_process_start)()
        # The socket is one channel adapter of scenarios.conversation, as registered.
        self.adapter = adapter_for(avatar.AvatarSocketAdapter.channel)
        try:
            self.principal = self.adapter.authenticate(self.scope)
        except PermissionError:
            # Closing before accept makes daphne refuse the handshake (HTTP 403).
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        offered = self.scope.get("subprotocols") or []
        if offered and SUBPROTOCOL not in offered:
            await self.close(code=CLOSE_BAD_SUBPROTOCOL)
            return
        await self.accept(subprotocol=SUBPROTOCOL if offered else None)
        if self.device is not None:
            try:
                token_id = self.scope.get("device_token_id")
                groups = await self._run_sync(_register_socket)(
                    self.device, self.channel_name, token_id
                )
                self.last_heartbeat = time.monotonic()
                # Concurrently: each join is a round trip to Redis.
                self.groups_joined.extend(groups)
                self.device_groups = list(groups)
                await asyncio.gather(
                    *(self.channel_layer.group_add(group, self.channel_name) for group in groups)
                )
                # A revocation committed after the handshake checked the credential but before
                # the socket joined its groups sent its close event to nobody.
                still_valid = await self._run_sync(_credential_valid)(
                    device=self.device, token_id=token_id
                )
            except Exception:
                # A socket that cannot receive pushes must not pretend it can: the client
                # reconnects (and resumes) on 4011.
                logger.exception("avatar socket of %s could not register", self.device)
                await self.close_with(CLOSE_INTERNAL)
                return
            if not still_valid:
                await self.credential_revoked({"reason": "revoked while connecting"})
                return
        await self.send_frame(
            {
                "type": "hello",
                "protocol": PROTOCOL,
                "device": self.device.name if self.device else None,
                "device_kind": self.device.kind if self.device else None,
                "user": None if self.device else self.user.get_username(),
                "server_time": timezone.now().isoformat(),
                "heartbeat_seconds": conf.heartbeat_seconds(),
                "limits": {
                    "max_frame_bytes": conf.max_frame_bytes(),
                    "max_text_chars": MAX_TURN_CHARS,
                    "frames_per_second": conf.rate_per_second(),
                    "burst": conf.rate_burst(),
                    "max_audio_bytes": max_utterance_bytes(),
                    "max_audio_seconds": float(settings.ASR_MAX_SECONDS),
                },
                "audio_formats": list(AUDIO_FORMATS),
            }
        )

    async def disconnect(self, code: int) -> None:
        await self._release()

    async def close_with(self, code: int) -> None:
        """Close from the server side, cleaning up now rather than when the client answers."""
        await self._release()
        await self.close(code=code)

    async def _release(self) -> None:
        """Stop the turn, leave the groups, drop the connection row; once, on every close path."""
        if getattr(self, "released", True):
            return  # already released, or connect() never got as far as setting up
        self.released = True
        self.gone.set()
        if self.turn_task is not None and not self.turn_task.done():
            self.turn_task.cancel()
        if self.speech_task is not None and not self.speech_task.done():
            self.speech_task.cancel()
        self.utterance = None
        try:
            groups, self.groups_joined = list(self.groups_joined), []
            await asyncio.gather(
                *(self.channel_layer.group_discard(group, self.channel_name) for group in groups)
            )
            if self.device is not None:
                await self._run_sync(_connection_close)(channel_name=self.channel_name)
        except Exception:
            # Group memberships expire on their own and a stale connection row stops counting
            # after the stale window: nothing to undo for the client, which is gone anyway.
            logger.warning("avatar socket clean-up failed", exc_info=True)

    async def _join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.append(group)

    async def _leave(self, group: str) -> None:
        await self.channel_layer.group_discard(group, self.channel_name)
        if group in self.groups_joined:
            self.groups_joined.remove(group)

    # ------------------------------------------------------------------ inbound frames

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.gone.is_set():
            return
        if not self.bucket.take():
            await self._refuse_flood()
            return
        self.refused_in_a_row = 0
        if text_data is None:
            await self._receive_audio(bytes_data or b"")
            return
        raw = text_data
        try:
            kind, frame = parse_frame(raw, conf.max_frame_bytes())
        except ProtocolError as exc:
            await self.send_error(exc.code, exc.message, **exc.extra)
            if exc.code == "frame_too_large":
                await self.close_with(CLOSE_FRAME_TOO_LARGE)
            return
        try:
            await self.HANDLERS[kind](self, frame)
        except ProtocolError as exc:
            await self.send_error(exc.code, exc.message, id=frame.get("id"), **exc.extra)
        except Exception:
            # Never let one bad frame take the socket down: log it, tell the client.
            logger.exception("avatar frame %s failed", kind)
            await self.send_error("internal", "The server could not handle this frame.")

    async def _receive_audio(self, data: bytes) -> None:
        """A binary frame: raw bytes of the open utterance (docs section 2a)."""
        if len(data) > conf.max_frame_bytes():
            await self.send_error(
                "frame_too_large", f"Frames are limited to {conf.max_frame_bytes()} bytes."
            )
            await self.close_with(CLOSE_FRAME_TOO_LARGE)
            return
        try:
            self._add_audio(data)
        except ProtocolError as exc:
            await self.send_error(exc.code, exc.message, **exc.extra)

    async def _refuse_flood(self) -> None:
        self.refused_in_a_row += 1
        if self.refused_in_a_row >= conf.flood_close_after():
            await self.send_error("rate_limited", "Too many frames; closing the connection.")
            await self.close_with(CLOSE_POLICY)
            return
        now = time.monotonic()
        if now - self.last_rate_error >= 1:
            self.last_rate_error = now
            await self.send_error(
                "rate_limited",
                f"At most {conf.rate_per_second():g} frames per second; this frame was dropped.",
            )

    async def on_ping(self, frame: dict[str, Any]) -> None:
        await self._heartbeat()
        await self.send_frame(
            {"type": "pong", "server_time": timezone.now().isoformat(), "echo": frame.get("nonce")}
        )
        await self._catch_up()

    async def _catch_up(self) -> None:
        """Once a heartbeat, read what the channel layer may have dropped from the database."""
        if self.sequencer.catch_up_due():
            await self._deliver(await self._backlog())

    def _heartbeat_due(self) -> bool:
        if self.device is None:
            return False
        now = time.monotonic()
        if now - self.last_heartbeat < HEARTBEAT_WRITE_SECONDS:
            return False  # a socket that pings often still writes at most every few seconds
        self.last_heartbeat = now
        return True

    async def _heartbeat(self) -> None:
        if self._heartbeat_due():
            await self._run_sync(_heartbeat_write)(
                device=self.device, channel_name=self.channel_name
            )

    def _with_heartbeat(self, work: Callable[..., Any]) -> Callable[..., Any]:
        """`work`, preceded by the heartbeat write when one is due: one worker call, not two."""
        if not self._heartbeat_due():
            return work
        device, channel_name = self.device, self.channel_name

        def beat_then_work(**kwargs: Any) -> Any:
            device_heartbeat(device=device, channel_name=channel_name)
            return work(**kwargs)

        return beat_then_work

    async def on_echo(self, frame: dict[str, Any]) -> None:
        await self.send_frame({"type": "echo", "text": frame["text"]})

    def _choose_speech(self, frame: dict[str, Any]) -> None:
        mode = frame.get("speech")
        if mode is None:
            capabilities = getattr(self.device, "capabilities", None) or {}
            mode = "server" if capabilities.get("server_speech") else "browser"
        self.server_speech = mode == "server"

    async def on_session_start(self, frame: dict[str, Any]) -> None:
        self.sequencer.refuse_while_busy()
        self._choose_speech(frame)
        info = await self._run_sync(avatar.avatar_session_start)(
            adapter=self.adapter,
            frame={**frame, "type": "session.start"},
            principal=self.principal,
        )
        await self._bind(info, last_seq=0, resumed=False)

    async def on_session_resume(self, frame: dict[str, Any]) -> None:
        self.sequencer.refuse_while_busy()
        self._choose_speech(frame)
        info = await self._run_sync(avatar.avatar_session_open)(
            session_id=frame["session_id"],
            last_seq=frame["last_seq"],
            device=self.device,
            user=self.user,
        )
        await self._bind(info, last_seq=frame["last_seq"], resumed=True)

    async def _bind(self, info: avatar.SessionInfo, *, last_seq: int, resumed: bool) -> None:
        # Join before reading the backlog: a frame committed in between arrives as an event
        # and is dropped as already sent, never lost.
        if session_group(info.id) not in self.groups_joined:
            await self._join(session_group(info.id))
        left = self.sequencer.bind(info, last_seq=last_seq)
        if left is not None:
            await self._leave(session_group(left))
        backlog = await self._run_sync(_bind_and_read_backlog)(
            channel_name=self.channel_name if self.device is not None else None,
            session_id=info.id,
            after_seq=self.sequencer.backlog_after() or 0,
            language=info.language,
        )
        await self.send_frame(info.ready_frame(resumed=resumed, replaying=len(backlog)))
        # A resumed session's backlog was heard before (or is stale): only new answers speak.
        await self._deliver(backlog, speak=not resumed)

    async def on_user_text(self, frame: dict[str, Any]) -> None:
        session = self.sequencer.require_session()
        self.sequencer.refuse_while_busy()
        self._start_turn(
            self._with_heartbeat(avatar.avatar_converse),
            {"adapter": self.adapter, "inbound": self._inbound(session, "user.text", frame)},
            frame,
            ack_extra={"source": frame["source"]},
        )

    async def on_ui_event(self, frame: dict[str, Any]) -> None:
        session = self.sequencer.require_session()
        self.sequencer.refuse_while_busy()
        self._start_turn(
            avatar.avatar_converse,
            {"adapter": self.adapter, "inbound": self._inbound(session, "ui.event", frame)},
            frame,
            ack_extra={"event": frame["name"]},
        )

    def _inbound(self, session: avatar.SessionInfo, kind: str, frame: dict[str, Any]) -> Inbound:
        """The frame (parsed, without its type) as the adapter's Inbound."""
        request = {**frame, "type": kind}
        inbound = self.adapter.inbound(request, {**self.principal, "session": session})
        if inbound is None:
            raise ProtocolError("invalid", "This frame carries no message.")
        return inbound

    # ------------------------------------------------------------------ spoken questions

    async def on_audio_start(self, frame: dict[str, Any]) -> None:
        session = self.sequencer.require_session()
        self.sequencer.refuse_while_busy()
        # A new audio.start replaces an utterance that was never ended.
        self.utterance = Utterance(
            audio_format=frame["format"],
            sample_rate=frame.get("sample_rate"),
            language=frame.get("language") or session.language,
            step=frame["step"],
            frame_id=frame.get("id"),
        )

    async def on_audio_chunk(self, frame: dict[str, Any]) -> None:
        self._add_audio(frame["data"])

    def _add_audio(self, data: bytes) -> None:
        if self.utterance is None:
            raise ProtocolError("no_utterance", "Send audio.start before the audio.")
        try:
            self.utterance.add(data)
        except ProtocolError:
            self.utterance = None  # the whole utterance is dropped, not a truncated part of it
            raise

    async def on_audio_cancel(self, frame: dict[str, Any]) -> None:
        self.utterance = None

    async def on_audio_end(self, frame: dict[str, Any]) -> None:
        utterance = self.utterance
        if utterance is None:
            raise ProtocolError("no_utterance", "Send audio.start and the audio before audio.end.")
        self.sequencer.require_session()
        self.sequencer.refuse_while_busy()
        self.utterance = None
        session = self.sequencer.turn_begin()
        turn_frame = {"id": frame.get("id") or utterance.frame_id}
        self.turn_task = asyncio.ensure_future(self._spoken_turn(session, utterance, turn_frame))

    async def _spoken_turn(
        self, session: avatar.SessionInfo, utterance: Utterance, frame: dict[str, Any]
    ) -> None:
        """Recognise the utterance, tell the client what was heard, then answer it as text."""
        try:
            transcript = await self._run_sync(transcribe_utterance)(
                utterance=utterance, session_id=session.id
            )
        except ProtocolError as exc:
            self.sequencer.turn_end()
            await self.send_error(exc.code, exc.message, id=frame.get("id"))
            return
        except asyncio.CancelledError:
            self.sequencer.turn_end()
            raise
        except Exception:
            logger.exception("avatar speech recognition failed")
            self.sequencer.turn_end()
            await self.send_error("internal", "The server could not recognise this audio.")
            return
        text = transcript.text[:MAX_TURN_CHARS]
        result = {
            "type": "asr.result",
            "session_id": str(session.id),
            # What a public screen may show: the stored turn is masked too.
            "text": mask_pii(text).text,
            "language": transcript.language,
            "duration": transcript.duration,
            "elapsed": transcript.elapsed,
        }
        if frame.get("id"):
            result["id"] = frame["id"]
        await self.send_frame(result)
        spoken = {"text": text, "source": "asr", "step": utterance.step}
        await self._turn(
            session,
            avatar.avatar_converse,
            {
                "adapter": self.adapter,
                "inbound": self._inbound(session, "user.text", {**spoken, **frame}),
            },
            frame,
            ack_extra={"source": "asr"},
        )

    async def on_presence(self, frame: dict[str, Any]) -> None:
        session = self.sequencer.require_session()
        await self._run_sync(session_presence)(
            session_id=session.id,
            recognised=frame["recognised"],
            confidence=frame.get("confidence"),
        )
        await self.send_frame(
            {"type": "presence.ack", "id": frame.get("id"), "session_id": str(session.id)}
        )

    async def on_speech_say(self, frame: dict[str, Any]) -> None:
        session = self.sequencer.session
        language = frame.get("language") or (session.language if session else "zh-hans")
        sentences = sentences_of(frame["text"])
        if not sentences:
            raise ProtocolError("nothing_to_say", "The text has nothing to read aloud.")
        # Synthesis is the costliest thing a frame can ask for: a screen may queue a few
        # announcements, not keep a core busy (the frame rate limit alone allows 10 a second).
        if self.speech_queue.qsize() + len(sentences) > MAX_QUEUED_SENTENCES:
            raise ProtocolError(
                "speech_busy", "Too much is waiting to be spoken; ask again when it has played."
            )
        ref = frame.get("id") or ""
        for index, sentence in enumerate(sentences):
            last = index == len(sentences) - 1
            self._queue_speech(SpokenPart(sentence, language, index, ref=ref, last=last))

    HANDLERS = {
        "ping": on_ping,
        "echo": on_echo,
        "session.start": on_session_start,
        "session.resume": on_session_resume,
        "user.text": on_user_text,
        "ui.event": on_ui_event,
        "audio.start": on_audio_start,
        "audio.chunk": on_audio_chunk,
        "audio.end": on_audio_end,
        "audio.cancel": on_audio_cancel,
        "presence": on_presence,
        "speech.say": on_speech_say,
    }

    # ------------------------------------------------------------------ turns

    def _start_turn(
        self,
        work: Callable[..., dict[str, Any]],
        kwargs: dict[str, Any],
        frame: dict[str, Any],
        ack_extra: dict[str, Any],
    ) -> None:
        session = self.sequencer.turn_begin()
        self.turn_task = asyncio.ensure_future(self._turn(session, work, kwargs, frame, ack_extra))

    async def _turn(
        self,
        session: avatar.SessionInfo,
        work: Callable[..., dict[str, Any]],
        kwargs: dict[str, Any],
        frame: dict[str, Any],
        ack_extra: dict[str, Any],
    ) -> None:
        try:
            await self._stream_answer(session, work, kwargs, frame, ack_extra)
        except ProtocolError as exc:
            await self.send_error(exc.code, exc.message, id=frame.get("id"))
        except asyncio.CancelledError:
            self.sequencer.turn_end()
            raise
        except Exception:
            logger.exception("avatar turn failed")
            await self.send_error("internal", "The server could not handle this turn.")
        self.sequencer.turn_end()
        # The stored answer and whatever was pushed meanwhile, in order.
        await self._deliver(await self._backlog())

    async def _stream_answer(
        self,
        session: avatar.SessionInfo,
        work: Callable[..., dict[str, Any]],
        kwargs: dict[str, Any],
        frame: dict[str, Any],
        ack_extra: dict[str, Any],
    ) -> None:
        """Run the turn in the runner, sending its ack and deltas as the worker reports them."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, int, Any]] = asyncio.Queue()

        def on_ack(seq: int) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, ("ack", seq, None))

        def on_delta(seq: int, text: str, cue: dict[str, Any]) -> None:
            if self.gone.is_set():
                raise avatar.ClientGone()
            loop.call_soon_threadsafe(queue.put_nowait, ("delta", seq, (text, cue)))

        job = asyncio.ensure_future(
            self._run_sync(work)(**kwargs, on_ack=on_ack, on_delta=on_delta)
        )

        async def forward(kind: str, seq: int, payload: Any) -> None:
            if kind == "ack":
                await self.send_frame(
                    self.sequencer.turn_acked(seq, frame_id=frame.get("id"), extra=ack_extra)
                )
            else:
                text, cue = payload
                await self.send_frame(self.sequencer.delta(seq, text, cue))
                if self.server_speech:
                    stream = self.speech_streams.setdefault(seq, SentenceBuffer())
                    self._speak(seq, stream.feed(text))

        while True:
            getter = asyncio.ensure_future(queue.get())
            done, _pending = await asyncio.wait({job, getter}, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                break
            await forward(*getter.result())
        # Everything the worker queued before finishing is already in the queue.
        while not queue.empty():
            await forward(*queue.get_nowait())
        job.result()  # re-raise a ProtocolError or a failure

    # ------------------------------------------------------------------ outbound frames

    async def _backlog(self) -> list[dict[str, Any]]:
        after = self.sequencer.backlog_after()
        session = self.sequencer.session
        if after is None or session is None:
            return []
        return await self._run_sync(_frames_after)(
            session_id=session.id, after_seq=after, language=session.language
        )

    async def _deliver(self, frames: list[dict[str, Any]], *, speak: bool = True) -> None:
        for frame in self.sequencer.take(frames):
            await self.send_frame(frame)
            if speak:
                self._speak_frame(frame)

    # ------------------------------------------------------------------ server speech

    def _speak_frame(self, frame: dict[str, Any]) -> None:
        """Speak what a delivered session frame says, unless its stream already did."""
        if not self.server_speech or frame.get("type") not in {"answer.done", "avatar.say"}:
            return
        seq = frame.get("seq")
        if not isinstance(seq, int):
            return
        stream = self.speech_streams.pop(seq, None)
        if stream is not None and frame.get("type") == "answer.done":
            self._speak(seq, stream.flush())
        else:
            self._speak(seq, sentences_of(str(frame.get("text") or "")))

    def _speak(self, seq: int, sentences: list[str]) -> None:
        session = self.sequencer.session
        if not sentences or session is None:
            return
        for sentence in sentences:
            index = self.speech_index.get(seq, 0)
            self.speech_index[seq] = index + 1
            self._queue_speech(
                SpokenPart(sentence, session.language, index, session_id=session.id, seq=seq)
            )

    def _queue_speech(self, part: SpokenPart) -> None:
        self.speech_queue.put_nowait(part)
        if self.speech_task is None or self.speech_task.done():
            self.speech_task = asyncio.ensure_future(self._speech_worker())

    async def _speech_worker(self) -> None:
        """Synthesise queued sentences one at a time, in order, off the event loop."""
        synthesize = sync_to_async(speech_frame, thread_sensitive=False)
        failed: set[int | str | None] = set()
        while not self.speech_queue.empty():
            part = self.speech_queue.get_nowait()
            try:
                frame = await synthesize(part)
            except SpeechError as error:
                about = part.seq if part.seq is not None else part.ref
                if about not in failed:  # one error per answer or announcement, not per sentence
                    failed.add(about)
                    where = {"seq": part.seq} if part.seq is not None else {"id": part.ref}
                    await self.send_error("speech_unavailable", str(error), **where)
                continue
            if self.gone.is_set():
                return
            await self.send_frame(frame)

    async def credential_revoked(self, event: dict[str, Any]) -> None:
        """The socket's token was revoked or its device disabled (devices.services)."""
        logger.info("closing avatar socket of %s: %s", self.device, event.get("reason"))
        await self.send_error(
            "credential_revoked", "This device's credential was revoked; the connection closes."
        )
        await self.close_with(CLOSE_REVOKED)

    async def device_moved(self, event: dict[str, Any]) -> None:
        """The device's branch or groups changed (devices.services.device_sockets_regroup):
        join what it belongs to now, leave the rest, and tell the client, which asks for its
        current state (playlists on air) as it does after reconnecting."""
        if self.device is None:
            return
        device, wanted = await self._run_sync(_device_now)(
            self.device.pk, self.scope.get("device_token_id")
        )
        if device is None:
            return
        old = self.device_groups
        await asyncio.gather(
            *(self._join(group) for group in wanted if group not in old),
            *(self._leave(group) for group in old if group not in wanted),
        )
        self.device, self.device_groups = device, list(wanted)
        await self.send_frame(
            {"type": "device.moved", "device": device.name, "device_kind": device.kind}
        )

    async def push_frame(self, event: dict[str, Any]) -> None:
        """A frame pushed to one of this socket's groups (devices.push)."""
        frame = event["frame"]
        action = self.sequencer.on_push(frame)
        if action is PushAction.SEND:
            await self.send_frame(frame)
        elif action is PushAction.REFILL:
            await self._deliver(await self._backlog())  # a gap: fill it from the database

    async def send_frame(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=_dumps(frame))

    async def send_error(self, code: str, message: str, **extra: Any) -> None:
        await self.send_frame(error_frame(code, message, **extra))


def _dumps(frame: dict[str, Any]) -> str:
    return json.dumps(frame, ensure_ascii=False, default=str)
