"""A local fake of the bank's licensed cloud ASR (the HTTP JSON API ``CloudRecognizer`` speaks).

``POST /v1/recognize`` with a bearer key and ``{"audio": <base64 WAV>, "format", "sample_rate",
"language", "vocabulary"}`` answers ``{"text", "language", "seconds"}``. It checks the audio
really is a 16 kHz mono 16-bit WAV (a 415 otherwise, like the real service) and "recognises"
it by the number of 0.3 s tones it holds, reading ``words[i]`` for tone i: the text follows
from the audio sent, not from the test. Scripted failures are taken in order, as in
``tts_server``. Stdlib only, loopback only.
"""

from __future__ import annotations

import base64
import binascii
import io
import wave
from typing import Any

import numpy as np

from tests.fakes.tts_server import Delay, Fail, FakeCloudSpeechServer

DEFAULT_API_KEY = "asr-test-key"
SAMPLE_RATE = 16000
TONE_SECONDS = 0.3


def tones(count: int, rate: int = SAMPLE_RATE) -> np.ndarray:
    """``count`` tones of 0.3 s separated by 0.1 s of silence (int16)."""
    t = np.arange(int(TONE_SECONDS * rate)) / rate
    gap = np.zeros(int(0.1 * rate))
    parts = []
    for i in range(count):
        parts += [0.3 * np.sin(2 * np.pi * (300 + 50 * i) * t), gap]
    return (np.concatenate(parts) * 32767).astype(np.int16)


def count_tones(samples: np.ndarray, rate: int) -> int:
    window = int(0.05 * rate)
    frames = len(samples) // window
    loud = [
        float(np.abs(samples[i * window : (i + 1) * window]).mean()) > 1000 for i in range(frames)
    ]
    return sum(1 for i, on in enumerate(loud) if on and (i == 0 or not loud[i - 1]))


class FakeASRServer(FakeCloudSpeechServer):
    """Hears one of `words` per tone in the WAV it is sent."""

    path = "/v1/recognize"

    def __init__(
        self,
        *,
        words: list[str],
        script: list[Fail | Delay] | None = None,
        api_key: str = DEFAULT_API_KEY,
    ) -> None:
        self.words = words
        super().__init__(script=script, api_key=api_key)

    def answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return self.recognise(body)

    def recognise(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        try:
            data = base64.b64decode(body.get("audio", ""), validate=True)
            with wave.open(io.BytesIO(data), "rb") as src:
                shape = (src.getnchannels(), src.getsampwidth(), src.getframerate())
                samples = np.frombuffer(src.readframes(src.getnframes()), dtype=np.int16)
        except (binascii.Error, ValueError, wave.Error, EOFError):
            return 415, {"error": {"code": "bad_audio", "message": "not a WAV file"}}
        if shape != (1, 2, SAMPLE_RATE):
            return 415, {
                "error": {"code": "bad_audio", "message": f"need 16 kHz mono, got {shape}"}
            }
        heard = self.words[: count_tones(samples, SAMPLE_RATE)]
        return 200, {
            "text": " ".join(heard),
            "language": body.get("language"),
            "seconds": len(samples) / SAMPLE_RATE,
        }
