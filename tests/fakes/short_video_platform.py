"""A local fake of a short-video platform's open API, for the studio's adapter tests.

Implements what `content.studio.publishing.ShortVideoPlatformPublisher` calls: client-credentials
tokens, chunked uploads (checking Content-Range and that every chunk arrived), publish and
status polling. Failures are injected per path prefix: `platform.fail("/v1/videos/publish",
status=429, code="rate_limited", times=1)`.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Failure:
    prefix: str
    status: int
    code: str
    times: int


@dataclass
class FakePlatform:
    client_id: str = "harbourbank"
    client_secret: str = "s3cret"
    # Polls answered "processing" before a publish turns "published" (or "failed").
    processing_polls: int = 1
    reject_publish_with: str = ""
    tokens: list[str] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)
    uploads: dict[str, dict[str, Any]] = field(default_factory=dict)
    videos: dict[str, bytes] = field(default_factory=dict)
    publishes: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    base_url: str = ""

    def fail(self, prefix: str, *, status: int, code: str, times: int = 1) -> None:
        self.failures.append(Failure(prefix, status, code, times))

    def injected(self, path: str) -> Failure | None:
        for failure in self.failures:
            if path.startswith(failure.prefix) and failure.times > 0:
                failure.times -= 1
                return failure
        return None


def _handler(platform: FakePlatform) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if status == 429:
                self.send_header("Retry-After", "1")
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, code: str, message: str) -> None:
            self._reply(status, {"error": {"code": code, "message": message}})

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _authorised(self) -> bool:
            token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
            if token not in platform.tokens or token in platform.revoked:
                self._error(401, "invalid_token", "access token invalid or expired")
                return False
            return True

        def _route(self, method: str) -> None:
            path = urllib.parse.urlsplit(self.path).path
            body = self._body() if method in {"POST", "PUT"} else b""
            with platform.lock:
                platform.requests.append((method, path))
                failure = platform.injected(path)
            if failure is not None:
                self._error(failure.status, failure.code, "injected failure")
                return
            if method == "POST" and path == "/oauth/token":
                form = urllib.parse.parse_qs(body.decode())
                if (
                    form.get("grant_type") != ["client_credentials"]
                    or form.get("client_id") != [platform.client_id]
                    or form.get("client_secret") != [platform.client_secret]
                ):
                    self._error(401, "invalid_client", "bad client credentials")
                    return
                token = f"tok-{len(platform.tokens) + 1}"
                platform.tokens.append(token)
                self._reply(
                    200, {"access_token": token, "expires_in": 7200, "token_type": "Bearer"}
                )
                return
            if not self._authorised():
                return
            parts = path.strip("/").split("/")
            if method == "POST" and path == "/v1/videos/uploads":
                data = json.loads(body)
                upload_id = f"up-{len(platform.uploads) + 1}"
                platform.uploads[upload_id] = {**data, "chunks": {}}
                self._reply(200, {"upload_id": upload_id})
                return
            if method == "PUT" and parts[:3] == ["v1", "videos", "uploads"] and len(parts) == 6:
                upload = platform.uploads.get(parts[3])
                if upload is None:
                    self._error(404, "unknown_upload", parts[3])
                    return
                index = int(parts[5])
                start = index * upload["chunk_size"]
                expected = f"bytes {start}-{start + len(body) - 1}/{upload['file_size']}"
                if self.headers.get("Content-Range") != expected:
                    self._error(400, "bad_range", f"expected {expected}")
                    return
                upload["chunks"][index] = body
                self._reply(200, {"received": len(body)})
                return
            if (
                method == "POST"
                and parts[:3] == ["v1", "videos", "uploads"]
                and parts[-1] == "complete"
            ):
                upload = platform.uploads.get(parts[3])
                if upload is None or len(upload["chunks"]) != upload["total_chunks"]:
                    self._error(400, "incomplete_upload", "chunks missing")
                    return
                data = b"".join(upload["chunks"][i] for i in range(upload["total_chunks"]))
                if len(data) != upload["file_size"]:
                    self._error(400, "size_mismatch", "size differs")
                    return
                video_id = f"v-{len(platform.videos) + 1}"
                platform.videos[video_id] = data
                self._reply(200, {"video_id": video_id})
                return
            if method == "POST" and path == "/v1/videos/publish":
                data = json.loads(body)
                if data.get("video_id") not in platform.videos:
                    self._error(400, "unknown_video", str(data.get("video_id")))
                    return
                publish_id = f"p-{len(platform.publishes) + 1}"
                platform.publishes[publish_id] = {**data, "polls": 0}
                self._reply(200, {"publish_id": publish_id})
                return
            if method == "GET" and parts[:3] == ["v1", "videos", "publish"] and len(parts) == 4:
                publish = platform.publishes.get(parts[3])
                if publish is None:
                    self._error(404, "unknown_publish", parts[3])
                    return
                publish["polls"] += 1
                if publish["polls"] <= platform.processing_polls:
                    self._reply(200, {"status": "processing"})
                elif platform.reject_publish_with:
                    self._reply(
                        200,
                        {
                            "status": "failed",
                            "error": {
                                "code": platform.reject_publish_with,
                                "message": "content rejected",
                            },
                        },
                    )
                else:
                    self._reply(
                        200,
                        {
                            "status": "published",
                            "share_url": f"{platform.base_url}/share/{parts[3]}",
                        },
                    )
                return
            self._error(404, "not_found", path)

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self._route("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._route("POST")

        def do_PUT(self) -> None:  # noqa: N802
            self._route("PUT")

    return Handler


@contextmanager
def running_platform(**options: Any) -> Iterator[FakePlatform]:
    platform = FakePlatform(**options)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(platform))
    platform.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield platform
    finally:
        server.shutdown()
        server.server_close()


def serve_forever(port: int) -> None:
    """For the browser test: `python -m tests.fakes.short_video_platform <port>`."""
    platform = FakePlatform(processing_polls=1)
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(platform))
    platform.base_url = f"http://127.0.0.1:{port}"
    server.serve_forever()


if __name__ == "__main__":
    import sys

    serve_forever(int(sys.argv[1]))
