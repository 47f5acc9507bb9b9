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
from bank_ai.ai.speech.cloud_http import (
    CloudCallFailed,
    CloudEndpoint,
    CloudEndpointMisconfigured,
)
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
        try:
            self.endpoint = CloudEndpoint.configure(
                "CLOUD_ASR",
                base_url=base_url,
                api_key=api_key,
                timeout=timeout,
                max_retries=max_retries,
                backoff=backoff,
            )
        except CloudEndpointMisconfigured as error:
            raise RecognitionError("asr_unavailable", f"the cloud ASR {error}") from error
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
            return self.endpoint.post(path, payload)
        except CloudCallFailed as error:
            code = "bad_audio" if error.status in _AUDIO_REFUSED else "asr_unavailable"
            what = "refused the audio" if code == "bad_audio" else None
            message = (
                error.message
                if what is None
                else error.message.replace("refused the request", what, 1)
            )
            raise RecognitionError(code, f"the cloud ASR {message}") from error
