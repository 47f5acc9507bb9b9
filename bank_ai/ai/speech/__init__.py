"""Speech synthesis: text → WAV + timed marks, behind one interface chosen in settings.

``settings.SPEECH_SYNTHESIZER`` is a dotted class path, or a per-language map of them
(``{"en": "...PiperSynthesizer", "zh-hans": "...EspeakSynthesizer"}``). Providers:

- ``piper_provider.PiperSynthesizer``: English, neural, offline (default for en)
- ``espeak.EspeakSynthesizer``: English and Mandarin, offline (default for zh-hans)
- ``cloud.CloudSynthesizer``: the bank's licensed cloud TTS over HTTP

Speech recognition (customer audio → text) is the other direction: ``get_recognizer()``
returns the provider named by ``settings.SPEECH_RECOGNIZER`` (``recognition.py``).

Why these: ``docs/speech-choice.md`` (measurements and licences).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

from django.utils.module_loading import import_string

from bank_ai.ai.speech.base import (
    LANGUAGES,
    SpeechError,
    SpeechMark,
    SpeechResult,
    SpeechSynthesizer,
    normalise_language,
    read_wav,
    wav_bytes,
)
from bank_ai.ai.speech.recognition import (
    AUDIO_FORMATS,
    BoundedRecognizer,
    RecognitionError,
    SpeechRecognizer,
    Transcript,
    check_duration,
    decode_audio,
    error_rate,
)
from bank_ai.ai.speech.text import speakable_text, split_phrases
from bank_ai.ai.speech.visemes import VISEMES, mouth_shape, viseme_for

__all__ = [
    "AUDIO_FORMATS",
    "LANGUAGES",
    "VISEMES",
    "BoundedRecognizer",
    "RecognitionError",
    "RoutingSynthesizer",
    "SpeechError",
    "SpeechMark",
    "SpeechResult",
    "SpeechRecognizer",
    "SpeechSynthesizer",
    "Transcript",
    "check_duration",
    "decode_audio",
    "error_rate",
    "get_recognizer",
    "get_synthesizer",
    "mouth_shape",
    "normalise_language",
    "read_wav",
    "recognizer_warm_up_in_background",
    "speakable_text",
    "speech_rate",
    "split_phrases",
    "viseme_for",
    "wav_bytes",
]

# Measured with the default providers on the bank's demo scripts (docs/speech-choice.md):
# Chinese characters per second (eSpeak NG cmn-latn-pinyin at 240 wpm) and English words per
# second (Piper en_US-joe-medium). Used to refuse over-long scripts before synthesising them.
_RATES = {"zh-hans": 5.1, "en": 3.3}


def speech_rate(language: str) -> float:
    """Measured speaking rate: characters/s for zh-hans, words/s for en."""
    return _RATES[normalise_language(language)]


class RoutingSynthesizer:
    """One synthesizer per language, for a per-language ``SPEECH_SYNTHESIZER`` map."""

    name = "routing"

    def __init__(self, by_language: Mapping[str, SpeechSynthesizer]) -> None:
        self.by_language = {normalise_language(lang): synth for lang, synth in by_language.items()}

    def languages(self) -> frozenset[str]:
        return frozenset(self.by_language)

    def synthesize(self, text: str, *, language: str, voice: str | None = None) -> SpeechResult:
        lang = normalise_language(language)
        if lang not in self.by_language:
            raise SpeechError(
                f"no synthesizer is configured for {lang!r} "
                f"(configured: {sorted(self.by_language)})"
            )
        return self.by_language[lang].synthesize(text, language=lang, voice=voice)


_CACHE: dict[str, SpeechSynthesizer] = {}
_CACHE_LOCK = threading.Lock()


def _build(path: str) -> SpeechSynthesizer:
    with _CACHE_LOCK:
        if path not in _CACHE:
            try:
                factory = import_string(path)
            except ImportError as error:
                raise SpeechError(
                    f"SPEECH_SYNTHESIZER names {path!r}, which cannot be imported"
                ) from error
            _CACHE[path] = factory()
        return _CACHE[path]


def get_synthesizer() -> SpeechSynthesizer:
    """The configured synthesizer; instances are shared per process (voices load slowly)."""
    from django.conf import settings

    configured = settings.SPEECH_SYNTHESIZER
    if isinstance(configured, str):
        return _build(configured)
    return RoutingSynthesizer({lang: _build(path) for lang, path in configured.items()})


_RECOGNIZERS: dict[tuple[str, int, float], BoundedRecognizer] = {}


def get_recognizer() -> BoundedRecognizer:
    """The configured recognizer, bounded to ``ASR_MAX_CONCURRENT`` at once; shared per
    process (the model loads once). RecognitionError ``asr_unavailable`` when misconfigured."""
    from django.conf import settings

    path = settings.SPEECH_RECOGNIZER
    key = (path, settings.ASR_MAX_CONCURRENT, settings.ASR_QUEUE_WAIT_SECONDS)
    with _CACHE_LOCK:
        if key not in _RECOGNIZERS:
            try:
                factory = import_string(path)
            except ImportError as error:
                raise RecognitionError(
                    "asr_unavailable", f"SPEECH_RECOGNIZER names {path!r}, which cannot be imported"
                ) from error
            _RECOGNIZERS[key] = BoundedRecognizer(
                factory(),
                max_concurrent=settings.ASR_MAX_CONCURRENT,
                wait_seconds=settings.ASR_QUEUE_WAIT_SECONDS,
            )
        return _RECOGNIZERS[key]


logger = logging.getLogger(__name__)


def recognizer_warm_up_in_background() -> threading.Thread | None:
    """Start loading the configured recognizer on a daemon thread (`ASR_WARM_UP`).

    A misconfigured or missing model is logged, not raised: the server still starts, and the
    first utterance then gets the same `asr_unavailable` error it would have got anyway.
    """
    from django.conf import settings

    if not settings.ASR_WARM_UP:
        return None

    def warm_up() -> None:
        try:
            seconds = get_recognizer().warm_up()
        except RecognitionError as error:
            logger.warning("speech recognizer not warmed up: %s", error)
        else:
            logger.info("speech recognizer ready in %.1f s", seconds)

    thread = threading.Thread(target=warm_up, name="asr-warm-up", daemon=True)
    thread.start()
    return thread
