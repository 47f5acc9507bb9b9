"""PII masking: generated cards, resident IDs and mobiles must never survive masking."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bank_ai.ai.masking import MaskResult, PiiFinding, mask, mask_pii

# --------------------------------------------------------------- independent reference maths
# Written again here rather than imported, so a bug in the module cannot hide in the test.


def luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def with_luhn_digit(partial: str) -> str:
    return next(partial + d for d in "0123456789" if luhn_ok(partial + d))


def without_luhn(number: str) -> str:
    """The same number with a wrong check digit."""
    return number[:-1] + str((int(number[-1]) + 1) % 10)


ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_check_char(first17: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def shape(text: str) -> str:
    """Separators stay, every digit or mask character becomes '#'."""
    return re.sub(r"[0-9*Xx]", "#", text)


def digits_and_stars(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit() or ch in "*Xx")


# ------------------------------------------------------------------------------ strategies

PROVINCES = [
    "11",
    "12",
    "13",
    "14",
    "15",
    "21",
    "22",
    "23",
    "31",
    "32",
    "33",
    "34",
    "35",
    "36",
    "37",
    "41",
    "42",
    "43",
    "44",
    "45",
    "46",
    "50",
    "51",
    "52",
    "53",
    "54",
    "61",
    "62",
    "63",
    "64",
    "65",
]

# Filler that cannot itself form a number, an e-mail address or an ID check letter.
FILLER = st.text(
    alphabet="abcdefghijklmnopqrstuvwyz ABCDEFGHIJKLMNOPQRSTUVWYZ,.!?"
    "的我是请查询帮您好转账了吗。，",
    max_size=12,
)
ZH_BEFORE = st.sampled_from(["我的卡号是", "请帮我查一下", "这张卡", "客户提供了", "麻烦核对", ""])
EN_BEFORE = st.sampled_from(["My card is ", "card number: ", "Please check ", "I paid with ", ""])
AFTER = st.sampled_from(["请帮我查", "，谢谢。", " thanks.", "", "。", "的交易记录", " please?"])


def digit_string(length: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=length, max_size=length)


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    prefix, length = draw(
        st.one_of(
            st.tuples(st.just("62"), st.sampled_from([16, 19])),
            st.tuples(st.just("4"), st.sampled_from([16, 19])),
            st.tuples(st.integers(51, 55).map(str), st.just(16)),
            st.tuples(st.integers(2221, 2720).map(str), st.just(16)),
        )
    )
    body = draw(digit_string(length - len(prefix) - 1))
    return with_luhn_digit(prefix + body)


@st.composite
def formatted_cards(draw: st.DrawFn) -> tuple[str, str]:
    """``(digits, as written)``: plain, grouped in fours, or UnionPay's 6-13."""
    number = draw(card_numbers())
    style = draw(st.sampled_from(["plain", "space4", "dash4", "space6"]))
    if style == "plain":
        return number, number
    if style == "space6" and len(number) == 19:
        return number, f"{number[:6]} {number[6:]}"
    sep = "-" if style == "dash4" else " "
    return number, sep.join(number[i : i + 4] for i in range(0, len(number), 4))


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(PROVINCES)) + draw(digit_string(4))
    born = draw(st.dates(date(1940, 1, 1), date(2008, 12, 31)))
    first17 = region + born.strftime("%Y%m%d") + draw(digit_string(3))
    return first17 + id_check_char(first17)


@st.composite
def mobiles(draw: st.DrawFn) -> tuple[str, str, str]:
    """``(national number, country-code prefix as written, number as written)``."""
    number = "1" + draw(st.sampled_from("3456789")) + draw(digit_string(9))
    prefix = draw(st.sampled_from(["", "+86 ", "+86-", "0086 ", "86-", "(+86) ", "+86"]))
    style = draw(st.sampled_from(["plain", "dash", "space"]))
    if style == "plain":
        written = number
    else:
        sep = "-" if style == "dash" else " "
        written = sep.join((number[:3], number[3:7], number[7:]))
    return number, prefix, written


@st.composite
def sentences_with(draw: st.DrawFn, value: str) -> tuple[str, int]:
    """A zh or en sentence around ``value``; returns it and where the value starts."""
    before = draw(st.one_of(ZH_BEFORE, EN_BEFORE)) + draw(FILLER)
    if before and before[-1].isdigit():
        before += " "
    after = draw(FILLER) + draw(AFTER)
    return before + value + after, len(before)


def only(result: MaskResult, kind: str) -> PiiFinding:
    matching = [f for f in result.findings if f.kind == kind]
    assert len(matching) == 1, result
    return matching[0]


# ---------------------------------------------------------------------------------- cards


@settings(max_examples=300, deadline=None, database=None)
@given(data=st.data())
def test_it_keeps_bin_and_last_four_of_a_card(data: st.DataObject) -> None:
    number, written = data.draw(formatted_cards())
    sentence, at = data.draw(sentences_with(written))

    result = mask_pii(sentence)

    assert number not in re.sub(r"[\s\-]", "", result.text)
    finding = only(result, "card")
    assert (finding.start, finding.end) == (at, at + len(written))
    assert digits_and_stars(finding.replacement) == (
        number[:6] + "*" * (len(number) - 10) + number[-4:]
    )
    assert shape(finding.replacement) == shape(written)


@settings(max_examples=100, deadline=None, database=None)
@given(data=st.data())
def test_findings_locate_the_value_in_the_original_text(data: st.DataObject) -> None:
    _number, written = data.draw(formatted_cards())
    sentence, _at = data.draw(sentences_with(written))

    result = mask_pii(sentence)

    rebuilt, cursor = [], 0
    for finding in result.findings:
        rebuilt += [sentence[cursor : finding.start], finding.replacement]
        cursor = finding.end
    assert "".join(rebuilt) + sentence[cursor:] == result.text
    assert [sentence[f.start : f.end] for f in result.findings] == [written]


@settings(max_examples=100, deadline=None, database=None)
@given(data=st.data())
def test_masked_output_has_nothing_left_to_mask(data: st.DataObject) -> None:
    _number, written = data.draw(formatted_cards())
    _id = data.draw(resident_ids())
    _mobile, prefix, mobile = data.draw(mobiles())
    sentence = f"卡 {written}，身份证 {_id}，手机 {prefix}{mobile}，邮箱 li.lei@example.com"

    once = mask(sentence)

    assert mask_pii(once).findings == ()


def test_it_masks_a_card_glued_to_chinese_text() -> None:
    card = with_luhn_digit("622202123456789012")

    result = mask_pii(f"我的卡号是{card}请帮我查")

    assert result.text == f"我的卡号是{card[:6]}*********{card[-4:]}请帮我查"
    assert result.kinds == {"card"}


def test_it_masks_the_spec_example_whichever_kind_claims_it() -> None:
    text = "我的卡号是6222021234567890123请帮我查"

    result = mask_pii(text)

    assert "6222021234567890123" not in result.text
    assert result.text.startswith("我的卡号是")
    assert result.text.endswith("0123请帮我查")


def test_it_masks_full_width_digits_typed_with_a_chinese_ime() -> None:
    card = with_luhn_digit("622588123456123")
    full_width = "".join(chr(0xFF10 + int(d)) for d in card)

    result = mask_pii(f"卡号：{full_width}。")

    assert only(result, "card").replacement == full_width[:6] + "*" * 6 + full_width[-4:]


def test_it_keeps_only_first_four_and_last_four_of_a_fifteen_digit_card() -> None:
    result = mask_pii("Amex 378282246310005 please")

    assert result.text == "Amex 3782*******0005 please"


def test_it_finds_a_card_after_an_unrelated_number() -> None:
    card = with_luhn_digit("622588123456123")

    result = mask_pii(f"转账 5000 {card} 到账了吗")

    assert result.text == f"转账 5000 {card[:6]}******{card[-4:]} 到账了吗"


def test_it_leaves_an_invalid_luhn_number_without_context_alone() -> None:
    invalid = without_luhn(with_luhn_digit("622588123456123"))
    text = f"订单 {invalid} 已发货"

    assert mask_pii(text) == MaskResult(text=text)


def test_it_masks_an_invalid_luhn_number_after_an_account_keyword_keeping_last_four() -> None:
    invalid = without_luhn(with_luhn_digit("622588123456123"))

    result = mask_pii(f"卡号 {invalid}")

    assert only(result, "account").replacement == "*" * 12 + invalid[-4:]


# What customers and careless clients put between digit groups: double spaces, dots,
# newlines, tabs, slashes, underscores, " - ", commas, and the full-width forms an IME types.
SEPARATORS = st.sampled_from(
    [
        " ",
        "  ",
        ".",
        "\n",
        "\t",
        "/",
        "_",
        " - ",
        "\r\n",
        ",",
        ", ",
        "|",
        ":",
        "·",
        "\\",
        "．",
        "／",
        "－",
        "\u3000",
        "，",
        "、",
    ]
)


@st.composite
def grouped(draw: st.DrawFn, digits: str, groupings: list[list[int]]) -> str:
    """``digits`` split into one of ``groupings`` (group lengths), any separator between."""
    sizes = draw(st.sampled_from([g for g in groupings if sum(g) == len(digits)]))
    parts, at = [], 0
    for size in sizes:
        parts.append(digits[at : at + size])
        at += size
    written = parts[0]
    for part in parts[1:]:
        written += draw(SEPARATORS) + part
    return written


CARD_GROUPINGS = [
    [16],
    [4, 4, 4, 4],
    [8, 8],
    [4, 4, 4, 3, 1],
    [1] * 16,
    [19],
    [4, 4, 4, 4, 3],
    [6, 13],
    [1] * 19,
]


def hidden_groups(number: str, written: str, keep_head: int) -> list[str]:
    """The digit groups of ``written`` whose every digit the policy hides."""
    found, at = [], 0
    for group in re.findall(r"[0-9]+", written):
        if at >= keep_head and at + len(group) <= len(number) - 4:
            found.append(group)
        at += len(group)
    return found


@settings(max_examples=300, deadline=None, database=None)
@given(data=st.data())
def test_it_masks_a_card_whatever_separates_its_digit_groups(data: st.DataObject) -> None:
    number = data.draw(card_numbers())
    written = data.draw(grouped(number, CARD_GROUPINGS))
    sentence, at = data.draw(sentences_with(written))

    result = mask_pii(sentence)

    finding = only(result, "card")
    assert (finding.start, finding.end) == (at, at + len(written))
    assert digits_and_stars(finding.replacement) == (
        number[:6] + "*" * (len(number) - 10) + number[-4:]
    )
    assert number not in re.sub(r"[^0-9]", "", result.text)
    for group in hidden_groups(number, written, 6):
        # A hidden group that repeats the kept BIN or last four may show, as those.
        if len(group) >= 3 and group not in number[:6] and group not in number[-4:]:
            assert not re.search(rf"(?<![0-9]){group}(?![0-9])", result.text)


@pytest.mark.parametrize(
    "written",
    [
        "4111  1111  1111  1111",
        "4111.1111.1111.1111",
        "4111\n1111\n1111\n1111",
        "4111\t1111\t1111\t1111",
        "4111/1111/1111/1111",
        "4111_1111_1111_1111",
        "4111 - 1111 - 1111 - 1111",
    ],
)
def test_it_masks_the_card_spellings_from_the_issue(written: str) -> None:
    result = mask_pii(f"my card is {written} thanks")

    assert "1111111111" not in re.sub(r"[^0-9]", "", result.text)
    assert digits_and_stars(only(result, "card").replacement) == "411111******1111"


def test_it_masks_a_card_spoken_digit_by_digit() -> None:
    card = with_luhn_digit("622588123456123")

    result = mask_pii("卡号 " + " ".join(card) + " 谢谢")

    assert digits_and_stars(only(result, "card").replacement) == (card[:6] + "*" * 6 + card[-4:])


def test_it_masks_every_card_in_a_long_run_of_single_digits() -> None:
    card = with_luhn_digit("411111111111111")
    text = " ".join(card * 100)

    result = mask(text)

    assert card not in re.sub(r"[^0-9]", "", result)


@pytest.mark.parametrize(
    "text",
    [
        "还款日 2026.11.22 10:30:15",
        "2026/11/22 - 2026/12/22",
        "余额 ¥1,234,567,890.00",
        "amounts 1,234,567,890,123",
        "分期 3/6/12/24 期",
        "server 192.168.100.200",
        "2019, 2020, 2021, 2022",
        "订单 4111.1111.1111.1112",
        "tel 010-8888 6666 ext 1234",
        "1.\n2.\n3.\n4.\n5.\n6.\n7.\n8.\n9.",
    ],
)
def test_it_keeps_dates_amounts_and_lists_readable_whatever_their_separators(
    text: str,
) -> None:
    assert mask_pii(text) == MaskResult(text=text)


# ---------------------------------------------------------------------------- resident IDs


@settings(max_examples=300, deadline=None, database=None)
@given(data=st.data())
def test_it_masks_resident_ids_keeping_province_and_check_character(
    data: st.DataObject,
) -> None:
    resident_id = data.draw(resident_ids())
    sentence, at = data.draw(sentences_with(resident_id))

    result = mask_pii(sentence)

    finding = only(result, "cn_id")
    assert (finding.start, finding.end) == (at, at + 18)
    assert finding.replacement == resident_id[:2] + "*" * 15 + resident_id[-1]
    assert resident_id[6:14] not in result.text
    assert resident_id[:17] not in result.text


def test_it_masks_an_id_ending_in_x() -> None:
    result = mask_pii("身份证号11010519491231002X，请核实")

    assert result.text == "身份证号11***************X，请核实"


def test_it_leaves_an_id_with_a_wrong_checksum_alone_without_context() -> None:
    text = "参考编号 110105194912310021 已受理"

    assert mask_pii(text).findings == ()


def test_it_rejects_an_id_whose_birth_date_does_not_exist() -> None:
    first17 = "11010519490230002"  # 30 February
    text = f"编号 {first17}{id_check_char(first17)}"

    assert mask_pii(text).findings == ()


def test_it_masks_an_id_shaped_value_after_an_id_keyword_even_with_a_bad_checksum() -> None:
    result = mask_pii("我的身份证号码是 110105194912310021")

    assert only(result, "cn_id").replacement == "11" + "*" * 15 + "1"


def test_it_masks_a_first_generation_fifteen_digit_id_after_a_keyword() -> None:
    result = mask_pii("ID number 110105491231002")

    assert only(result, "cn_id").replacement == "11" + "*" * 12 + "2"


ID_GROUPINGS = [[18], [6, 8, 4], [6, 4, 4, 4], [3, 3, 4, 4, 4], [1] * 18]


@settings(max_examples=300, deadline=None, database=None)
@given(data=st.data())
def test_it_masks_a_resident_id_whatever_separates_its_digit_groups(
    data: st.DataObject,
) -> None:
    resident_id = data.draw(resident_ids())
    written = data.draw(grouped(resident_id, ID_GROUPINGS))
    sentence, at = data.draw(sentences_with(written))

    result = mask_pii(sentence)

    finding = only(result, "cn_id")
    assert (finding.start, finding.end) == (at, at + len(written))
    assert digits_and_stars(finding.replacement) == resident_id[:2] + "*" * 15 + resident_id[-1]
    assert resident_id[6:14] not in re.sub(r"[^0-9]", "", result.text)


# -------------------------------------------------------------------------------- mobiles


@settings(max_examples=300, deadline=None, database=None)
@given(data=st.data())
def test_it_keeps_first_three_and_last_four_of_a_mobile(data: st.DataObject) -> None:
    number, prefix, written = data.draw(mobiles())
    lead = data.draw(st.sampled_from(["手机", "电话是", "call me on ", "mobile: ", "联系"]))
    tail = data.draw(st.sampled_from(["，谢谢", " thanks", "", "。"]))
    sentence = f"{lead}{prefix}{written}{tail}"

    result = mask_pii(sentence)

    finding = only(result, "mobile")
    assert sentence[finding.start : finding.end] == prefix + written
    assert finding.replacement.startswith(prefix)
    assert digits_and_stars(finding.replacement[len(prefix) :]) == (
        number[:3] + "****" + number[-4:]
    )
    assert number not in re.sub(r"[\s\-]", "", result.text)


MOBILE_GROUPINGS = [[3, 4, 4], [3, 8], [11], [1] * 11]


@settings(max_examples=300, deadline=None, database=None)
@given(data=st.data())
def test_it_masks_a_mobile_whatever_separates_its_digit_groups(data: st.DataObject) -> None:
    number, prefix, _written = data.draw(mobiles())
    written = data.draw(grouped(number, MOBILE_GROUPINGS))
    lead = data.draw(st.sampled_from(["手机", "电话是", "call me on ", "mobile: ", "联系"]))
    sentence = f"{lead}{prefix}{written}，谢谢"

    result = mask_pii(sentence)

    finding = only(result, "mobile")
    assert sentence[finding.start : finding.end] == prefix + written
    assert digits_and_stars(finding.replacement[len(prefix) :]) == (
        number[:3] + "****" + number[-4:]
    )
    assert number not in re.sub(r"[^0-9]", "", result.text)


def test_it_masks_a_mobile_with_a_glued_country_code() -> None:
    assert mask("回电8613812345678") == "回电86138****5678"


# ------------------------------------------------------------------------------- accounts


@pytest.mark.parametrize(
    "text",
    [
        "账号：1234567890123",
        "收款账户 1234 5678 9012 3",
        "对方帐号是1234567890123，户名张三",
        "account number 1234567890123",
        "Acct# 1234-5678-9012-3",
        "a/c 1234567890123",
    ],
)
def test_it_masks_account_numbers_after_keywords_keeping_last_four(text: str) -> None:
    result = mask_pii(text)

    finding = only(result, "account")
    assert digits_and_stars(finding.replacement) == "*" * 9 + "0123"
    assert "1234567890123" not in re.sub(r"[\s\-]", "", result.text)


def test_the_keyword_nearest_to_a_number_decides_whether_it_is_an_account() -> None:
    assert mask("信用卡年费，卡号 1234567890123") == "信用卡年费，卡号 *********0123"


def test_it_does_not_mask_a_balance_after_an_account_keyword() -> None:
    text = "账户余额 1234567890 元"

    assert mask(text) == text


def test_it_does_not_mask_a_date_after_an_account_keyword() -> None:
    text = "account opened on 2026-11-22 10:30"

    assert mask(text) == text


# --------------------------------------------------------------------------------- e-mail


def test_it_keeps_the_first_character_and_domain_of_an_email() -> None:
    result = mask_pii("Contact zhang.san+bank@mail.example.com.cn, thanks")

    assert result.text == "Contact z***@mail.example.com.cn, thanks"
    assert only(result, "email").start == 8


def test_it_masks_an_email_glued_to_chinese_text() -> None:
    assert mask("邮箱是lilei@163.com请回复") == "邮箱是l***@163.com请回复"


def test_an_email_made_of_digits_is_masked_as_email_not_mobile() -> None:
    result = mask_pii("13812345678@139.com")

    assert result.kinds == {"email"}
    assert result.text == "1***@139.com"


# ---------------------------------------------------------------------- one-time codes


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("验证码是 482913，请勿泄露", "验证码是 ******，请勿泄露"),
        ("您的动态码：482913", "您的动态码：******"),
        ("your OTP is 482913", "your OTP is ******"),
        ("verification code: 4829", "verification code: ****"),
        ("CVV 123", "CVV ***"),
        ("取款密码123456忘了", "取款密码******忘了"),
    ],
)
def test_it_masks_secret_codes_after_a_code_keyword(text: str, masked: str) -> None:
    result = mask_pii(text)

    assert result.text == masked
    assert result.kinds == {"otp"}


def test_it_leaves_a_six_digit_number_without_a_code_keyword_alone() -> None:
    text = "我的工号是 482913"

    assert mask(text) == text


def test_it_does_not_treat_a_postal_code_as_a_secret() -> None:
    text = "postal code 100000"

    assert mask(text) == text


def test_a_duration_after_a_code_keyword_is_not_a_code() -> None:
    text = "验证码 300 秒内有效，code expires in 5 minutes"

    assert mask(text) == text


# ------------------------------------------------------------------------ ordinary numbers


@pytest.mark.parametrize(
    "text",
    [
        "转账金额 ¥5,000 已到账",
        "RMB 50000 is the limit",
        "年化利率 3.5%",
        "还款日 2026-11-22",
        "交易日期 20261122",
        "2026年11月22日",
        "请拨打客服热线 95500",
        "您的排队号是 A023",
        "since 1998",
        "余额 12,345,678.90 元",
        "¥13812345678",
        "单笔限额 50000000 元",
    ],
)
def test_it_does_not_mask_ordinary_numbers(text: str) -> None:
    assert mask_pii(text) == MaskResult(text=text)


# -------------------------------------------------------------------------------- general


def test_it_masks_several_kinds_in_one_message() -> None:
    card = with_luhn_digit("622588123456123")
    text = f"卡{card}，电话13812345678，邮箱a.b@c.com，验证码 123456"

    result = mask_pii(text)

    assert [f.kind for f in result.findings] == ["card", "mobile", "email", "otp"]
    assert result.text == (
        f"卡{card[:6]}******{card[-4:]}，电话138****5678，邮箱a***@c.com，验证码 ******"
    )


@settings(max_examples=300, deadline=None, database=None)
@given(
    st.text(
        alphabet=st.one_of(
            st.sampled_from(list("0123456789 -+@.()xX卡号账户验证码身份证手机ID code")),
            st.characters(),
        ),
        max_size=80,
    )
)
def test_findings_never_overlap_and_rebuild_the_output(text: str) -> None:
    result = mask_pii(text)

    rebuilt, cursor = [], 0
    for finding in result.findings:
        assert cursor <= finding.start < finding.end <= len(text)
        rebuilt += [text[cursor : finding.start], finding.replacement]
        cursor = finding.end
    assert "".join(rebuilt) + text[cursor:] == result.text


def test_empty_text_has_no_findings() -> None:
    assert mask_pii("") == MaskResult(text="")


def test_mask_returns_only_the_masked_text() -> None:
    assert mask("手机 13812345678") == "手机 138****5678"
