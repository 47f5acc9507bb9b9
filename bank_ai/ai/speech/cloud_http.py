"""One JSON POST to a bank's licensed cloud speech service, with retries.

Shared by the cloud TTS and the cloud ASR: both speak JSON over HTTP with a bearer key, retry
5xx, 429 and network failures with exponential backoff, and treat other 4xx as final. Errors
are raised as `CloudCallFailed`; each provider turns them into its own error type.
Standard library only: no SDK to vet or pin.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


class CloudCallFailed(Exception):
    """`status` is the final HTTP status when the service refused (None: never answered)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class CloudEndpointMisconfigured(Exception):
    """The settings name no usable service; the message says which setting to fix."""


@dataclass(frozen=True)
class CloudEndpoint:
    """Where one cloud speech service lives and how hard to try it.

    Arguments left as None come from the settings `<PREFIX>_BASE_URL`, `_API_KEY`,
    `_TIMEOUT_SECONDS` and `_MAX_RETRIES`, so tests can pass everything and production nothing.
    """

    base_url: str
    api_key: str
    timeout: float
    max_retries: int
    backoff: float

    @classmethod
    def configure(
        cls,
        prefix: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        backoff: float = 0.5,
    ) -> CloudEndpoint:
        if base_url is None or api_key is None or timeout is None or max_retries is None:
            from django.conf import settings

            base_url = getattr(settings, f"{prefix}_BASE_URL") if base_url is None else base_url
            api_key = getattr(settings, f"{prefix}_API_KEY") if api_key is None else api_key
            if timeout is None:
                timeout = getattr(settings, f"{prefix}_TIMEOUT_SECONDS")
            if max_retries is None:
                max_retries = getattr(settings, f"{prefix}_MAX_RETRIES")
        if not base_url or not api_key:
            raise CloudEndpointMisconfigured(f"needs {prefix}_BASE_URL and {prefix}_API_KEY")
        if not base_url.startswith(("http://", "https://")):
            raise CloudEndpointMisconfigured(
                f"{prefix}_BASE_URL must be an http(s) URL, got {base_url!r}"
            )
        return cls(base_url.rstrip("/"), api_key, float(timeout), int(max_retries), backoff)

    def post(self, path: str, payload: dict[str, Any]) -> Any:
        return post_json(
            self.base_url + path,
            payload,
            api_key=self.api_key,
            timeout=self.timeout,
            max_retries=self.max_retries,
            backoff=self.backoff,
        )


def post_json(
    url: str,
    payload: dict[str, Any],
    *,
    api_key: str,
    timeout: float,
    max_retries: int,
    backoff: float,
) -> Any:
    data = json.dumps(payload).encode()
    last_error = "no attempt made"
    for attempt in range(max_retries + 1):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        request = urllib.request.Request(  # noqa: S310 - callers check the scheme
            url,
            data=data,
            method="POST",
            headers={
                "Authorization": f"Bearer {api_key}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            message = _error_message(error)
            if error.code not in RETRIED_STATUSES:
                raise CloudCallFailed(
                    f"refused the request ({error.code}): {message}", status=error.code
                ) from error
            last_error = f"HTTP {error.code}: {message}"
        except TimeoutError:
            last_error = f"no answer within {timeout:g} s"
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError | socket.timeout):
                last_error = f"no answer within {timeout:g} s"
            else:
                last_error = f"unreachable: {error.reason}"
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise CloudCallFailed("answered with something that is not JSON") from error
    raise CloudCallFailed(f"failed after {max_retries + 1} attempts ({last_error})")


def _error_message(error: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(error.read() or b"{}")
        return str(body.get("error", {}).get("message") or error.reason)
    except (ValueError, AttributeError):
        return str(error.reason)
