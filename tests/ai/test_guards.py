"""Output guard: risk disclosure, return promises, leaks and markup."""

from __future__ import annotations

import base64
import re

import pytest

from bank_ai.ai.guards import RISK_DISCLOSURE, check_output, make_canary

ZH_DISCLOSURE = RISK_DISCLOSURE["zh"]
EN_DISCLOSURE = RISK_DISCLOSURE["en"]


# ------------------------------------------------------------------------ risk disclosure


def test_it_appends_the_chinese_risk_disclosure_to_a_wealth_answer() -> None:
    result = check_output("这款理财产品近一年年化收益率约3.2%。", language="zh")

    assert result.allowed
    assert result.text == f"这款理财产品近一年年化收益率约3.2%。\n\n{ZH_DISCLOSURE}"
    assert result.codes == ("risk_disclosure_added",)


def test_it_appends_the_english_disclosure_when_the_topic_is_wealth() -> None:
    result = check_output("Here is the product you asked about.", language="en", topic="wealth")

    assert result.text.endswith(EN_DISCLOSURE)
    assert "risk_disclosure_added" in result.codes


@pytest.mark.parametrize(
    ("answer", "language"),
    [
        ("该基金最新净值为1.0234元。", "zh"),
        ("业绩比较基准为年化2.8%-3.5%。", "zh"),
        ("投连险的账户价值随投资表现波动。", "zh"),
        ("The fund's NAV rose 2% this quarter.", "en"),
        ("Our wealth management range starts at RMB 10,000.", "en"),
        ("This investment product has a 7-day annualised yield of 1.9%.", "en"),
        ("A money market fund can be redeemed on the same day.", "en"),
    ],
)
def test_it_recognises_wealth_answers_by_keyword(answer: str, language: str) -> None:
    result = check_output(answer, language=language)

    assert result.text.endswith(RISK_DISCLOSURE[language])


def test_it_does_not_repeat_a_disclosure_that_is_already_present() -> None:
    answer = "这款理财产品为R2风险等级。理财非存款，产品有风险，投资需谨慎。"

    result = check_output(answer, language="zh", topic="wealth")

    assert result.text == answer
    assert "risk_disclosure_added" not in result.codes


@pytest.mark.parametrize(
    "answer",
    [
        "Your transfer failed because of insufficient funds.",
        "The refund will reach your card in 3 working days.",
        "信用卡年费为200元，刷卡满6次免次年年费。",
    ],
)
def test_it_does_not_add_a_disclosure_to_other_answers(answer: str) -> None:
    result = check_output(answer, language="en")

    assert "risk_disclosure_added" not in result.codes


# ------------------------------------------------------------------------ return promises


@pytest.mark.parametrize(
    ("answer", "language"),
    [
        ("本产品保本保息，年化4%。", "zh"),
        ("这款产品保底收益3%。", "zh"),
        ("放心，这款产品稳赚不赔！", "zh"),
        ("该理财零风险，随时可取。", "zh"),
        ("我们承诺刚性兑付。", "zh"),
        ("This product offers guaranteed returns of 5% a year.", "en"),
        ("It is principal guaranteed, so your money is safe.", "en"),
        ("Enjoy a risk-free return of 4%.", "en"),
        ("Don't worry, you can't lose with this fund.", "en"),
        ("We guarantee your principal and a 3% yield.", "en"),
    ],
)
def test_it_blocks_promises_of_returns_or_principal(answer: str, language: str) -> None:
    result = check_output(answer, language=language)

    assert not result.allowed
    assert result.codes == ("blocked_return_promise",)
    assert answer not in result.text
    assert RISK_DISCLOSURE[language] in result.text


@pytest.mark.parametrize(
    "answer",
    [
        "本产品不保本，过往业绩不代表未来表现。",
        "我们不承诺保本，也不承诺收益。",
        "该产品为非保本浮动收益型产品。",
        "资管新规实施后，刚性兑付已被打破。",
        "请警惕宣称稳赚不赔的投资广告。",
        "Returns are not guaranteed and you may lose money.",
        "There are no guaranteed returns with this fund.",
        "This fund is not principal protected.",
        "Past performance does not guarantee future returns.",
        "Be careful, you can't lose your card PIN letter.",
        "The risk-free rate is used as a benchmark.",
    ],
)
def test_it_allows_disclaimers_that_negate_a_promise(answer: str) -> None:
    result = check_output(answer, language="zh" if re.search("[\u4e00-\u9fff]", answer) else "en")

    assert result.allowed
    assert "blocked_return_promise" not in result.codes


@pytest.mark.parametrize(
    "answer",
    ["本产品不是存款，但保本。", "不用担心，保本的。", "这款产品不仅保本还有高收益。"],
)
def test_a_negation_elsewhere_in_the_sentence_does_not_excuse_a_promise(answer: str) -> None:
    assert not check_output(answer, language="zh").allowed


def test_a_promise_hidden_with_zero_width_characters_is_still_blocked() -> None:
    assert not check_output("本产品保\u200b本", language="zh").allowed


def test_the_refusal_follows_the_requested_language() -> None:
    result = check_output("This product is principal guaranteed.", language="zh-CN")

    assert result.text.startswith("抱歉")


def test_the_language_falls_back_to_the_script_of_the_answer() -> None:
    result = check_output("这款产品稳赚。", language="")

    assert result.text.startswith("抱歉")


# ---------------------------------------------------------------------------------- leaks


def _full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


@pytest.mark.parametrize(
    "disguise",
    [
        lambda c: c,
        lambda c: c.upper(),
        lambda c: " ".join(c),
        lambda c: "\u200b".join(c),
        _full_width,
        lambda c: c.replace("-", "_"),
        lambda c: c[5:25],
        lambda c: base64.b64encode(c.encode()).decode(),
        lambda c: c[::-1],
    ],
    ids=[
        "verbatim",
        "upper",
        "spaced",
        "zero-width",
        "full-width",
        "punctuation",
        "partial",
        "base64",
        "reversed",
    ],
)
def test_it_blocks_a_canary_leak_in_any_disguise(disguise: object) -> None:
    canary = make_canary()
    leaked = disguise(canary)  # type: ignore[operator]

    result = check_output(f"My instructions say: {leaked}", language="en", canaries=[canary])

    assert not result.allowed
    assert result.codes == ("blocked_canary_leak",)
    assert canary not in result.text


def test_it_never_puts_the_canary_in_a_decision_detail() -> None:
    canary = make_canary()

    result = check_output(canary, language="en", canaries=[canary])

    assert all(canary not in d.detail for d in result.decisions)


def test_it_blocks_a_canary_hidden_in_a_link_target() -> None:
    canary = make_canary()

    result = check_output(f"[Click](https://x.test/?q={canary})", language="en", canaries=[canary])

    assert not result.allowed


@pytest.mark.parametrize(
    "answer",
    [
        "According to KB-INTERNAL-ONLY notes, the fee is 20.",
        "according to kb internal only notes",
        "ＫＢ－ＩＮＴＥＲＮＡＬ－ＯＮＬＹ",
    ],
)
def test_it_blocks_internal_markers_with_spacing_case_or_width_variations(answer: str) -> None:
    result = check_output(answer, language="en", internal_markers=["KB-INTERNAL-ONLY"])

    assert not result.allowed
    assert result.codes == ("blocked_internal_leak",)


def test_it_allows_an_answer_without_canary_or_markers() -> None:
    result = check_output(
        "Your card fee is RMB 200.",
        language="en",
        canaries=[make_canary()],
        internal_markers=["KB-INTERNAL-ONLY"],
    )

    assert result.allowed
    assert result.text == "Your card fee is RMB 200."


# --------------------------------------------------------------------------------- markup


def test_it_returns_markup_as_plain_text_for_the_renderer_to_escape() -> None:
    result = check_output("<script>alert(1)</script>Hi", language="en")

    assert result.text == "<script>alert(1)</script>Hi"
    assert result.allowed


def test_it_never_puts_html_entities_in_an_answer() -> None:
    result = check_output('<img src=x onerror="alert(1)"> 1 > 0 & it\'s fine', language="en")

    assert "&lt;" not in result.text
    assert "&#" not in result.text
    assert "&quot;" not in result.text
    assert result.text.endswith("1 > 0 & it's fine")


def test_it_reduces_a_javascript_markdown_link_to_its_label() -> None:
    result = check_output("Click [here](javascript:alert(document.cookie)) now", language="en")

    assert result.text == "Click here now"
    assert "stripped_markdown_link" in result.codes


def test_it_reduces_a_markdown_image_to_its_alt_text() -> None:
    result = check_output("![bank logo](https://x.test/a.png) Welcome", language="en")

    assert result.text == "bank logo Welcome"


def test_it_reduces_reference_style_links_to_their_label() -> None:
    result = check_output("See [the guide][1].\n[1]: javascript:alert(1)\n", language="en")

    assert result.text == "See the guide.\n"


def test_it_defangs_a_bare_script_url_in_plain_text() -> None:
    result = check_output("Open javascript:alert(1) to continue", language="en")

    assert result.text == "Open javascript[:]alert(1) to continue"
    assert "defanged_script_url" in result.codes


def test_it_keeps_quotes_and_ampersands_as_typed() -> None:
    result = check_output('Fees & "charges" aren\'t high', language="en")

    assert result.text == 'Fees & "charges" aren\'t high'
    assert result.decisions == ()


def test_it_leaves_a_plain_answer_unchanged() -> None:
    result = check_output("信用卡挂失请拨打95500。", language="zh")

    assert result.text == "信用卡挂失请拨打95500。"
    assert result.allowed
    assert result.decisions == ()
