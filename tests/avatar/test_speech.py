"""Speech on the avatar socket: spoken questions (audio.* frames, recognised on the server)
and server speech (speech.audio frames), docs/avatar-protocol.md sections 2a and 3a."""

from __future__ import annotations

import base64
import io
import wave
from typing import Any

import numpy as np
import pytest
from asgiref.sync import async_to_sync

from bank_ai.ai.speech import error_rate, get_synthesizer, read_wav
from bank_ai.ai.speech.recognition import RecognitionError
from devices.speech_output import SentenceBuffer
from scenarios.models import Turn
from tests.avatar.conftest import Client
from tests.fakes.asr_server import FakeASRServer, tones

pytestmark = pytest.mark.django_db

CHUNK_BYTES = 9000  # base64 of 9000 bytes plus the JSON around it stays under the 16 KiB limit


def project_tts(text: str, language: str) -> bytes:
    """A WAV of `text` made by the project's own synthesizer (Piper en, eSpeak NG zh-hans)."""
    return get_synthesizer().synthesize(text, language=language).wav


def wav_of(samples: np.ndarray, rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.astype(np.int16).tobytes())
    return buffer.getvalue()


async def send_utterance(client: Client, audio: bytes, **start: Any) -> None:
    await client.send({"type": "audio.start", "format": "wav", "id": "u1", **start})
    for offset in range(0, len(audio), CHUNK_BYTES):
        chunk = base64.b64encode(audio[offset : offset + CHUNK_BYTES]).decode()
        await client.send({"type": "audio.chunk", "data": chunk})
    await client.send({"type": "audio.end", "id": "u1"})


def spoken_turn(token: str, audio: bytes, language: str, **start: Any) -> list[dict[str, Any]]:
    async def scenario() -> list[dict[str, Any]]:
        client = Client(f"/ws/avatar/?token={token}")
        await client.connect()
        await client.start(language=language)
        await send_utterance(client, audio, **start)
        frames = await client.recv_until("answer.done", timeout=180)
        await client.close()
        return frames

    return async_to_sync(scenario)()


@pytest.mark.slow
def test_a_spoken_english_question_is_transcribed_and_answered(kiosk_token: str) -> None:
    question = "I travel abroad a lot and I love good food."
    frames = spoken_turn(kiosk_token, project_tts(question, "en"), "en")
    kinds = [frame["type"] for frame in frames]
    assert kinds[0] == "asr.result", frames[0]
    assert kinds[1] == "turn.ack"
    assert kinds[-1] == "answer.done"
    heard = frames[0]
    assert heard["id"] == "u1"
    assert error_rate(question, heard["text"], language="en") <= 0.25, heard["text"]
    assert frames[1]["source"] == "asr"
    done = frames[-1]
    assert done["text"]
    assert done["in_reply_to"] == {"kind": "text", "text": heard["text"], "source": "asr"}
    stored = Turn.objects.filter(session_id=done["session_id"], role="customer").last()
    assert stored is not None
    assert stored.text == heard["text"]


@pytest.mark.slow
def test_a_spoken_chinese_question_sent_as_binary_pcm_is_transcribed_and_answered(
    kiosk_token: str,
) -> None:
    question = "我想申请一张信用卡"
    samples, rate = read_wav(project_tts(question, "zh-hans"))

    async def scenario() -> list[dict[str, Any]]:
        client = Client(f"/ws/avatar/?token={kiosk_token}")
        await client.connect()
        await client.start(language="zh-hans")
        await client.send({"type": "audio.start", "format": "pcm_s16le", "sample_rate": rate})
        raw = samples.astype("<i2").tobytes()
        for offset in range(0, len(raw), 16000):
            await client.ws.send_to(bytes_data=raw[offset : offset + 16000])
        await client.send({"type": "audio.end", "id": "zh"})
        frames = await client.recv_until("answer.done", timeout=180)
        await client.close()
        return frames

    frames = async_to_sync(scenario)()
    heard = frames[0]
    assert heard["type"] == "asr.result", heard
    assert heard["language"] == "zh-hans"
    # eSpeak NG's Mandarin is robotic (Whisper mishears about a quarter of its syllables; the
    # bench, manage.py bench_asr, reports the figures): the words that matter must be there.
    assert "信用卡" in heard["text"]
    assert error_rate(question, heard["text"], language="zh-hans") <= 0.5, heard["text"]
    assert frames[1]["type"] == "turn.ack"
    assert frames[1]["source"] == "asr"
    assert frames[-1]["type"] == "answer.done"
    assert frames[-1]["in_reply_to"]["source"] == "asr"


def run_frames(token: str, frames: list[dict[str, Any]], expect: int) -> list[dict[str, Any]]:
    async def scenario() -> list[dict[str, Any]]:
        client = Client(f"/ws/avatar/?token={token}")
        await client.connect()
        await client.start(language="en")
        for frame in frames:
            await client.send(frame)
        answers = [await client.recv(timeout=60) for _ in range(expect)]
        await client.send({"type": "ping", "nonce": "still-open"})
        pong = await client.recv()
        await client.close()
        return [*answers, pong]

    return async_to_sync(scenario)()


def customer_turns() -> int:
    return Turn.objects.filter(role="customer").count()


def test_an_utterance_over_the_byte_limit_is_refused_and_dropped_whole(
    kiosk_token: str, settings: Any
) -> None:
    settings.ASR_MAX_UTTERANCE_BYTES = 20000
    before = customer_turns()
    chunk = base64.b64encode(b"\0" * 9000).decode()
    frames = run_frames(
        kiosk_token,
        [
            {"type": "audio.start", "format": "wav"},
            *[{"type": "audio.chunk", "data": chunk} for _ in range(3)],
            {"type": "audio.end", "id": "big"},
        ],
        expect=2,
    )
    assert frames[0]["type"] == "error"
    assert frames[0]["code"] == "audio_too_large"
    assert "20000 bytes" in frames[0]["message"]
    # The rest of the utterance is gone: its end has nothing to end.
    assert frames[1]["code"] == "no_utterance"
    assert frames[1]["id"] == "big"
    assert frames[2]["type"] == "pong"
    assert customer_turns() == before


def test_audio_that_is_not_a_wav_file_gets_bad_audio_and_stores_nothing(kiosk_token: str) -> None:
    before = customer_turns()
    garbage = base64.b64encode(b"RIFF-not-really-a-wave-file" * 20).decode()
    frames = run_frames(
        kiosk_token,
        [
            {"type": "audio.start", "format": "wav"},
            {"type": "audio.chunk", "data": garbage},
            {"type": "audio.end", "id": "bad"},
        ],
        expect=1,
    )
    assert frames[0]["type"] == "error"
    assert frames[0]["code"] == "bad_audio"
    assert frames[0]["id"] == "bad"
    assert "not a valid WAV" in frames[0]["message"]
    assert frames[1]["type"] == "pong"
    assert customer_turns() == before


def chunked(audio: bytes) -> list[dict[str, Any]]:
    return [
        {"type": "audio.chunk", "data": base64.b64encode(audio[i : i + CHUNK_BYTES]).decode()}
        for i in range(0, len(audio), CHUNK_BYTES)
    ]


def test_an_utterance_longer_than_the_limit_gets_audio_too_long(
    kiosk_token: str, settings: Any
) -> None:
    settings.ASR_MAX_SECONDS = 1.0
    frames = run_frames(
        kiosk_token,
        [
            {"type": "audio.start", "format": "wav"},
            *chunked(wav_of(np.zeros(8000 * 2), 8000)),
            {"type": "audio.end"},
        ],
        expect=1,
    )
    assert frames[0]["code"] == "audio_too_long"
    assert "1 s" in frames[0]["message"]


@pytest.mark.parametrize(
    ("frame", "code", "field"),
    [
        ({"type": "audio.start", "format": "mp3"}, "invalid", "format"),
        ({"type": "audio.start", "format": "pcm_s16le"}, "invalid", "sample_rate"),
        (
            {"type": "audio.start", "format": "pcm_s16le", "sample_rate": 4000},
            "invalid",
            "sample_rate",
        ),
        ({"type": "audio.chunk", "data": "not base64!"}, "invalid", "data"),
        ({"type": "audio.chunk", "data": "AAAA"}, "no_utterance", None),
        ({"type": "audio.end"}, "no_utterance", None),
    ],
)
def test_malformed_audio_frames_get_a_clear_error(
    kiosk_token: str, frame: dict[str, Any], code: str, field: str | None
) -> None:
    frames = run_frames(kiosk_token, [frame], expect=1)
    assert frames[0]["type"] == "error"
    assert frames[0]["code"] == code, frames[0]
    if field:
        assert field in frames[0]["fields"]
    assert frames[1]["type"] == "pong"


def test_audio_before_a_session_gets_no_session(kiosk_token: str) -> None:
    async def scenario() -> dict[str, Any]:
        client = Client(f"/ws/avatar/?token={kiosk_token}")
        await client.connect()
        await client.send({"type": "audio.start", "format": "wav"})
        frame = await client.recv()
        await client.close()
        return frame

    assert async_to_sync(scenario)()["code"] == "no_session"


def test_a_binary_frame_over_the_frame_limit_closes_the_socket(kiosk_token: str) -> None:
    async def scenario() -> tuple[dict[str, Any], Any]:
        client = Client(f"/ws/avatar/?token={kiosk_token}")
        await client.connect()
        await client.start(language="en")
        await client.send({"type": "audio.start", "format": "pcm_s16le", "sample_rate": 16000})
        await client.ws.send_to(bytes_data=b"\0" * (16 * 1024 + 2))
        error = await client.recv()
        closed = await client.ws.receive_output(timeout=5)
        return error, closed

    error, closed = async_to_sync(scenario)()
    assert error["code"] == "frame_too_large"
    assert closed == {"type": "websocket.close", "code": 4009}


class BusyRecognizer:
    """Stands for a recognizer whose every slot is taken."""

    name = "busy"

    def languages(self) -> frozenset[str]:
        return frozenset({"en", "zh-hans"})

    def transcribe(self, samples: np.ndarray, *, language: str, vocabulary: Any = ()) -> Any:
        raise RecognitionError("asr_busy", "speech recognition is busy; please try again")


def test_a_busy_recognizer_answers_asr_busy_and_the_socket_takes_the_next_turn(
    kiosk_token: str, settings: Any
) -> None:
    settings.SPEECH_RECOGNIZER = "tests.avatar.test_speech.BusyRecognizer"
    audio = base64.b64encode(wav_of(tones(1, 8000), 8000)).decode()

    async def scenario() -> list[dict[str, Any]]:
        client = Client(f"/ws/avatar/?token={kiosk_token}")
        await client.connect()
        await client.start(language="en")
        await client.send({"type": "audio.start", "format": "wav"})
        await client.send({"type": "audio.chunk", "data": audio})
        await client.send({"type": "audio.end", "id": "b"})
        busy = await client.recv()
        frames = await client.say("hello")
        await client.close()
        return [busy, *frames]

    frames = async_to_sync(scenario)()
    assert frames[0]["code"] == "asr_busy"
    assert frames[0]["id"] == "b"
    assert frames[1]["type"] == "turn.ack"
    assert frames[-1]["type"] == "answer.done"


def test_the_cloud_recognizer_answers_a_spoken_question_over_the_socket(
    kiosk_token: str, settings: Any
) -> None:
    with FakeASRServer(words=["apply", "for", "a", "card"]) as server:
        settings.SPEECH_RECOGNIZER = "bank_ai.ai.speech.cloud_asr.CloudRecognizer"
        settings.CLOUD_ASR_BASE_URL = server.base_url
        settings.CLOUD_ASR_API_KEY = server.api_key
        # 44.1 kHz audio: the recognizer receives it resampled to 16 kHz.
        frames = spoken_turn(kiosk_token, wav_of(tones(4, 44100), 44100), "en")
    assert frames[0]["type"] == "asr.result"
    assert frames[0]["text"] == "apply for a card"
    assert frames[-1]["in_reply_to"]["text"] == "apply for a card"
    (request,) = server.requests
    assert request.body["language"] == "en"
    assert request.body["sample_rate"] == 16000
    # The recognizer is steered by what the screen shows: the greeting's question.
    assert any("credit card" in word for word in request.body["vocabulary"])


# ------------------------------------------------------------------ server speech


def test_server_speech_speaks_the_greeting_and_a_streamed_answer_sentence_by_sentence(
    kiosk_token: str,
) -> None:
    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        client = Client(f"/ws/avatar/?token={kiosk_token}")
        await client.connect()
        await client.send(
            {
                "type": "session.start",
                "scenario": "credit_card",
                "language": "en",
                "speech": "server",
            }
        )
        greeting = await client.recv_until("answer.done")
        await client.send(
            {"type": "user.text", "text": "I travel abroad a lot and love good food."}
        )
        answer = await client.recv_until("answer.done")
        # Speech follows its text; collect until the answer's sentences are all spoken.
        frames = greeting + answer
        # (receive_nothing waits without cancelling the consumer, unlike a receive timeout)
        while not await client.ws.receive_nothing(timeout=30, interval=0.1):
            frames.append(await client.recv())
        await client.close()
        return frames, answer

    frames, answer = async_to_sync(scenario)()
    speech = [frame for frame in frames if frame["type"] == "speech.audio"]
    done = [frame for frame in frames if frame["type"] == "answer.done"]
    assert [f["type"] for f in frames if f["type"] == "error"] == []
    for answer_done in done:
        spoken = [f for f in speech if f["seq"] == answer_done["seq"]]
        assert spoken, f"answer {answer_done['seq']} was not spoken"
        assert [f["index"] for f in spoken] == list(range(len(spoken)))
        said = " ".join(f["text"] for f in spoken)
        assert said.split()[:3] == answer_done["text"].split()[:3]
    first = speech[0]
    samples, rate = read_wav(base64.b64decode(first["audio"]))
    assert rate == first["sample_rate"]
    assert abs(len(samples) / rate - first["duration"]) < 0.01
    assert first["marks"]
    assert {m["viseme"] for m in first["marks"]} - {"rest"}
    assert all(0 <= m["start"] < m["end"] <= first["duration"] + 0.01 for m in first["marks"])


def test_without_server_speech_no_audio_is_sent(kiosk_token: str) -> None:
    async def scenario() -> list[dict[str, Any]]:
        client = Client(f"/ws/avatar/?token={kiosk_token}")
        await client.connect()
        await client.start(language="en")
        frames = await client.say("hello")
        await client.send({"type": "ping"})
        frames.append(await client.recv())
        await client.close()
        return frames

    frames = async_to_sync(scenario)()
    assert frames[-1]["type"] == "pong"
    assert "speech.audio" not in {frame["type"] for frame in frames}


def test_sentences_are_released_as_soon_as_they_are_complete() -> None:
    buffer = SentenceBuffer()
    assert buffer.feed("The annual fee is 3.") == []  # "3." may be "3.5"
    assert buffer.feed("5% of the amount. Then") == ["The annual fee is 3.5% of the amount."]
    assert buffer.feed(" we are done") == []
    assert buffer.flush() == ["Then we are done"]
    assert SentenceBuffer().feed("您好！请问需要办理什么业务？好") == [
        "您好！",
        "请问需要办理什么业务？",
    ]


def announce(token: str, frames: list[dict[str, Any]], until_last: bool) -> list[dict[str, Any]]:
    """Send frames without starting a session; collect replies up to the last clip or a pong."""

    async def scenario() -> list[dict[str, Any]]:
        client = Client(f"/ws/avatar/?token={token}")
        await client.connect()
        for frame in frames:
            await client.send(frame)
        received: list[dict[str, Any]] = []
        while True:
            frame = await client.recv(timeout=120)
            received.append(frame)
            if frame["type"] == "pong" or (until_last and frame.get("last")):
                break
        await client.close()
        return received

    return async_to_sync(scenario)()


def test_a_screen_without_a_session_gets_an_announcement_read_aloud_sentence_by_sentence(
    kiosk_token: str,
) -> None:
    text = "Ticket A012, please go to counter 3. Thank you for waiting."
    frames = announce(
        kiosk_token,
        [{"type": "speech.say", "id": "say-1", "text": text, "language": "en"}],
        until_last=True,
    )
    clips = [frame for frame in frames if frame["type"] == "speech.audio"]
    assert [frame["type"] for frame in frames if frame["type"] == "error"] == []
    assert [clip["index"] for clip in clips] == [0, 1]
    assert [clip["last"] for clip in clips] == [False, True]
    assert {clip["ref"] for clip in clips} == {"say-1"}
    assert all("seq" not in clip and "session_id" not in clip for clip in clips)
    assert "counter 3" in clips[0]["text"]
    samples, rate = read_wav(base64.b64decode(clips[1]["audio"]))
    assert rate == clips[1]["sample_rate"]
    assert len(samples) > rate // 4


def test_an_announcement_too_long_or_with_nothing_to_say_gets_an_error_and_the_socket_stays(
    kiosk_token: str,
) -> None:
    frames = announce(
        kiosk_token,
        [
            {"type": "speech.say", "id": "long", "text": "字" * 501},
            {"type": "speech.say", "id": "empty", "text": "。。。"},
            {"type": "ping", "nonce": "still-open"},
        ],
        until_last=False,
    )
    errors = [frame for frame in frames if frame["type"] == "error"]
    assert [error.get("id") for error in errors] == ["long", "empty"]
    assert errors[1]["code"] == "nothing_to_say"
    assert frames[-1]["type"] == "pong"
    assert frames[-1]["echo"] == "still-open"
    assert "speech.audio" not in {frame["type"] for frame in frames}


def test_a_screen_asking_for_more_speech_than_a_few_announcements_gets_speech_busy(
    kiosk_token: str,
) -> None:
    text = " ".join(["Please wait until your number is called."] * 10)
    frames = announce(
        kiosk_token,
        [
            *(
                {"type": "speech.say", "id": f"say-{n}", "text": text, "language": "en"}
                for n in range(4)
            ),
            {"type": "ping", "nonce": "still-open"},
        ],
        until_last=False,
    )
    busy = [frame for frame in frames if frame["type"] == "error"]
    assert busy
    assert {error["code"] for error in busy} == {"speech_busy"}
    assert "say-0" not in {error.get("id") for error in busy}
    assert frames[-1]["type"] == "pong"
