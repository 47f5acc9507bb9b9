"""The bank's licensed cloud ASR, spoken to over its HTTP JSON API.

Request: ``POST {base_url}/v1/recognize`` with ``Authorization: Bearer <key>`` and
``{"audio": <base64 16 kHz mono 16-bit WAV>, "format": "wav", "sample_rate": 16000,
"language", "vocabulary": [...]}``. Answer: ``{"text", "language"?}``. Errors are
``{"error": {"code", "message"}}`` with an HTTP status; 5xx, 429 and network failures are
retried with backoff, other 4xx are final (a 400/415/422 means the audio was refused:
``bad_audio``). Standard library only.

Configure with ``CLOUD_ASR_BASE_URL`` and ``CLOUD_ASR_API_KEY`` (or ``_FILE``).
"""

from __future__ import annotations

import base64
import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

import numpy as np

from bank_ai.ai.speech.base import normalise_language, wav_bytes
from bank_ai.ai.speech.recognition import (
    SAMPLE_RATE,
    RecognitionError,
    Transcript,
    timed_transcript,
)

_RETRIED_STATUSES = {429, 500, 502, 503, 504}
_AUDIO_REFUSED = {400, 413, 415, 422}


class CloudRecognizer:
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

            base_url = base_url if base_url is not None else settings.CLOUD_ASR_BASE_URL
            api_key = api_key if api_key is not None else settings.CLOUD_ASR_API_KEY
            timeout = timeout if timeout is not None else settings.CLOUD_ASR_TIMEOUT_SECONDS
            max_retries = max_retries if max_retries is not None else settings.CLOUD_ASR_MAX_RETRIES
        if not base_url or not api_key:
            raise RecognitionError(
                "asr_unavailable", "the cloud ASR needs CLOUD_ASR_BASE_URL and CLOUD_ASR_API_KEY"
            )
        if not base_url.startswith(("http://", "https://")):
            raise RecognitionError(
                "asr_unavailable", f"CLOUD_ASR_BASE_URL must be an http(s) URL, got {base_url!r}"
            )
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.supported = supported

    def languages(self) -> frozenset[str]:
        return self.supported

    def transcribe(
        self, samples: np.ndarray, *, language: str, vocabulary: Sequence[str] = ()
    ) -> Transcript:
        lang = normalise_language(language)
        if lang not in self.supported:
            raise RecognitionError("asr_unavailable", f"the cloud ASR does not recognise {lang!r}")
        started = time.monotonic()
        payload = {
            "audio": base64.b64encode(wav_bytes(samples, SAMPLE_RATE)).decode(),
            "format": "wav",
            "sample_rate": SAMPLE_RATE,
            "language": lang,
            "vocabulary": [str(word) for word in vocabulary][:100],
        }
        body = self._post("/v1/recognize", payload)
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str):
            raise RecognitionError("asr_unavailable", "the cloud ASR answered without a text field")
        return timed_transcript(
            text,
            language=lang,
            duration=len(samples) / SAMPLE_RATE,
            started=started,
            provider=self.name,
        )

    def _post(self, path: str, payload: dict[str, Any]) -> Any:
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
                if error.code in _AUDIO_REFUSED:
                    raise RecognitionError(
                        "bad_audio", f"the cloud ASR refused the audio ({error.code}): {message}"
                    ) from error
                if error.code not in _RETRIED_STATUSES:
                    raise RecognitionError(
                        "asr_unavailable",
                        f"the cloud ASR refused the request ({error.code}): {message}",
                    ) from error
                last_error = f"HTTP {error.code}: {message}"
            except TimeoutError:
                last_error = f"no answer within {self.timeout:g} s"
            except urllib.error.URLError as error:
                if isinstance(error.reason, TimeoutError | socket.timeout):
                    last_error = f"no answer within {self.timeout:g} s"
                else:
                    last_error = f"unreachable: {error.reason}"
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                raise RecognitionError(
                    "asr_unavailable", "the cloud ASR answered with something that is not JSON"
                ) from error
        raise RecognitionError(
            "asr_unavailable",
            f"the cloud ASR failed after {self.max_retries + 1} attempts ({last_error})",
        )


def _error_message(error: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(error.read() or b"{}")
        return str(body.get("error", {}).get("message") or error.reason)
    except (ValueError, AttributeError):
        return str(error.reason)
