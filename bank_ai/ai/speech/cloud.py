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
from bank_ai.ai.speech.cloud_http import CloudCallFailed, post_json
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
            raise SpeechError(f"the cloud TTS {error.message}") from error


def _mark(item: dict[str, Any]) -> SpeechMark:
    text = str(item.get("text", ""))
    return SpeechMark(
        start=float(item["start"]),
        end=float(item["end"]),
        text=text,
        viseme=str(item.get("viseme") or viseme_for(text)),
    )
