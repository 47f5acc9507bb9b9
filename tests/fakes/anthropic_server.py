"""A local fake of the Anthropic Messages API, for testing the real SDK offline.

Speaks ``POST /v1/messages`` both as plain JSON and as ``stream: true`` server-sent events
with the real event sequence (message_start, content_block_start, ping,
content_block_delta…, content_block_stop, message_delta, message_stop), real error bodies
(``{"type": "error", "error": {"type": ..., "message": ...}}``) and scripted failures.

In tests::

    with FakeAnthropicServer(script=[rate_limited(retry_after=1), reply("Hi")]) as server:
        provider = AnthropicProvider(api_key=server.api_key, model="m", base_url=server.base_url)
        ...
        assert len(server.requests) == 2

Each request takes the next action from ``script``; once it is used up every request gets
the default reply. ``script`` may also be a callable ``(RecordedRequest) -> Action``.

By hand (e.g. to run the product against it)::

    python -m tests.fakes.anthropic_server --port 8765 --api-key test-key

Stdlib only, so it runs anywhere the tests run.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import re
import socket
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeAlias

DEFAULT_API_KEY = "test-key"
DEFAULT_REPLY = "This is a reply from the fake Anthropic server."

# ---------------------------------------------------------------------------------------------
# Script actions
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """A successful answer, streamed as ``chunks`` (default: split ``text`` into words)."""

    text: str = DEFAULT_REPLY
    chunks: tuple[str, ...] | None = None
    input_tokens: int | None = None  # default: estimated from the request size
    output_tokens: int | None = None  # default: one per chunk
    stop_reason: str = "end_turn"
    delay_s: float = 0.0  # before the response headers: makes the client time out
    delta_delay_s: float = 0.0  # between deltas
    # After this many deltas: drop the TCP connection (mid-stream network failure)...
    drop_after: int | None = None
    # ...or stall silently for stall_s (mid-stream read timeout)...
    stall_after: int | None = None
    stall_s: float = 0.0
    # ...or send an SSE `error` event, as the real API does when it overloads mid-stream.
    error_after: int | None = None
    error_type: str = "overloaded_error"

    def deltas(self) -> list[str]:
        if self.chunks is not None:
            return list(self.chunks)
        return split_into_deltas(self.text)


@dataclass(frozen=True)
class ErrorReply:
    """An HTTP error in the API's JSON error format."""

    status: int
    error_type: str
    message: str = "scripted error"
    headers: tuple[tuple[str, str], ...] = ()
    delay_s: float = 0.0


Action: TypeAlias = Reply | ErrorReply


def reply(text: str = DEFAULT_REPLY, **kwargs: Any) -> Reply:
    return Reply(text=text, **kwargs)


def rate_limited(retry_after: float | None = 1, message: str = "Rate limited") -> ErrorReply:
    headers = (("retry-after", _fmt(retry_after)),) if retry_after is not None else ()
    return ErrorReply(429, "rate_limit_error", message, headers)


def overloaded(message: str = "Overloaded") -> ErrorReply:
    return ErrorReply(529, "overloaded_error", message)


def server_error(status: int = 500, message: str = "Internal server error") -> ErrorReply:
    return ErrorReply(status, "api_error", message)


def slow(delay_s: float, text: str = DEFAULT_REPLY) -> Reply:
    return Reply(text=text, delay_s=delay_s)


def drop_after(n_deltas: int, text: str = DEFAULT_REPLY) -> Reply:
    return Reply(text=text, drop_after=n_deltas)


def stall_after(n_deltas: int, stall_s: float, text: str = DEFAULT_REPLY) -> Reply:
    return Reply(text=text, stall_after=n_deltas, stall_s=stall_s)


def stream_error_after(
    n_deltas: int, error_type: str = "overloaded_error", text: str = DEFAULT_REPLY
) -> Reply:
    return Reply(text=text, error_after=n_deltas, error_type=error_type)


def action_from_dict(spec: dict[str, Any]) -> Action:
    """Build an action from JSON, for ``--script`` on the command line."""
    spec = dict(spec)
    kind = spec.pop("kind", "reply")
    if kind == "reply":
        if "chunks" in spec:
            spec["chunks"] = tuple(spec["chunks"])
        return Reply(**spec)
    if kind == "error":
        spec["headers"] = tuple(tuple(h) for h in spec.get("headers", ()))
        return ErrorReply(**spec)
    factories: dict[str, Callable[..., Action]] = {
        "rate_limited": rate_limited,
        "overloaded": overloaded,
        "server_error": server_error,
        "slow": slow,
        "drop_after": drop_after,
        "stall_after": stall_after,
        "stream_error_after": stream_error_after,
    }
    return factories[kind](**spec)


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def split_into_deltas(text: str) -> list[str]:
    """Roughly token-sized pieces: an English word with its space, or two Chinese characters."""
    pieces = re.findall(
        r"[^\s\u3000-\u9fff\uff00-\uffef]+\s*|\s+|[\u3000-\u9fff\uff00-\uffef]{1,2}", text
    )
    return pieces or [text]


# ---------------------------------------------------------------------------------------------
# Server
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: Any  # parsed JSON, or the raw text if it wasn't JSON

    @property
    def json(self) -> dict[str, Any]:
        return self.body if isinstance(self.body, dict) else {}


Script: TypeAlias = Sequence[Action] | Callable[[RecordedRequest], Action] | None


@dataclass
class _State:
    script: Script
    api_key: str | None
    default_reply: Reply
    requests: list[RecordedRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)
    position: int = 0
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def record_and_pick(self, request: RecordedRequest) -> Action:
        with self.lock:
            self.requests.append(request)
            if callable(self.script):
                return self.script(request)
            if self.script is not None and self.position < len(self.script):
                action = self.script[self.position]
                self.position += 1
                return action
            return self.default_reply

    def next_id(self) -> int:
        with self.lock:
            return next(self.ids)


def _error_body(error_type: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": error_type, "message": message}}


def _estimate_input_tokens(body: dict[str, Any]) -> int:
    text = json.dumps([body.get("system", ""), body.get("messages", [])], ensure_ascii=False)
    return max(1, len(text) // 4)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked streaming, like the real API
    server_version = "FakeAnthropic/1.0"
    state: _State  # set on a per-server subclass

    def log_message(self, format: str, *args: Any) -> None:  # stdlib signature
        pass  # keep test output clean

    # --- helpers -------------------------------------------------------------------------

    def _send_json(
        self, status: int, payload: Any, headers: Iterable[tuple[str, str]] = ()
    ) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("request-id", f"req_fake_{self.state.next_id():06d}")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _send_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode("ascii") + data + b"\r\n")
        self.wfile.flush()

    def _send_event(self, event: str, payload: dict[str, Any]) -> None:
        line = f"event: {event}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"
        self._send_chunk(line.encode("utf-8"))

    def _wait(self, seconds: float) -> bool:
        """Sleep, but wake at once when the server stops. True if the server is stopping."""
        return self.state.stopping.wait(seconds) if seconds > 0 else False

    def _drop_connection(self) -> None:
        # Abort the TCP connection without the terminating chunk, as a dying proxy would.
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    # --- request handling -------------------------------------------------------------------

    def do_POST(self) -> None:  # stdlib naming
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length).decode("utf-8") if length else ""
        try:
            body: Any = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            body = raw
        headers = {k.lower(): v for k, v in self.headers.items()}
        recorded = RecordedRequest("POST", self.path, headers, body)

        if self.path.split("?")[0] != "/v1/messages":
            self._send_json(404, _error_body("not_found_error", f"Not found: {self.path}"))
            return
        if not self._authorised(headers):
            with self.state.lock:
                self.state.requests.append(recorded)
            self._send_json(401, _error_body("authentication_error", "invalid x-api-key"))
            return
        if not headers.get("anthropic-version"):
            with self.state.lock:
                self.state.requests.append(recorded)
            self._send_json(
                400, _error_body("invalid_request_error", "anthropic-version: header is required")
            )
            return
        problem = self._validate(body)
        if problem:
            with self.state.lock:
                self.state.requests.append(recorded)
            self._send_json(400, _error_body("invalid_request_error", problem))
            return

        action = self.state.record_and_pick(recorded)
        try:
            if self._wait(action.delay_s):
                return
            if isinstance(action, ErrorReply):
                self._send_json(
                    action.status, _error_body(action.error_type, action.message), action.headers
                )
            elif body.get("stream"):
                self._stream(action, body)
            else:
                self._send_message(action, body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (e.g. its timeout fired while we were "slow"): that's the point.
            self.close_connection = True

    def _authorised(self, headers: dict[str, str]) -> bool:
        # The real API takes `x-api-key`; SDK 2.x sends the key as `Authorization: Bearer`.
        presented = headers.get("x-api-key") or ""
        authorization = headers.get("authorization", "")
        if not presented and authorization.lower().startswith("bearer "):
            presented = authorization[7:].strip()
        if self.state.api_key is None:
            return bool(presented)
        return presented == self.state.api_key

    @staticmethod
    def _validate(body: Any) -> str | None:
        if not isinstance(body, dict):
            return "request body must be a JSON object"
        for name in ("model", "max_tokens", "messages"):
            if name not in body:
                return f"{name}: Field required"
        if not isinstance(body["messages"], list) or not body["messages"]:
            return "messages: at least one message is required"
        return None

    def _message_id(self) -> str:
        return f"msg_fake_{self.state.next_id():06d}"

    def _send_message(self, action: Reply, body: dict[str, Any]) -> None:
        deltas = action.deltas()
        self._send_json(
            200,
            {
                "id": self._message_id(),
                "type": "message",
                "role": "assistant",
                "model": body["model"],
                "content": [{"type": "text", "text": "".join(deltas)}],
                "stop_reason": action.stop_reason,
                "stop_sequence": None,
                "usage": {
                    "input_tokens": action.input_tokens or _estimate_input_tokens(body),
                    "output_tokens": action.output_tokens or len(deltas),
                },
            },
        )

    def _stream(self, action: Reply, body: dict[str, Any]) -> None:
        deltas = action.deltas()
        input_tokens = action.input_tokens or _estimate_input_tokens(body)
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.send_header("request-id", f"req_fake_{self.state.next_id():06d}")
        self.end_headers()

        self._send_event(
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": self._message_id(),
                    "type": "message",
                    "role": "assistant",
                    "model": body["model"],
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": input_tokens, "output_tokens": 1},
                },
            },
        )
        self._send_event(
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        )
        self._send_event("ping", {"type": "ping"})

        for sent, piece in enumerate(deltas):
            if action.drop_after is not None and sent >= action.drop_after:
                self._drop_connection()
                return
            stalling = action.stall_after is not None and sent >= action.stall_after
            if stalling and self._wait(action.stall_s):
                return
            if action.error_after is not None and sent >= action.error_after:
                self._send_event("error", _error_body(action.error_type, "scripted stream error"))
                self._send_chunk(b"")  # terminating chunk: the server ends the body cleanly
                return
            self._send_event(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": piece},
                },
            )
            if self._wait(action.delta_delay_s):
                return
        if action.drop_after is not None and action.drop_after >= len(deltas):
            self._drop_connection()
            return

        self._send_event("content_block_stop", {"type": "content_block_stop", "index": 0})
        self._send_event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": action.stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": action.output_tokens or len(deltas)},
            },
        )
        self._send_event("message_stop", {"type": "message_stop"})
        self._send_chunk(b"")  # zero-length chunk ends the chunked body


class FakeAnthropicServer:
    """Run the fake on 127.0.0.1 (ephemeral port by default) in a background thread."""

    def __init__(
        self,
        script: Script = None,
        *,
        api_key: str | None = DEFAULT_API_KEY,
        default_reply: Reply | str = DEFAULT_REPLY,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if isinstance(default_reply, str):
            default_reply = Reply(text=default_reply)
        self.api_key = api_key or DEFAULT_API_KEY
        self._state = _State(script=script, api_key=api_key, default_reply=default_reply)
        handler = type("BoundHandler", (_Handler,), {"state": self._state})
        self._httpd = ThreadingHTTPServer((host, port), handler)
        self._httpd.daemon_threads = True  # a stalled handler must not block shutdown
        self._httpd.block_on_close = False
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._state.lock:
            return list(self._state.requests)

    def start(self) -> FakeAnthropicServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-anthropic",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._state.stopping.set()  # wake handlers sleeping in delay/stall
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def serve_forever(self) -> None:
        """Serve in the calling thread (command-line use) until interrupted."""
        try:
            self._httpd.serve_forever(poll_interval=0.2)
        finally:
            self._state.stopping.set()
            self._httpd.server_close()

    def __enter__(self) -> FakeAnthropicServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--api-key",
        default=DEFAULT_API_KEY,
        help="key clients must present (x-api-key or Authorization: Bearer)",
    )
    parser.add_argument("--reply", default=DEFAULT_REPLY, help="default reply text")
    parser.add_argument(
        "--script",
        help='JSON list of actions, e.g. \'[{"kind": "overloaded"}, {"kind": "reply", '
        '"text": "Hi"}]\'',
    )
    args = parser.parse_args(argv)
    script = [action_from_dict(a) for a in json.loads(args.script)] if args.script else None
    server = FakeAnthropicServer(
        script, api_key=args.api_key, default_reply=args.reply, host=args.host, port=args.port
    )
    print(f"fake Anthropic Messages API on http://{args.host}:{server.port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
