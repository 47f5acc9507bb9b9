"""A local fake of the WeChat Official Account platform, both directions.

- As WeChat calling the bank: `signed_query(token)` and `message_xml(...)` build a callback the
  way the platform does (SHA-1 signature of the sorted token, timestamp and nonce).
- As the WeChat API the bank calls: `FakeWeChatAPI` serves `GET /cgi-bin/token` and
  `POST /cgi-bin/message/custom/send` on loopback, records what was sent, and can be told to
  expire the access token (errcode 42001) so the client's refresh is exercised, answer the
  next sends with an error code (`fail_next`, e.g. -1 "system busy" or 45015), or accept a send
  and then answer too late (`stall_next`: delivered, but the caller times out).

Stdlib only.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

APP_ID = "wx-test-app"
APP_SECRET = "wx-test-secret"


def signed_query(token: str, *, timestamp: int | None = None, **extra: str) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = secrets.token_hex(4)
    signature = hashlib.sha1("".join(sorted([token, stamp, nonce])).encode()).hexdigest()  # noqa: S324
    return {"signature": signature, "timestamp": stamp, "nonce": nonce, **extra}


def message_xml(
    openid: str,
    *,
    kind: str = "text",
    to: str = "gh_bank",
    msg_id: str | None = None,
    create_time: int | None = None,
    **fields: str,
) -> bytes:
    stamp = int(time.time()) if create_time is None else create_time
    parts = [
        f"<ToUserName><![CDATA[{to}]]></ToUserName>",
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>",
        f"<CreateTime>{stamp}</CreateTime>",
        f"<MsgType><![CDATA[{kind}]]></MsgType>",
    ]
    for name, value in fields.items():
        parts.append(f"<{name}><![CDATA[{value}]]></{name}>")
    if msg_id is not None:
        parts.append(f"<MsgId>{msg_id}</MsgId>")
    return ("<xml>" + "".join(parts) + "</xml>").encode()


class FakeWeChatAPI:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.tokens_issued = 0
        self.valid_token = ""
        self.failures: list[int] = []
        self.stalls: list[float] = []
        self.token_stalls: list[float] = []
        self.refused: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def _answer(self, payload: dict[str, Any]) -> None:
                body = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802
                url = urllib.parse.urlparse(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                if url.path != "/cgi-bin/token":
                    self._answer({"errcode": 404, "errmsg": "not found"})
                elif (query.get("appid"), query.get("secret")) != (APP_ID, APP_SECRET):
                    self._answer({"errcode": 40013, "errmsg": "invalid appid"})
                else:
                    if fake.token_stalls:
                        time.sleep(fake.token_stalls.pop(0))
                    fake.tokens_issued += 1
                    fake.valid_token = f"token-{fake.tokens_issued}"
                    self._answer({"access_token": fake.valid_token, "expires_in": 7200})

            def do_POST(self) -> None:  # noqa: N802
                url = urllib.parse.urlparse(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                if url.path != "/cgi-bin/message/custom/send":
                    self._answer({"errcode": 404, "errmsg": "not found"})
                elif query.get("access_token") != fake.valid_token:
                    self._answer({"errcode": 42001, "errmsg": "access_token expired"})
                elif fake.failures:
                    fake.refused.append(body)
                    code = fake.failures.pop(0)
                    self._answer({"errcode": code, "errmsg": f"refused ({code})"})
                else:
                    fake.sent.append(body)
                    if fake.stalls:
                        time.sleep(fake.stalls.pop(0))
                    self._answer({"errcode": 0, "errmsg": "ok", "msgid": len(fake.sent)})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def expire_token(self) -> None:
        self.valid_token = "expired-" + self.valid_token

    def fail_next(self, errcode: int, times: int = 1) -> None:
        """The next `times` sends (with a valid token) are refused with `errcode`."""
        self.failures.extend([errcode] * times)

    def stall_next(self, seconds: float) -> None:
        """The next send is delivered, then answered only after `seconds`."""
        self.stalls.append(seconds)

    def stall_token_next(self, seconds: float) -> None:
        """The next access-token request is answered only after `seconds`."""
        self.token_stalls.append(seconds)

    def __enter__(self) -> FakeWeChatAPI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
