"""The bank's licensed cloud TTS, spoken to over its HTTP JSON API.

Request: ``POST {base_url}/v1/synthesize`` with ``Authorization: Bearer <key>`` and
``{"text", "language", "voice", "format": "wav", "marks": "word"}``.
Answer: ``{"audio": <base64 WAV>, "sample_rate", "voice", "marks": [{"start", "end", "text",
"viseme"?}]}``; times in seconds. Errors are ``{"error": {"code", "message"}}`` with an HTTP
status. 5xx, 429 and network failures are retried with backoff; other 4xx are final. Marks
without a viseme get one from their text. Standard library only: no SDK to vet or pin.

Configure with ``CLOUD_TTS_BASE_URL`` and ``CLOUD_TTS_API_KEY`` (or ``_FILE``).
"""

from __future__ import annotations

import base64
import binascii
import json
import socket
import time
import urllib.error
import urllib.request
from typing import Any

from bank_ai.ai.speech.base import SpeechError, SpeechMark, SpeechResult, check_request, read_wav
from bank_ai.ai.speech.visemes import viseme_for

_RETRIED_STATUSES = {429, 500, 502, 503, 504}


class CloudSynthesizer:
    name = "cloud"

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        backoff: float = 0.5,
        supported: frozenset[str] = frozenset({"zh-hans", "en"}),
    ) -> None:
        if base_url is None or api_key is None or timeout is None or max_retries is None:
            from django.conf import settings

            base_url = base_url if base_url is not None else settings.CLOUD_TTS_BASE_URL
            api_key = api_key if api_key is not None else settings.CLOUD_TTS_API_KEY
            timeout = timeout if timeout is not None else settings.CLOUD_TTS_TIMEOUT_SECONDS
            max_retries = max_retries if max_retries is not None else settings.CLOUD_TTS_MAX_RETRIES
        if not base_url or not api_key:
            raise SpeechError("the cloud TTS needs CLOUD_TTS_BASE_URL and CLOUD_TTS_API_KEY")
        if not base_url.startswith(("http://", "https://")):
            raise SpeechError(f"CLOUD_TTS_BASE_URL must be an http(s) URL, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.supported = supported

    def languages(self) -> frozenset[str]:
        return self.supported

    def synthesize(self, text: str, *, language: str, voice: str | None = None) -> SpeechResult:
        lang, text = check_request(text, language, self.languages())
        payload = {"text": text, "language": lang, "voice": voice, "format": "wav", "marks": "word"}
        body = self._post("/v1/synthesize", payload)
        try:
            wav = base64.b64decode(body["audio"], validate=True)
            marks = tuple(_mark(item) for item in body.get("marks") or ())
        except (KeyError, TypeError, ValueError, binascii.Error) as error:
            raise SpeechError(
                f"the cloud TTS answered in an unexpected shape: {error!r}"
            ) from error
        samples, rate = read_wav(wav)
        return SpeechResult(
            wav=wav,
            sample_rate=rate,
            duration=len(samples) / rate,
            marks=marks,
            language=lang,
            voice=f"cloud:{body.get('voice') or voice or 'default'}",
        )

    def _post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps(payload).encode()
        last_error = "no attempt made"
        for attempt in range(self.max_retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
                self.base_url + path,
                data=data,
                method="POST",
                headers={
                    "Authorization": f"Bearer {self.api_key}",
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                },
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    return json.loads(response.read())
            except urllib.error.HTTPError as error:
                message = _error_message(error)
                if error.code not in _RETRIED_STATUSES:
                    raise SpeechError(
                        f"the cloud TTS refused the request ({error.code}): {message}"
                    ) from error
                last_error = f"HTTP {error.code}: {message}"
            except TimeoutError as error:
                last_error = f"no answer within {self.timeout:g} s"
                if attempt == self.max_retries:
                    raise SpeechError(f"the cloud TTS timed out ({last_error})") from error
            except urllib.error.URLError as error:
                if isinstance(error.reason, TimeoutError | socket.timeout):
                    last_error = f"no answer within {self.timeout:g} s"
                else:
                    last_error = f"unreachable: {error.reason}"
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                raise SpeechError(
                    "the cloud TTS answered with something that is not JSON"
                ) from error
        raise SpeechError(
            f"the cloud TTS failed after {self.max_retries + 1} attempts ({last_error})"
        )


def _mark(item: dict[str, Any]) -> SpeechMark:
    text = str(item.get("text", ""))
    return SpeechMark(
        start=float(item["start"]),
        end=float(item["end"]),
        text=text,
        viseme=str(item.get("viseme") or viseme_for(text)),
    )


def _error_message(error: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(error.read() or b"{}")
        return str(body.get("error", {}).get("message") or error.reason)
    except (ValueError, AttributeError):
        return str(error.reason)
