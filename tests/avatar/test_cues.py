"""Avatar cues are computed on the server from the text and the answer."""

from __future__ import annotations

import pytest

from devices import cues


def test_punctuation_and_spaces_keep_the_mouth_closed() -> None:
    assert cues.mouth_openness("……，。 !?") == 0.0


def test_open_vowels_open_the_mouth_wider_than_consonant_clusters() -> None:
    assert cues.mouth_openness("aha, oho") > cues.mouth_openness("strengths")


def test_pauses_in_a_chunk_lower_its_mouth_intensity() -> None:
    assert cues.mouth_openness("您好欢迎光临") > cues.mouth_openness("您好，，，欢迎。。。")


def test_what_is_spoken_drops_citations_links_and_markup() -> None:
    spoken = cues.speakable("年费可减免[1]，详见 https://bank.example/fee <b>哦</b>")
    assert spoken == "年费可减免，详见 哦"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"customer_sentiment": "negative", "answer_text": "您好"}, "concerned"),
        ({"customer_angry": True}, "concerned"),
        ({"status": "handed_over"}, "concerned"),
        ({"interrupted": True}, "apologetic"),
        ({"answer_text": "请警惕电信诈骗，切勿向任何人透露验证码。"}, "serious"),
        ({"answer_text": "Wealth products are not deposits; investment involves risk."}, "serious"),
        ({"answer_text": "抱歉，我暂时没有找到相关信息。"}, "apologetic"),
        ({"greeting": True, "answer_text": "Hello!"}, "happy"),
        ({"answer_text": "年费为200元。"}, "neutral"),
    ],
)
def test_emotion_follows_the_customer_then_the_answer(kwargs: dict, expected: str) -> None:
    assert cues.emotion(**kwargs) == expected


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("show_cards", "present"),
        ("show_comparison", "present"),
        ("show_card", "point"),
        ("guide_step", "point"),
        ("show_qr", "point"),
        ("show_form", "point_down"),
        ("show_ticket", "hand_over"),
        ("handoff", "bow"),
        ("related_questions", "nod"),
    ],
)
def test_each_action_type_has_its_gesture(action: str, expected: str) -> None:
    assert cues.gesture([{"type": action}]) == expected


def test_a_reply_is_cut_into_sentence_chunks_that_rebuild_it() -> None:
    text = (
        "您好！我来帮您挑一张合适的信用卡。您平时主要想在哪些场景用卡？"
        "比如出行旅游、餐饮美食、网购。"
    )
    pieces = cues.chunks(text)
    assert "".join(pieces) == text
    assert len(pieces) >= 3
    assert all(len(piece) <= 24 for piece in pieces)


def test_a_cue_carries_an_estimate_of_the_speaking_time() -> None:
    cue = cues.cue("您好，欢迎光临海港银行。")
    assert 2000 <= cue["speak_ms"] <= 3500
    assert set(cue) == {"speak", "emotion", "gesture", "mouth", "speak_ms"}
