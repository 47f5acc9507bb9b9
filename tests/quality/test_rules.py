"""The rubric's rule checks on hand-built transcripts (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scenarios.quality import rules
from scenarios.quality.rules import Check, Conversation, TranscriptTurn

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def conv(*lines: tuple[str, str], status: str = "completed", **facts: object) -> Conversation:
    turns = tuple(
        TranscriptTurn(
            seq=i + 1,
            role=role,
            text=text,
            at=START + timedelta(seconds=30 * i),
            agent="chen" if role == "agent" else "",
        )
        for i, (role, text) in enumerate(lines)
    )
    return Conversation(
        scenario=facts.pop("scenario", "credit_card"), status=status, turns=turns, **facts
    )  # type: ignore[arg-type]


def failed(checks: list[Check]) -> list[int | None]:
    return [c.turn.seq if c.turn else None for c in checks if not c.passed]


def test_a_bot_that_greets_passes_the_greeting_check() -> None:
    c = conv(("assistant", "您好，欢迎来到海港银行"), ("customer", "办卡"))
    assert failed(rules.check_greeting(c, {})) == []


def test_an_agent_who_does_not_greet_fails_at_their_first_turn() -> None:
    c = conv(
        ("assistant", "您好，请问办理什么业务？"),
        ("customer", "转人工"),
        ("agent", "说吧什么事"),
        ("agent", "您好"),
    )
    assert failed(rules.check_greeting(c, {})) == [3]


def test_latin_greetings_match_whole_words_only() -> None:
    this = conv(("assistant", "This card has no annual fee."))
    hi = conv(("assistant", "Hi! How can I help?"))
    assert failed(rules.check_greeting(this, {"phrases": ["hi"]})) == [1]
    assert failed(rules.check_greeting(hi, {"phrases": ["hi"]})) == []


def test_identity_is_not_checked_where_the_scenario_does_not_need_it() -> None:
    c = conv(("assistant", "您好"), scenario="credit_card")
    assert rules.check_identity(c, {"required_scenarios": ["card_use"]}) == []


def test_identity_fails_when_required_and_nobody_verified() -> None:
    c = conv(("assistant", "您好"), ("agent", "您的卡已经解冻了"), scenario="card_use")
    assert failed(rules.check_identity(c, {"required_scenarios": ["card_use"]})) == [None]


def test_identity_passes_when_the_agent_asks_for_verification() -> None:
    c = conv(("agent", "请先核实身份，报一下验证码"), scenario="card_use")
    assert failed(rules.check_identity(c, {"required_scenarios": ["card_use"]})) == []


def test_a_channel_identified_customer_needs_no_verification() -> None:
    c = conv(
        ("assistant", "您好"), scenario="card_use", customer_identified=True, requires_customer=True
    )
    assert [ch.passed for ch in rules.check_identity(c, {})] == [True]


def test_a_wealth_topic_without_a_risk_disclosure_fails_at_the_topic() -> None:
    c = conv(("customer", "这个理财产品收益怎么样"), ("assistant", "年化4%，很多客户都买了"))
    assert failed(rules.check_risk_disclosure(c, {})) == [1]


def test_a_wealth_topic_with_a_disclosure_passes() -> None:
    c = conv(("customer", "这个基金怎么样"), ("agent", "理财有风险，投资需谨慎"))
    assert failed(rules.check_risk_disclosure(c, {})) == []


def test_no_wealth_topic_means_no_disclosure_check() -> None:
    assert rules.check_risk_disclosure(conv(("customer", "我的卡丢了")), {}) == []


def test_a_promise_of_guaranteed_returns_fails_at_its_turn() -> None:
    c = conv(
        ("customer", "会亏吗"),
        ("agent", "放心，这款保本保收益"),
        ("assistant", "This fund offers guaranteed returns."),
    )
    assert failed(rules.check_forbidden_promises(c, {})) == [2, 3]


def test_denying_a_guarantee_is_not_a_promise() -> None:
    c = conv(
        ("agent", "我们不能保证收益，理财有风险"),
        ("assistant", "Returns are not guaranteed returns."),
    )
    assert failed(rules.check_forbidden_promises(c, {})) == []


def test_rubric_phrases_replace_the_default_list() -> None:
    c = conv(("agent", "包您赚钱"))
    assert failed(rules.check_forbidden_promises(c, {"phrases": ["包您赚钱"]})) == [1]


def test_a_rude_agent_fails_politeness() -> None:
    c = conv(("agent", "你自己看去，闭嘴"))
    checks = rules.check_politeness(c, {})
    assert failed(checks) == [1, 1]


def test_a_polite_conversation_passes() -> None:
    c = conv(("assistant", "您好"), ("agent", "请稍等，谢谢您的耐心"))
    assert failed(rules.check_politeness(c, {})) == []


def test_an_angry_last_customer_turn_fails_end_sentiment() -> None:
    c = conv(("assistant", "您好"), ("customer", "太差劲了，我要投诉你们"))
    assert failed(rules.check_end_sentiment(c, {})) == [2]


def test_a_thankful_customer_passes_end_sentiment() -> None:
    c = conv(("customer", "气死了"), ("customer", "好的，谢谢，解决了"))
    assert failed(rules.check_end_sentiment(c, {})) == []


def test_device_events_are_not_the_customers_last_words() -> None:
    c = conv(("customer", "太差劲了"), ("customer", "[confirm]"))
    assert failed(rules.check_end_sentiment(c, {})) == [1]


def test_an_abandoned_conversation_is_not_resolved() -> None:
    assert failed(rules.check_resolution(conv(("assistant", "您好"), status="abandoned"), {})) == [
        None
    ]


def test_a_completed_but_badly_rated_conversation_is_not_resolved() -> None:
    c = conv(("assistant", "您好"), rating=2)
    assert failed(rules.check_resolution(c, {"min_rating": 3})) == [None]
    assert failed(rules.check_resolution(conv(("assistant", "您好"), rating=4), {})) == []


def test_handling_time_is_measured_first_to_last_turn_against_the_scenario_limit() -> None:
    c = conv(*[("customer", "x")] * 5)  # 4 × 30 s = 120 s
    assert failed(rules.check_handling_time(c, {"max_seconds": 100})) == [None]
    assert (
        failed(
            rules.check_handling_time(
                c, {"max_seconds": 100, "max_seconds_by_scenario": {"credit_card": 200}}
            )
        )
        == []
    )


def test_the_score_weighs_passed_criteria_and_leaves_out_those_that_do_not_apply() -> None:
    ok, bad = Check(True, ""), Check(False, "")
    score, failed_count = rules.score(
        {"a": (30, [ok]), "b": (10, [ok, bad]), "c": (60, []), "d": (10, [ok])}
    )
    assert (score, failed_count) == (80.0, 1)
