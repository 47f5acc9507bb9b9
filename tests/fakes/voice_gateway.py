"""A local fake of the bank's outbound voice gateway (call-centre platform HTTP API).

`POST /calls` (bearer key) with `{reference, customer_no, language, text, callback_url}`
answers `{call_id}` and records the call; `Fail(status)` entries in `script` are answered in
order first. `callback_body(...)` signs a report the way the gateway does (HMAC-SHA256 of the
body in `X-Signature`). Stdlib only, loopback only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_KEY = "voice-test-key"
CALLBACK_SECRET = "voice-callback-secret"


@dataclass(frozen=True)
class Fail:
    status: int


def callback_body(payload: dict[str, Any], secret: str = CALLBACK_SECRET) -> tuple[bytes, str]:
    body = json.dumps(payload).encode()
    return body, hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class FakeVoiceGateway:
    def __init__(self, script: list[Fail] | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.script = list(script or [])
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.headers.get("Authorization") != f"Bearer {API_KEY}":
                    status, payload = 401, {"error": "unauthorised"}
                elif fake.script:
                    status, payload = fake.script.pop(0).status, {"error": "scripted"}
                else:
                    fake.calls.append(body)
                    status, payload = 200, {"call_id": f"call-{len(fake.calls)}"}
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeVoiceGateway:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
