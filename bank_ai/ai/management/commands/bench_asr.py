"""Speech recognition benchmark: short customer questions spoken by the project's own TTS
(Piper for English, eSpeak NG for Mandarin), recognised by the configured SPEECH_RECOGNIZER.

    manage.py bench_asr [--repeat 2] [--concurrency 1] [--no-vocabulary] [--show]

Prints, per language: utterances, audio seconds, p50/p95 recognition seconds, real-time factor
and the error rate (CER for Chinese, WER for English), with and without the vocabulary prompt
the socket builds from what the screen offers. With --concurrency N, N threads recognise at
once through the bounded recognizer, which shows the queueing and the `asr_busy` refusals.
eSpeak's robotic Mandarin is harder than a person; its CER is an upper bound.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bank_ai.ai.speech import (
    RecognitionError,
    decode_audio,
    error_rate,
    get_recognizer,
    get_synthesizer,
)

# (what the customer says, what the screen offers at that point)
UTTERANCES = {
    "en": [
        ("I would like to apply for a credit card.", ["credit card", "apply", "activate"]),
        ("I travel abroad a lot and love good food.", ["travel", "dining", "cash back"]),
        ("My annual income is three hundred thousand.", ["annual income"]),
        ("How is the annual fee waived?", ["annual fee", "fee waiver"]),
        ("I want to pay my bill in instalments.", ["instalments", "full payment", "minimum"]),
        ("Please connect me to a person.", ["agent", "person"]),
    ],
    "zh-hans": [
        ("我想申请一张信用卡", ["申请信用卡", "激活信用卡", "账单分期"]),
        ("我经常出国旅游", ["出国旅游", "美食", "购物返现"]),
        ("年费怎么免", ["年费", "免年费"]),
        ("我要办理账单分期", ["账单分期", "全额还款", "最低还款"]),
        ("帮我激活信用卡", ["激活信用卡", "申请信用卡"]),
        ("我要转人工", ["转人工", "人工客服"]),
    ],
}


@dataclass
class Row:
    language: str
    prompted: bool
    seconds: list[float]
    audio: float
    rates: list[float]
    busy: int


class Command(BaseCommand):
    help = "Benchmark speech recognition on project-TTS utterances (p50/p95 seconds, CER/WER)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repeat", type=int, default=1, help="rounds over the utterances")
        parser.add_argument("--concurrency", type=int, default=1, help="threads at once")
        parser.add_argument(
            "--no-vocabulary", action="store_true", help="skip the rows with a vocabulary prompt"
        )
        parser.add_argument("--show", action="store_true", help="print every transcript")

    def handle(
        self,
        *args: object,
        repeat: int,
        concurrency: int,
        no_vocabulary: bool,
        show: bool,
        **options: object,
    ) -> None:
        if repeat < 1 or concurrency < 1:
            raise CommandError("--repeat and --concurrency must be at least 1")
        try:
            recognizer = get_recognizer()
            load = getattr(recognizer.inner, "load", None)
            started = time.monotonic()
            if load is not None:
                load()
            loaded = time.monotonic() - started
        except RecognitionError as error:
            raise CommandError(f"the recognizer is unavailable: {error}") from error
        self.stdout.write(
            f"recognizer {recognizer.name}: loaded in {loaded:.1f} s; "
            f"{recognizer.max_concurrent} at once, {concurrency} thread(s), {repeat} round(s)"
        )
        synthesizer = get_synthesizer()
        rows: list[Row] = []
        for language, items in UTTERANCES.items():
            audio = [
                decode_audio(
                    synthesizer.synthesize(text, language=language).wav, audio_format="wav"
                )
                for text, _ in items
            ]
            for prompted in (False, True) if not no_vocabulary else (False,):
                rows.append(
                    self._measure(
                        recognizer, language, items, audio, prompted, repeat, concurrency, show
                    )
                )
        self.stdout.write(
            f"{'language':<9}{'prompt':<8}{'utterances':>11}{'audio s':>9}{'p50 s':>8}"
            f"{'p95 s':>8}{'RTF':>7}{'error':>8}  measure{'busy':>6}"
        )
        for row in rows:
            done = len(row.seconds)
            p50 = statistics.median(row.seconds) if done else float("nan")
            p95 = _percentile(row.seconds, 95) if done else float("nan")
            rtf = sum(row.seconds) / row.audio if row.audio else float("nan")
            error = statistics.mean(row.rates) if row.rates else float("nan")
            self.stdout.write(
                f"{row.language:<9}{'yes' if row.prompted else 'no':<8}{done:>11}"
                f"{row.audio:>9.1f}{p50:>8.2f}{p95:>8.2f}{rtf:>7.2f}{error:>8.3f}  "
                f"{'CER' if row.language == 'zh-hans' else 'WER':<7}{row.busy:>6}"
            )

    def _measure(self, recognizer, language, items, audio, prompted, repeat, concurrency, show):  # noqa: ANN001, ANN202, PLR0913
        jobs = [index for _ in range(repeat) for index in range(len(items))]
        row = Row(language, prompted, [], 0.0, [], 0)
        lock = threading.Lock()

        def work() -> None:
            while True:
                with lock:
                    if not jobs:
                        return
                    index = jobs.pop(0)
                text, vocabulary = items[index]
                started = time.monotonic()
                try:
                    heard = recognizer.transcribe(
                        audio[index], language=language, vocabulary=vocabulary if prompted else ()
                    ).text
                except RecognitionError as error:
                    if error.code == "asr_busy":
                        with lock:
                            row.busy += 1
                        continue
                    heard = ""  # no speech recognised: every word is an error
                elapsed = time.monotonic() - started
                with lock:
                    row.seconds.append(elapsed)
                    row.audio += len(audio[index]) / 16000
                    row.rates.append(error_rate(text, heard, language=language))
                if show:
                    self.stdout.write(
                        f"  [{language}{' +prompt' if prompted else ''}] "
                        f"{text!r} -> {heard!r} ({elapsed:.2f} s)"
                    )

        threads = [threading.Thread(target=work) for _ in range(concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return row


def _percentile(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(percent / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]
