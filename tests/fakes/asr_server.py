"""A local fake of the bank's licensed cloud ASR (the HTTP JSON API ``CloudRecognizer`` speaks).

``POST /v1/recognize`` with a bearer key and ``{"audio": <base64 WAV>, "format", "sample_rate",
"language", "vocabulary"}`` answers ``{"text", "language", "seconds"}``. It checks the audio
really is a 16 kHz mono 16-bit WAV (a 415 otherwise, like the real service) and "recognises"
it by the number of 0.3 s tones it holds, reading ``words[i]`` for tone i: the text follows
from the audio sent, not from the test. Scripted failures are taken in order, as in
``tts_server``. Stdlib only, loopback only.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import io
import json
import threading
import time
import wave
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

from tests.fakes.tts_server import Delay, Fail

DEFAULT_API_KEY = "asr-test-key"
SAMPLE_RATE = 16000
TONE_SECONDS = 0.3


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


def tones(count: int, rate: int = SAMPLE_RATE) -> np.ndarray:
    """``count`` tones of 0.3 s separated by 0.1 s of silence (int16)."""
    t = np.arange(int(TONE_SECONDS * rate)) / rate
    gap = np.zeros(int(0.1 * rate))
    parts = []
    for i in range(count):
        parts += [0.3 * np.sin(2 * np.pi * (300 + 50 * i) * t), gap]
    return (np.concatenate(parts) * 32767).astype(np.int16)


def count_tones(samples: np.ndarray, rate: int) -> int:
    window = int(0.05 * rate)
    frames = len(samples) // window
    loud = [
        float(np.abs(samples[i * window : (i + 1) * window]).mean()) > 1000 for i in range(frames)
    ]
    return sum(1 for i, on in enumerate(loud) if on and (i == 0 or not loud[i - 1]))


class FakeASRServer:
    def __init__(
        self,
        *,
        words: list[str],
        script: list[Fail | Delay] | None = None,
        api_key: str = DEFAULT_API_KEY,
    ) -> None:
        self.words = words
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

    def __enter__(self) -> FakeASRServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next_action(self) -> Fail | Delay | None:
        with self._lock:
            return self.script.pop(0) if self.script else None

    def recognise(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        try:
            data = base64.b64decode(body.get("audio", ""), validate=True)
            with wave.open(io.BytesIO(data), "rb") as src:
                shape = (src.getnchannels(), src.getsampwidth(), src.getframerate())
                samples = np.frombuffer(src.readframes(src.getnframes()), dtype=np.int16)
        except (binascii.Error, ValueError, wave.Error, EOFError):
            return 415, {"error": {"code": "bad_audio", "message": "not a WAV file"}}
        if shape != (1, 2, SAMPLE_RATE):
            return 415, {
                "error": {"code": "bad_audio", "message": f"need 16 kHz mono, got {shape}"}
            }
        heard = self.words[: count_tones(samples, SAMPLE_RATE)]
        return 200, {
            "text": " ".join(heard),
            "language": body.get("language"),
            "seconds": len(samples) / SAMPLE_RATE,
        }

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
                if self.path != "/v1/recognize":
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
                self._reply(*fake.recognise(body))

        return Handler
