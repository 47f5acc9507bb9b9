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
from typing import Any

from bank_ai.ai.speech.base import SpeechError, SpeechMark, SpeechResult, check_request, read_wav
from bank_ai.ai.speech.cloud_http import (
    CloudCallFailed,
    CloudEndpoint,
    CloudEndpointMisconfigured,
)
from bank_ai.ai.speech.visemes import viseme_for


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
        try:
            self.endpoint = CloudEndpoint.configure(
                "CLOUD_TTS",
                base_url=base_url,
                api_key=api_key,
                timeout=timeout,
                max_retries=max_retries,
                backoff=backoff,
            )
        except CloudEndpointMisconfigured as error:
            raise SpeechError(f"the cloud TTS {error}") from error
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
        try:
            return self.endpoint.post(path, payload)
        except CloudCallFailed as error:
            raise SpeechError(f"the cloud TTS {error.message}") from error


def _mark(item: dict[str, Any]) -> SpeechMark:
    text = str(item.get("text", ""))
    return SpeechMark(
        start=float(item["start"]),
        end=float(item["end"]),
        text=text,
        viseme=str(item.get("viseme") or viseme_for(text)),
    )
