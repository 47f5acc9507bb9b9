"""A local fake of the bank's licensed cloud TTS (the HTTP JSON API ``CloudSynthesizer`` speaks).

``POST /v1/synthesize`` with a bearer key answers ``{"audio": <base64 WAV>, "sample_rate",
"voice", "marks": [{"start", "end", "text"}]}``: a tone per word, 0.3 s each, so the marks
are exact. Scripted failures (an HTTP error with the API's error body, or a delay before
answering) are taken in order, then every request succeeds::

    with FakeTTSServer(script=[Fail(503), Fail(503)]) as server:
        CloudSynthesizer(base_url=server.base_url, api_key=server.api_key, ...)
        assert len(server.requests) == 3

Stdlib only, loopback only.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import threading
import time
import wave
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

import numpy as np

DEFAULT_API_KEY = "tts-test-key"
SAMPLE_RATE = 16000
WORD_SECONDS = 0.3


@dataclass(frozen=True)
class Fail:
    status: int
    message: str = "scripted failure"


@dataclass(frozen=True)
class Delay:
    seconds: float


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


def speech_for(text: str) -> dict[str, Any]:
    words = text.split() or [text]
    t = np.arange(int(WORD_SECONDS * SAMPLE_RATE)) / SAMPLE_RATE
    tones = [0.3 * np.sin(2 * np.pi * (220 + 40 * i) * t) for i in range(len(words))]
    samples = (np.concatenate(tones) * 32767).astype(np.int16)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(samples.tobytes())
    marks = [
        {"start": round(i * WORD_SECONDS, 3), "end": round((i + 1) * WORD_SECONDS, 3), "text": w}
        for i, w in enumerate(words)
    ]
    return {
        "audio": base64.b64encode(buffer.getvalue()).decode(),
        "sample_rate": SAMPLE_RATE,
        "voice": "fake-voice",
        "marks": marks,
    }


class FakeCloudSpeechServer:
    """A cloud speech service on a free local port: bearer-key check, one JSON POST path,
    scripted failures and delays, every request recorded. Subclasses give `path` and
    `answer()`; the TTS and ASR fakes share the rest."""

    path = ""

    def __init__(
        self, *, script: list[Fail | Delay] | None = None, api_key: str = DEFAULT_API_KEY
    ) -> None:
        self.script = list(script or [])
        self.api_key = api_key
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next_action(self) -> Fail | Delay | None:
        with self._lock:
            return self.script.pop(0) if self.script else None

    def answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        raise NotImplementedError

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                fake.requests.append(RecordedRequest(self.path, dict(self.headers), body))
                if self.headers.get("Authorization") != f"Bearer {fake.api_key}":
                    self._reply(401, {"error": {"code": "unauthorized", "message": "bad API key"}})
                    return
                if self.path != fake.path:
                    self._reply(404, {"error": {"code": "not_found", "message": self.path}})
                    return
                action = fake._next_action()
                if isinstance(action, Fail):
                    self._reply(
                        action.status, {"error": {"code": "scripted", "message": action.message}}
                    )
                    return
                if isinstance(action, Delay):
                    time.sleep(action.seconds)
                self._reply(*fake.answer(body))

        return Handler


class FakeTTSServer(FakeCloudSpeechServer):
    path = "/v1/synthesize"

    def answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if not str(body.get("text", "")).strip():
            return 400, {"error": {"code": "empty_text", "message": "text is empty"}}
        return 200, speech_for(body["text"])
