"""The WeChat Official Account API the bank calls: access token and customer-service messages.

Stdlib HTTP (`urllib`); the access token is cached per account and fetched again once when WeChat
reports it invalid or expired. An error says whether the request may have reached WeChat, which
decides whether a message may be sent again (`devices.omni.outbox`).
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from django.core.cache import cache

from devices.omni.models import WeChatAccount

HTTP_TIMEOUT_SECONDS = 10
# Access tokens the API reports as invalid or expired: fetched again once.
TOKEN_ERRORS = {40001, 40014, 42001}


class WeChatError(Exception):
    """The WeChat API refused a call, or a callback could not be read.

    `maybe_delivered`: the request may have reached WeChat before the exchange broke (a
    timeout or a cut connection after sending), so a message must not be sent again blindly.
    """

    def __init__(
        self, message: str, code: int | None = None, *, maybe_delivered: bool = False
    ) -> None:
        super().__init__(message)
        self.code = code
        self.maybe_delivered = maybe_delivered


def _maybe_delivered(exc: BaseException) -> bool:
    """Whether a failed exchange may have delivered the request: refused connections and
    unknown hosts did not; timeouts, cut connections and garbled answers may have."""
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    return isinstance(
        reason,
        TimeoutError
        | ConnectionResetError
        | ConnectionAbortedError
        | http.client.HTTPException
        | ValueError,
    )


class WeChatClient:
    """The parts of the Official Account API the bank uses: access token, custom messages."""

    def __init__(self, account: WeChatAccount) -> None:
        self.account = account

    def _call(
        self, path: str, *, query: dict[str, str], body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        base = self.account.api_base.rstrip("/")
        if not base.startswith(("https://", "http://")):
            raise WeChatError("the API base URL must be http(s)")
        url = f"{base}{path}?{urllib.parse.urlencode(query)}"
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - http(s) checked above
            url, data=data, headers={"Content-Type": "application/json; charset=utf-8"}
        )
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310
                payload = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            raise WeChatError(f"WeChat API answered HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
            raise WeChatError(
                f"WeChat API unreachable: {exc!r}"[:300], maybe_delivered=_maybe_delivered(exc)
            ) from exc
        if not isinstance(payload, dict):
            raise WeChatError("WeChat API answered something that is not an object")
        code = int(payload.get("errcode", 0) or 0)
        if code:
            raise WeChatError(f"WeChat API error {code}: {payload.get('errmsg', '')}", code)
        return payload

    def _token_key(self) -> str:
        return f"omni:wechat:token:{self.account.code}"

    def access_token(self, refresh: bool = False) -> str:
        if not refresh:
            cached = cache.get(self._token_key())
            if cached:
                return str(cached)
        payload = self._call(
            "/cgi-bin/token",
            query={
                "grant_type": "client_credential",
                "appid": self.account.app_id,
                "secret": self.account.app_secret,
            },
        )
        token = str(payload.get("access_token", ""))
        if not token:
            raise WeChatError("WeChat API gave no access token")
        lifetime = int(payload.get("expires_in", 7200))
        cache.set(self._token_key(), token, max(lifetime - 300, 60))
        return token

    def _token_for_sending(self, refresh: bool = False) -> str:
        """The access token; failing to get one means nothing was sent (never "maybe")."""
        try:
            return self.access_token(refresh=refresh)
        except WeChatError as exc:
            raise WeChatError(str(exc), exc.code, maybe_delivered=False) from exc

    def send_text(self, openid: str, text: str) -> dict[str, Any]:
        body = {"touser": openid, "msgtype": "text", "text": {"content": text}}
        try:
            return self._call(
                "/cgi-bin/message/custom/send",
                query={"access_token": self._token_for_sending()},
                body=body,
            )
        except WeChatError as exc:
            if exc.code not in TOKEN_ERRORS:
                raise
            token = self._token_for_sending(refresh=True)
            return self._call(
                "/cgi-bin/message/custom/send", query={"access_token": token}, body=body
            )
