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
from typing import Any

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


class CloudCallFailed(Exception):
    """`status` is the final HTTP status when the service refused (None: never answered)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


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
