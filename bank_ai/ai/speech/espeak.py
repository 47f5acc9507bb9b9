"""eSpeak NG (Debian's ``espeak-ng``/``libespeak-ng1``, GPL-3) through its C library.

Why the library and not the command line: ``espeak_Synth`` in synchronous mode hands back word
and phoneme events with their audio positions, so every mark is timed by the synthesizer
itself (measured: marks land on the sample where the phoneme starts; see docs/speech-choice.md).
The library keeps global state, so calls are serialised with a lock.

Mandarin goes through pypinyin: Chinese characters become tone-numbered pinyin (``ni3 hao3``)
read by the ``cmn-latn-pinyin`` voice, whose Chinese-character dictionary is much weaker than
pypinyin's phrase-aware readings. Each pinyin syllable is one eSpeak "word", so word events map
back to the character they came from.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from bank_ai.ai.speech.base import SpeechError, SpeechMark, SpeechResult, check_request, wav_bytes
from bank_ai.ai.speech.text import is_cjk, numbers_to_chinese
from bank_ai.ai.speech.visemes import viseme_for

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_EVENT_PHONEME = 7

VOICES = {"en": "en-us", "zh-hans": "cmn-latn-pinyin"}
# eSpeak's "words" per minute. Each pinyin syllable is a word, so Mandarin needs a higher figure
# for a natural ~4 syllables/s; English is a little slower than eSpeak's default 175 for clarity.
RATES = {"en": 160, "zh-hans": 240}


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


@dataclass
class _Token:
    spoken: str  # what eSpeak reads (pinyin syllable or the word itself)
    shown: str  # the original text it stands for
    start: int  # 1-based character position of ``spoken`` in the synthesised string


class _Library:
    """The loaded libespeak-ng with one synthesis callback; use under ``_LOCK``."""

    def __init__(self) -> None:
        path = ctypes.util.find_library("espeak-ng") or "libespeak-ng.so.1"
        try:
            self.lib = ctypes.CDLL(path)
        except OSError as error:
            raise SpeechError(
                "eSpeak NG is not installed (Debian package espeak-ng; `make speech` installs it)"
            ) from error
        self.sample_rate = self.lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, None, _INITIALIZE_PHONEME_EVENTS
        )
        if self.sample_rate <= 0:
            raise SpeechError("eSpeak NG failed to initialise (is espeak-ng-data installed?)")
        self.samples: list[np.ndarray] = []
        self.events: list[tuple[int, int, int, str]] = []
        self._callback = _CALLBACK(self._on_audio)
        self.lib.espeak_SetSynthCallback(self._callback)
        self.lib.espeak_Synth.argtypes = [
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]

    def _on_audio(self, wav: ctypes.Array, count: int, events: ctypes.Array) -> int:
        if count > 0:
            self.samples.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        index = 0
        while events[index].type != _EVENT_LIST_TERMINATED:
            event = events[index]
            if event.type in (_EVENT_WORD, _EVENT_PHONEME):
                name = (
                    event.id.string.decode("ascii", "replace")
                    if event.type == _EVENT_PHONEME
                    else ""
                )
                self.events.append((event.type, event.text_position, event.sample, name))
            index += 1
        return 0

    def synth(
        self, text: str, voice: str, rate: int
    ) -> tuple[np.ndarray, list[tuple[int, int, int, str]]]:
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise SpeechError(f"eSpeak NG has no voice {voice!r}")
        self.lib.espeak_SetParameter(1, rate, 0)  # espeakRATE, absolute
        self.samples, self.events = [], []
        data = text.encode("utf-8")
        status = self.lib.espeak_Synth(
            data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
        )
        if status != 0:
            raise SpeechError(f"eSpeak NG could not synthesise the text (status {status})")
        audio = np.concatenate(self.samples) if self.samples else np.zeros(0, dtype=np.int16)
        return audio.astype(np.int16), self.events


_LOCK = threading.Lock()
_LIBRARY: _Library | None = None


def _library() -> _Library:
    global _LIBRARY
    if _LIBRARY is None:
        _LIBRARY = _Library()
    return _LIBRARY


def _pinyin_tokens(text: str) -> Iterator[tuple[str, str]]:
    """(spoken, shown) pairs: a pinyin syllable per Chinese character, Latin words whole
    ("VIP"), and "," / "." for the pauses of punctuation."""
    from pypinyin import Style, lazy_pinyin

    text = numbers_to_chinese(text)
    run = ""  # Chinese characters waiting for pypinyin (it reads phrases better than characters)
    word = ""  # a Latin word or number
    for ch in text + "\n":
        if is_cjk(ch):
            run += ch
        elif ch.isascii() and ch.isalnum():
            word += ch
        if run and not is_cjk(ch):
            readings = lazy_pinyin(run, style=Style.TONE3, neutral_tone_with_five=True)
            if len(readings) == len(run):
                yield from zip(readings, run, strict=True)
            else:  # pypinyin merged something: keep the run together
                yield " ".join(readings), run
            run = ""
        if word and not (ch.isascii() and ch.isalnum()):
            yield word, word
            word = ""
        if ch in "，、；：,;:":
            yield ",", ch
        elif ch in "。！？!?.…":
            yield ".", ch


def _tokens(text: str, language: str) -> tuple[str, list[_Token]]:
    if language == "zh-hans":
        pairs = list(_pinyin_tokens(text))
    else:
        pairs = [(word, word) for word in text.split()]
    spoken_text = ""
    tokens: list[_Token] = []
    for spoken, shown in pairs:
        if spoken in {",", "."}:
            spoken_text = spoken_text.rstrip() + spoken + " "
            continue
        tokens.append(_Token(spoken=spoken, shown=shown, start=len(spoken_text) + 1))
        spoken_text += spoken + " "
    return spoken_text.strip(), tokens


class EspeakSynthesizer:
    """Offline eSpeak NG for English and Mandarin, with phoneme marks from its own events."""

    name = "espeak-ng"

    def __init__(self, *, rates: dict[str, int] | None = None) -> None:
        self.rates = {**RATES, **(rates or {})}

    def languages(self) -> frozenset[str]:
        return frozenset(VOICES)

    def synthesize(self, text: str, *, language: str, voice: str | None = None) -> SpeechResult:
        lang, text = check_request(text, language, self.languages())
        spoken, tokens = _tokens(text, lang)
        if not tokens:
            raise SpeechError("nothing to say: the text has no words")
        voice_name = voice or VOICES[lang]
        with _LOCK:
            library = _library()
            audio, events = library.synth(spoken, voice_name, self.rates[lang])
            rate = library.sample_rate
        if not len(audio):
            raise SpeechError("eSpeak NG produced no audio")
        return SpeechResult(
            wav=wav_bytes(audio, rate),
            sample_rate=rate,
            duration=len(audio) / rate,
            marks=tuple(_marks(events, tokens, rate, len(audio))),
            language=lang,
            voice=f"espeak-ng:{voice_name}",
        )


def _marks(
    events: list[tuple[int, int, int, str]], tokens: list[_Token], rate: int, total: int
) -> Iterator[SpeechMark]:
    """Phoneme marks; each phoneme ends where the next event starts (the last at the audio end)."""
    phonemes = [
        (sample, name, position)
        for kind, position, sample, name in events
        if kind == _EVENT_PHONEME
    ]
    starts = [token.start for token in tokens]
    for index, (sample, name, position) in enumerate(phonemes):
        end = phonemes[index + 1][0] if index + 1 < len(phonemes) else total
        if end <= sample:
            continue
        viseme = viseme_for(name)
        if name.startswith("_"):
            viseme = "rest"
        owner = _owner(starts, position)
        yield SpeechMark(
            start=round(sample / rate, 4),
            end=round(end / rate, 4),
            text=tokens[owner].shown if owner is not None and viseme != "rest" else "",
            viseme=viseme,
        )


def _owner(starts: list[int], position: int) -> int | None:
    owner = None
    for index, start in enumerate(starts):
        if start <= position:
            owner = index
        else:
            break
    return owner
