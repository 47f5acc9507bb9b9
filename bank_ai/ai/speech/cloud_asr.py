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
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from bank_ai.ai.speech.base import normalise_language, wav_bytes
from bank_ai.ai.speech.cloud_http import CloudCallFailed, post_json
from bank_ai.ai.speech.recognition import (
    SAMPLE_RATE,
    RecognitionError,
    Transcript,
    timed_transcript,
)

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
        try:
            return post_json(
                self.base_url + path,
                payload,
                api_key=self.api_key,
                timeout=self.timeout,
                max_retries=self.max_retries,
                backoff=self.backoff,
            )
        except CloudCallFailed as error:
            code = "bad_audio" if error.status in _AUDIO_REFUSED else "asr_unavailable"
            what = "refused the audio" if code == "bad_audio" else None
            message = (
                error.message
                if what is None
                else error.message.replace("refused the request", what, 1)
            )
            raise RecognitionError(code, f"the cloud ASR {message}") from error
