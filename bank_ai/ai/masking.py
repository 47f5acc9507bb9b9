"""PII masking applied before text reaches an LLM provider, a log or an analytics table.

Pure Python on purpose: the same function runs in request handlers, log filters and
batch jobs, and must be testable without Django.

Masking policy (``*`` replaces a hidden character; spaces and dashes the customer typed are
kept so staff can still recognise the shape of the number):

Separators: cards, resident IDs and mobiles are found whatever the customer put between
the digit groups: any spacing (several spaces, tabs, newlines), ``-`` (also `` - ``), ``.``,
``/``, a backslash, ``_``, ``|``, ``,``, ``;``, ``:``, ``·`` and their full-width forms, up to
four such characters between two groups. Groups are what keeps ordinary numbers readable: a
card or mobile starts with a group of at least 4 (card) / 3 (mobile) digits and its inner
groups have at least 3, as printed and typed numbers do, or it is written digit by digit
(speech recognition does that). Dates, times, amounts with thousands separators and lists of
small numbers never have that shape.

``card``
    13-19 digits, first digit 2-6 (the payment networks we see: UnionPay, Visa, Mastercard,
    Amex, JCB, Discover) and Luhn-valid. 16-19 digits keep the BIN (first 6) and the last 4:
    ``6225 88** **** 1234`` / ``622588******1234``. 13-15 digit cards keep the first 4 and
    last 4 so that at least five digits stay hidden.
``cn_id``
    Resident ID (GB 11643-1999): 18 characters, valid province code, a real birth date that
    is not in the future, ISO 7064 MOD 11-2 check character. Keeps the first 2 (province)
    and the check character: ``11***************X``. Reveals neither the birth date, the
    city/county, nor the gender digit. After an ID keyword (身份证, ID number ...) an
    ID-shaped value is masked even with a wrong checksum, and 15-digit first-generation IDs
    are recognised too.
``mobile``
    Mainland mobiles ``1[3-9]`` + 9 digits, optionally ``+86``/``0086``/``86``/``(+86)``
    prefixed. Keeps the prefix, first 3 and last 4: ``+86 138-****-5678``.
``account``
    10-25 digits (grouping allowed) right after an account keyword (账号, 账户, 卡号,
    银行卡, account, acct, a/c, IBAN, card ...) that is not already a card or an ID.
    Keeps the last 4. Digit runs without such a keyword are left alone, so order numbers,
    serial numbers and invalid-checksum look-alikes are not masked.
``email``
    Keeps the first character of the local part and the whole domain: ``z***@example.com``.
    The number of hidden characters is fixed so the length of the local part is not leaked.
``otp``
    One-time codes, PINs, passwords and CVVs: a standalone 4-8 digit run (3-4 for CVV/CVN/
    CVC/安全码) right after 验证码, 动态码, 密码, OTP, PIN, passcode, code ... Fully masked.
    "postal code", "error code" and similar are not codes to hide; a number followed by a
    unit (年, 秒, minutes, 元 ...) is not a code either.

Not masked: amounts (¥5,000, RMB 50000, 3.5%), dates (2026-11-22, 20261122), years, the
95500 hotline, ticket numbers such as A023, and any 6-digit number without a code keyword.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

__all__ = ["MaskResult", "PiiFinding", "mask", "mask_pii"]

MASK_CHAR = "*"


@dataclass(frozen=True, slots=True)
class PiiFinding:
    """One masked span; ``start``/``end`` index the ORIGINAL text."""

    kind: str
    start: int
    end: int
    replacement: str


@dataclass(frozen=True, slots=True)
class MaskResult:
    text: str
    findings: tuple[PiiFinding, ...] = ()

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(f.kind for f in self.findings)


# Detection runs on a copy where full-width digits and signs typed with a Chinese IME are
# mapped 1:1 to ASCII, so offsets stay valid for the original text. Only the characters
# that matter are mapped: translating every full-width comma of a Chinese message would
# cost more than the rest of the masking.
_PROBE_MAP: dict[str, str] = {chr(0xFF10 + d): str(d) for d in range(10)}
# Full-width letters matter for e-mail addresses; full-width commas and question marks,
# which fill every Chinese sentence, are deliberately not mapped.
_PROBE_MAP.update({chr(cp): chr(cp - 0xFEE0) for cp in range(0xFF21, 0xFF3B)})
_PROBE_MAP.update({chr(cp): chr(cp - 0xFEE0) for cp in range(0xFF41, 0xFF5B)})
_PROBE_MAP.update({"＋": "+", "－": "-", "（": "(", "）": ")", "＠": "@", "．": ".", "＿": "_"})
_PROBE_MAP.update(dict.fromkeys("\u3000\u00a0\u2007\u2009\u202f", " "))
_PROBE_MAP.update(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212", "-"))
_PROBE_RE = re.compile("[" + "".join(re.escape(ch) for ch in _PROBE_MAP) + "]")

_HAS_DIGIT = re.compile(r"[0-9]")

# Digit groups separated by single spaces or dashes, starting with 3+ digits: the value
# after a keyword. The lookbehind sits after the first character so the regex engine can
# skip ahead to digits.
_RUN = r"[0-9](?<![0-9][0-9])[0-9]{2,}(?:[ \-][0-9]+)*"
# What customers put between the groups of a card, ID or mobile number (see the module
# docstring). Digits never match it, so the run below cannot backtrack: it stays linear.
_SEP = r"[\s\-_./\\|,;:·•，、；：／]"
# A number written in groups with at least 11 digits (the shortest kind, a mobile) ahead,
# so short numbers never reach Python.
_NUMBER_RUN_RE = re.compile(
    rf"[0-9](?<![0-9][0-9])(?=(?:{_SEP}{{0,4}}[0-9]){{10}})[0-9]*(?:{_SEP}{{1,4}}[0-9]+)*"
)
_GROUP_RE = re.compile(r"[0-9]+")
# A resident ID's check letter, glued to the digits or written as one more group. A word
# that merely starts with X after 17 digits that check out as an ID is too unlikely to
# be worth leaving an ID readable for.
_SEPARATED_CHECK_X_RE = re.compile(rf"{_SEP}{{0,4}}[Xx](?![0-9])")
# The value after a keyword: "卡号是：6222...", "account number: 1234 5678 ...".
_AFTER_KEYWORD_RE = {
    "account": re.compile(r"[^0-9\n]{0,16}?(?P<run>" + _RUN + ")"),
    "id": re.compile(r"[^0-9\n]{0,12}?(?P<run>" + _RUN + ")"),
    "otp": re.compile(r"[^0-9\n.。!?！？;；]{0,16}?(?P<run>" + _RUN + ")"),
}

# Looked for right before a mobile: +86 / 0086 / 86 / (+86), optionally spaced.
_MOBILE_CC_RE = re.compile(r"(?:(?<![0-9+])(?:\+|00)?86[ \-]?|\(\+?86\) ?)$")
# Country code glued to the number (8613812345678), which the lookbehind above excludes.
_MOBILE_GLUED_RE = re.compile(
    r"(?:\+86|0086|86)(?P<num>1[3-9][0-9](?P<sep>[ \-]?)[0-9]{4}(?P=sep)[0-9]{4})(?![0-9])"
)

_EMAIL_LOCAL_CHARS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-"
)
_EMAIL_RE = re.compile(
    r"(?P<local>[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63})@"
    r"(?P<domain>[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,24})"
    r"(?![A-Za-z0-9\-])"
)

# Every keyword is found in one pass over a lower-cased copy, then the value right after
# each one is examined. A flag-free literal alternation is an order of magnitude faster
# than IGNORECASE with lookbehinds, so word boundaries for the English keywords are
# checked in Python.
_KEYWORD_KIND: dict[str, str] = {
    **dict.fromkeys(
        (
            "收款账号",
            "账号",
            "帐号",
            "账户",
            "帐户",
            "户号",
            "卡号",
            "银行卡",
            "储蓄卡",
            "信用卡",
            "借记卡",
            "存折",
            "account",
            "acct",
            "a/c",
            "iban",
            "card",
        ),
        "account",
    ),
    **dict.fromkeys(("身份证", "证件号", "公民身份号码", "identity", "id"), "id"),
    **dict.fromkeys(
        (
            "验证码",
            "校验码",
            "动态码",
            "动态密码",
            "短信码",
            "密码",
            "安全码",
            "口令",
            "otp",
            "pin",
            "cvv2",
            "cvc2",
            "cvn2",
            "cvv",
            "cvc",
            "cvn",
            "passcode",
            "password",
            "passwd",
            "code",
        ),
        "otp",
    ),
}
_KEYWORD_RE = re.compile(
    "|".join(re.escape(k) for k in sorted(_KEYWORD_KIND, key=len, reverse=True))
)
_ACCOUNT_GAP_STOP = re.compile(
    r"余额|金额|额度|限额|利息|利率|费|积分|尾号|后四位|末四位|元|¥|￥|\$|€|£"
    r"|balance|amount|limit|fee|interest|rate|points|ending|last|rmb|cny|usd|hkd",
    re.IGNORECASE,
)
_SHORT_CODE_WORDS = frozenset(("安全码", "cvv", "cvc", "cvn", "cvv2", "cvc2", "cvn2"))
_NOT_A_SECRET_CODE = re.compile(
    r"(?:postal|post|zip|area|country|branch|swift|bic|sort|bank|product|error|promo"
    r"|promotion|discount|coupon|referral|invitation|invite|qr|bar|tax|currency|reason"
    r"|status|response|dial|routing|transit|merchant|mcc|ticket|queue)\s*$",
    re.IGNORECASE,
)
_UNIT_AFTER = re.compile(
    r"\s*(?:年|月|日|号|元|块|万|亿|次|位|个|分|秒|小时|天|周|%|‰"
    r"|(?:yuan|rmb|cny|dollars?|days?|hours?|minutes?|mins?|seconds?|secs?|times|digits?"
    r"|characters?|chars?|years?|months?|weeks?|percent)(?![a-z]))",
    re.IGNORECASE,
)
_CURRENCY_BEFORE = re.compile(r"(?:[¥$€£]|rmb|cny|usd|hkd|eur|人民币|金额|余额)\s*$", re.IGNORECASE)

_CARD_FIRST_DIGITS = frozenset("23456")
_PROVINCES = frozenset(
    str(code)
    for code in (
        *range(11, 16),
        *range(21, 24),
        *range(31, 38),
        *range(41, 47),
        *range(50, 55),
        *range(61, 66),
        71,
        81,
        82,
        83,
    )
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"

# Lower wins: the most specific, self-validating kinds claim a span first.
_PRIORITY = {"email": 0, "cn_id": 1, "card": 2, "account": 3, "mobile": 4, "otp": 5}


_LUHN_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def luhn_valid(digits: str) -> bool:
    odd = sum(map(int, digits[-1::-2]))
    even = sum(_LUHN_DOUBLED[int(d)] for d in digits[-2::-2])
    return (odd + even) % 10 == 0


def cn_id_check_char(first17: str) -> str:
    weighted = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[weighted % 11]


def _valid_region(code: str) -> bool:
    # Foreigners' permanent residence IDs (2023 format) start with 9 + province code.
    return code[:2] in _PROVINCES or (code[0] == "9" and code[1:3] in _PROVINCES)


def _valid_birth_date(yyyymmdd: str) -> bool:
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= datetime.now(UTC).date()


def cn_id_valid(value: str) -> bool:
    """True for an 18-character resident ID with valid region, birth date and checksum."""
    if len(value) != 18 or not value[:17].isascii() or not value[:17].isdigit():
        return False
    return (
        _valid_region(value[:6])
        and _valid_birth_date(value[6:14])
        and cn_id_check_char(value[:17]) == value[17].upper()
    )


def _mask_span(original: str, probe: str, keep_head: int, keep_tail: int) -> str:
    """Mask the digits (and ID check letter) of a span, keeping separators in place."""
    n = len(probe)
    if probe.isalnum():
        return (
            original[:keep_head]
            + MASK_CHAR * (n - keep_head - keep_tail)
            + original[n - keep_tail :]
        )
    positions = [i for i, ch in enumerate(probe) if ch.isalnum()]
    hidden = set(positions[keep_head : len(positions) - keep_tail])
    return "".join(MASK_CHAR if i in hidden else ch for i, ch in enumerate(original))


def _is_part_of_decimal(probe: str, start: int, end: int) -> bool:
    before = probe[max(0, start - 2) : start]
    after = probe[end : end + 2]
    return (len(before) == 2 and before[0].isdigit() and before[1] in ".,") or (
        len(after) == 2 and after[0] in ".," and after[1].isdigit()
    )


def _looks_like_amount(probe: str, start: int, end: int) -> bool:
    return bool(
        _CURRENCY_BEFORE.search(probe, max(0, start - 8), start)
        or _UNIT_AFTER.match(probe, end)
        or _is_part_of_decimal(probe, start, end)
    )


Candidate = tuple[int, int, int, str, str]  # priority, start, end, kind, replacement


class _Run:
    """A number written in digit groups: where each group sits and its digits run together.

    Luhn sums come from prefix sums kept per index parity, so checking every window of a
    long run (an attacker's 2,000 single digits) stays linear instead of quadratic.
    """

    __slots__ = ("digits", "doubled", "groups", "offsets", "plain")

    def __init__(self, probe: str, groups: list[tuple[int, int]]) -> None:
        self.groups = groups
        self.digits = "".join(probe[start:end] for start, end in groups)
        self.offsets = [0]
        for start, end in groups:
            self.offsets.append(self.offsets[-1] + end - start)
        n = len(self.digits)
        self.plain = ([0] * (n + 1), [0] * (n + 1))
        self.doubled = ([0] * (n + 1), [0] * (n + 1))
        for k, ch in enumerate(self.digits):
            d = ord(ch) - 48
            for parity in (0, 1):
                hit = (k & 1) == parity
                self.plain[parity][k + 1] = self.plain[parity][k] + (d if hit else 0)
                self.doubled[parity][k + 1] = self.doubled[parity][k] + (
                    _LUHN_DOUBLED[d] if hit else 0
                )

    def luhn_valid(self, a: int, b: int) -> bool:
        """Luhn over ``digits[a:b]``: the last digit counts as is, every second one doubled."""
        plain = self.plain[(b - 1) & 1]
        doubled = self.doubled[b & 1]
        return (plain[b] - plain[a] + doubled[b] - doubled[a]) % 10 == 0

    def length(self, i: int, j: int) -> int:
        """Digits in groups ``i..j`` inclusive."""
        return self.offsets[j + 1] - self.offsets[i]

    def group_length(self, k: int) -> int:
        return self.offsets[k + 1] - self.offsets[k]


def _grouped_like_a_number(run: _Run, i: int, j: int, first_min: int, glued: int = 0) -> bool:
    """Whether groups ``i..j`` can be one card or mobile number as people write them.

    Printed and typed numbers come in groups of 3+ (4-4-4-4, 4-6-5, 6-13, 3-4-4) with a
    first group of ``first_min``+; speech recognition writes them digit by digit. A short
    group anywhere else means unrelated numbers side by side: a date, a time, an amount
    with thousands separators, a list. ``glued`` leading digits of group ``i`` (a country
    code) are not part of the number.
    """
    first = run.group_length(i) - glued
    if first == 1:
        return all(run.group_length(k) == 1 for k in range(i + 1, j + 1))
    if j > i and first < first_min:
        return False
    return all(run.group_length(k) >= 3 for k in range(i + 1, j))


def _card_candidates(text: str, probe: str, run: _Run, out: list[Candidate]) -> None:
    groups, digits = run.groups, run.digits
    n = len(groups)
    i = 0
    while i < n:
        best = -1
        if digits[run.offsets[i]] in _CARD_FIRST_DIGITS:
            for j in range(i, n):
                total = run.length(i, j)
                if total > 19 or not _grouped_like_a_number(run, i, j, first_min=4):
                    break
                if total >= 13 and run.luhn_valid(run.offsets[i], run.offsets[j + 1]):
                    best = j
        if best < 0:
            i += 1
            continue
        start, end = groups[i][0], groups[best][1]
        head = 6 if run.length(i, best) >= 16 else 4
        out.append(
            (
                _PRIORITY["card"],
                start,
                end,
                "card",
                _mask_span(text[start:end], probe[start:end], head, 4),
            )
        )
        i = best + 1


def _cn_id_candidates(text: str, probe: str, run: _Run, out: list[Candidate]) -> None:
    # Region, birth date and check character make a valid ID unlikely by chance, so any
    # grouping counts: 6-8-4, 3-3-4-4-4, one digit at a time.
    groups, digits = run.groups, run.digits
    for i in range(len(groups)):
        for j in range(i, len(groups)):
            total = run.length(i, j)
            end = groups[j][1]
            if total == 17 and (check := _SEPARATED_CHECK_X_RE.match(probe, end)):
                value, end = digits[run.offsets[i] : run.offsets[j + 1]] + "X", check.end()
            elif total == 18:
                value = digits[run.offsets[i] : run.offsets[j + 1]]
            elif total > 18:
                break
            else:
                continue
            if cn_id_valid(value):
                start = groups[i][0]
                out.append(
                    (
                        _PRIORITY["cn_id"],
                        start,
                        end,
                        "cn_id",
                        _mask_span(text[start:end], probe[start:end], 2, 1),
                    )
                )
            break


def _mobile_candidates(text: str, probe: str, run: _Run, out: list[Candidate]) -> None:
    groups, digits = run.groups, run.digits
    for i in range(len(groups)):
        group = digits[run.offsets[i] : run.offsets[i + 1]]
        # The country code may be glued to the first group: "+86138 1234 5678".
        skip = 4 if group.startswith("0086") else 2 if group.startswith("86") else 0
        for glued in {0, skip}:
            _mobile_from(text, probe, run, i, glued, out)


def _mobile_from(
    text: str, probe: str, run: _Run, i: int, glued: int, out: list[Candidate]
) -> None:
    """A mobile starting ``glued`` digits into group ``i``, if there is one."""
    digits, groups = run.digits, run.groups
    first = run.offsets[i] + glued
    if digits[first : first + 1] != "1" or digits[first + 1 : first + 2] not in set("3456789"):
        return
    for j in range(i, len(groups)):
        total = run.offsets[j + 1] - first
        if total > 11 or not _grouped_like_a_number(run, i, j, first_min=3, glued=glued):
            return
        if total < 11:
            continue
        ns, ne = groups[i][0] + glued, groups[j][1]
        cc = _MOBILE_CC_RE.search(probe, max(0, ns - 8), ns)
        start = cc.start() if cc else ns
        if glued and not cc:
            return
        if not _looks_like_amount(probe, start, ne):
            masked = _mask_span(text[ns:ne], probe[ns:ne], 3, 4)
            out.append((_PRIORITY["mobile"], start, ne, "mobile", text[start:ns] + masked))
        return


_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")


def _keywords(probe: str) -> list[tuple[str, int, int, str]]:
    """``(kind, start, end, word)`` for every account / ID / code keyword."""
    lower = probe.lower()
    if len(lower) != len(probe):
        # A few characters (e.g. U+0130) lower-case to two; keep offsets aligned.
        lower = "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in probe)
    found = []
    for m in _KEYWORD_RE.finditer(lower):
        word = m.group(0)
        start, end = m.span()
        if word.isascii() and (
            (start and lower[start - 1] in _ASCII_LETTERS)
            or (end < len(lower) and lower[end] in _ASCII_LETTERS)
        ):
            continue
        found.append((_KEYWORD_KIND[word], start, end, word))
    return found


def _groups(probe: str, start: int, end: int) -> list[tuple[int, int]]:
    run = probe[start:end]
    if run.isdigit():
        return [(start, end)]
    return [(start + g.start(), start + g.end()) for g in _GROUP_RE.finditer(run)]


def _account_candidate(
    text: str, probe: str, kw_end: int, groups: list[tuple[int, int]], out: list[Candidate]
) -> None:
    start = groups[0][0]
    if _ACCOUNT_GAP_STOP.search(probe, kw_end, start):
        return
    total = 0
    best = -1
    for j, (gs, ge) in enumerate(groups):
        # "2026-11-22 10:30" after "account opened on" is not an account number: account
        # numbers are never written with 1-2 digit groups.
        if j > 0 and groups[j - 1][1] - groups[j - 1][0] < 3:
            break
        total += ge - gs
        if total > 25:
            break
        if total >= 10:
            best = j
    if best < 0:
        return
    end = groups[best][1]
    if _looks_like_amount(probe, start, end):
        return
    out.append(
        (
            _PRIORITY["account"],
            start,
            end,
            "account",
            _mask_span(text[start:end], probe[start:end], 0, 4),
        )
    )


def _otp_candidate(
    text: str,
    probe: str,
    kw_start: int,
    word: str,
    start: int,
    end: int,
    out: list[Candidate],
) -> None:
    length = end - start
    min_len, max_len = (3, 4) if word in _SHORT_CODE_WORDS else (4, 8)
    if not min_len <= length <= max_len:
        return
    if word == "code" and _NOT_A_SECRET_CODE.search(probe, max(0, kw_start - 16), kw_start):
        return
    if _looks_like_amount(probe, start, end):
        return
    out.append((_PRIORITY["otp"], start, end, "otp", MASK_CHAR * length))


def _id_candidate(text: str, probe: str, start: int, end: int, out: list[Candidate]) -> None:
    if end < len(probe) and probe[end] in "Xx" and end - start == 17:
        end += 1
    length = end - start
    if length == 15:
        if not _valid_birth_date("19" + probe[start + 6 : start + 12]):
            return
    elif length != 18:
        return
    out.append(
        (
            _PRIORITY["cn_id"],
            start,
            end,
            "cn_id",
            _mask_span(text[start:end], probe[start:end], 2, 1),
        )
    )


def _collect(text: str, probe: str) -> list[Candidate]:
    out: list[Candidate] = []
    if "@" in probe:
        _email_candidates(text, probe, out)
    if not _HAS_DIGIT.search(probe):
        return out

    for m in _NUMBER_RUN_RE.finditer(probe):
        run = _Run(probe, _groups(probe, *m.span()))
        _cn_id_candidates(text, probe, run, out)
        _mobile_candidates(text, probe, run, out)
        if len(run.digits) >= 13:
            _card_candidates(text, probe, run, out)
    for m in _MOBILE_GLUED_RE.finditer(probe):
        start = m.start()
        ns, ne = m.span("num")
        if start and probe[start - 1] in "0123456789+":
            continue
        masked = _mask_span(text[ns:ne], probe[ns:ne], 3, 4)
        out.append((_PRIORITY["mobile"], start, ne, "mobile", text[start:ns] + masked))

    # Keyword-introduced kinds start from the (few) keywords rather than from every number.
    # The keyword nearest to a value decides ("信用卡年费…卡号 123…" is an account), so they
    # are visited last to first and a value already decided for a kind is skipped, as is
    # one already claimed by a card.
    seen = {("account", c[1]) for c in out if c[3] == "card"}
    for kind, kw_start, kw_end, word in reversed(_keywords(probe)):
        after = _AFTER_KEYWORD_RE[kind].match(probe, kw_end)
        if after is None:
            continue
        rs, re_ = after.span("run")
        if (kind, rs) in seen:
            continue
        seen.add((kind, rs))
        groups = _groups(probe, rs, re_)
        if kind == "account":
            _account_candidate(text, probe, kw_end, groups, out)
        elif len(groups) == 1 and kind == "otp":
            _otp_candidate(text, probe, kw_start, word, rs, re_, out)
        elif len(groups) == 1:
            _id_candidate(text, probe, rs, re_, out)
    return out


def _email_candidates(text: str, probe: str, out: list[Candidate]) -> None:
    # Anchoring at each "@" keeps this linear; scanning the whole text for a local part
    # would try every word of the message.
    at = probe.find("@")
    while at > 0:
        start = at
        while start > 0 and at - start < 64 and probe[start - 1] in _EMAIL_LOCAL_CHARS:
            start -= 1
        while start < at and not probe[start].isalnum():
            start += 1
        m = _EMAIL_RE.match(probe, start)
        if m:
            local = text[m.start("local") : m.end("local")]
            domain = text[m.start("domain") : m.end("domain")]
            out.append(
                (
                    _PRIORITY["email"],
                    m.start(),
                    m.end(),
                    "email",
                    f"{local[0]}{MASK_CHAR * 3}@{domain}",
                )
            )
        at = probe.find("@", at + 1)


def mask_pii(text: str) -> MaskResult:
    """Mask personal data in ``text``; see the module docstring for the policy per kind."""
    if not text:
        return MaskResult(text=text)
    probe = _PROBE_RE.sub(lambda m: _PROBE_MAP[m.group(0)], text)
    candidates = _collect(text, probe)
    if not candidates:
        return MaskResult(text=text)
    candidates.sort(key=lambda c: (c[0], c[1]))
    taken = bytearray(len(text))
    accepted: list[PiiFinding] = []
    for _prio, start, end, kind, replacement in candidates:
        if taken.find(1, start, end) >= 0:
            continue
        taken[start:end] = b"\x01" * (end - start)
        accepted.append(PiiFinding(kind, start, end, replacement))
    accepted.sort(key=lambda f: f.start)
    pieces: list[str] = []
    cursor = 0
    for f in accepted:
        pieces.append(text[cursor : f.start])
        pieces.append(f.replacement)
        cursor = f.end
    pieces.append(text[cursor:])
    return MaskResult(text="".join(pieces), findings=tuple(accepted))


def mask(text: str) -> str:
    """Masked text only, for log filters and analytics writers."""
    return mask_pii(text).text
