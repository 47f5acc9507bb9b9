"""Pair features the question matcher learns from, beyond character bigrams and embeddings.

Two questions about one topic often ask different things: how vs how much vs why, the bill
date vs the due date, a mortgage vs a car loan, reporting a card lost vs cancelling that
report. Whole-sentence embeddings and character overlap barely see these differences, so the
matcher also gets

* word-level overlap (jieba words, IDF-weighted), character 1-3-gram TF-IDF cosine and the
  longest common subsequence, which survive reordering and a changed particle;
* the question type of each side (how, why, how much, when, where, yes/no, what) and whether
  the types disagree;
* slots: both questions name something of one kind (a card, a loan, a fee, a date, a
  channel, an action) but not the same thing.

The lexicons are short and generic banking vocabulary; the model learns how much each signal
is worth from the labelled pairs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from types import MappingProxyType

from bank_ai.ai.text import tokens

# --- question type ---------------------------------------------------------------------------
# Longer cues first: "怎么办" is "what should I do", not the neutral "how".
_QUESTION_TYPES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("why", ("为什么", "为何", "怎么会", "什么原因", "原因"), ("why", "how come")),
    (
        "when",
        ("多久", "多长时间", "什么时候", "何时", "几点", "几号", "哪天", "几天", "哪一天"),
        ("when", "how long", "what time", "what day"),
    ),
    ("how_much", ("多少", "几次", "几个", "收费吗", "要钱吗"), ("how much", "how many")),
    ("where", ("哪里", "哪儿", "在哪", "什么地方"), ("where",)),
    (
        "how",
        ("怎么办", "怎么", "如何", "怎样", "咋", "流程", "步骤"),
        ("how do", "how can", "how to", "how should", "what do i do", "what can i do"),
    ),
    ("what", ("什么", "哪些", "哪个", "哪种"), ("what", "which")),
    (
        "yes_no",
        ("吗", "能否", "是否", "可否", "能不能", "可不可以", "会不会", "有没有", "是不是"),
        ("can i", "can you", "is it", "is there", "are there", "do i", "does", "will", "are my"),
    ),
)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


@lru_cache(maxsize=8192)
def question_types(text: str) -> frozenset[str]:
    """The kinds of answer a normalised question asks for (empty for a statement)."""
    found: set[str] = set()
    lowered = f" {text.lower()} "
    rest = text
    for name, zh, en in _QUESTION_TYPES:
        for cue in zh:
            if cue in rest:
                found.add(name)
                # "多少" inside "多少钱" must not count again as another type.
                rest = rest.replace(cue, " ")
        if any(f" {cue} " in lowered or lowered.startswith(f" {cue}") for cue in en):
            found.add(name)
    # "什么时候"/"为什么" were consumed above; a bare "怎么" with "为什么" is still a why.
    return frozenset(found)


# --- slots ------------------------------------------------------------------------------------
# Each slot: synonym groups of one kind. Two questions conflict on a slot when both name a
# group of it and they share none ("房贷" vs "车贷"); synonyms inside a group never conflict.
_SLOTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "card": (
        ("信用卡", "credit card"),
        ("借记卡", "储蓄卡", "debit card"),
        ("附属卡", "副卡", "supplementary card"),
        ("社保卡",),
    ),
    "loan": (
        ("房贷", "住房贷款", "按揭", "mortgage"),
        ("车贷", "汽车贷款", "car loan"),
        ("消费贷", "消费贷款", "个人贷款", "personal loan"),
        ("经营贷", "经营贷款", "business loan"),
    ),
    "date": (
        ("账单日", "出账单", "statement date"),
        ("还款日", "还款日期", "due date"),
        ("到期日", "到期", "maturity"),
    ),
    "charge": (
        ("年费", "annual fee"),
        ("手续费", "费用", "收费", "fee", "fees", "cost"),
        ("利息", "利率", "收益", "interest", "rate"),
        ("违约金", "罚息", "滞纳金", "late fee", "penalty"),
    ),
    "record": (
        ("余额", "还有多少钱", "balance"),
        ("流水", "明细", "交易记录", "statement", "transactions"),
        ("征信", "信用记录", "credit score", "credit report"),
        ("积分", "points"),
        ("额度", "限额", "limit"),
    ),
    "channel": (
        ("手机银行", "app", "手机", "mobile"),
        ("网银", "网上银行", "online banking"),
        ("柜台", "网点", "branch", "counter"),
        ("atm", "取款机"),
        ("apple pay",),
        ("google pay",),
        ("短信", "验证码", "sms", "text"),
    ),
    "secret": (
        ("登录密码", "password"),
        ("交易密码", "支付密码", "取款密码", "pin"),
    ),
    "action": (
        ("挂失", "丢了", "遗失", "lost", "stolen"),
        ("解挂",),
        ("注销", "销户", "销卡", "close", "cancel"),
        ("补办", "补卡", "换卡", "replacement", "replace"),
        ("激活", "开卡", "activate", "turn it on"),
        ("开户", "open an account", "open a"),
        ("冻结", "freeze", "frozen"),
        ("解冻", "unfreeze"),
        ("修改", "更改", "更换", "改", "change", "update"),
        ("重置", "找回", "忘了", "忘记", "reset", "forgot"),
        ("查询", "查看", "查", "check", "see"),
        ("兑换", "换", "exchange", "redeem"),
        ("赎回", "取出", "提前支取", "withdraw"),
        ("还款", "还钱", "repay"),
        ("申请", "办理", "apply"),
        ("转账", "汇款", "transfer", "send money"),
        ("取现", "取款", "取钱", "cash"),
        ("过期", "失效", "expire"),
        ("退出", "log out"),
        ("登录", "登不上", "log in", "login"),
    ),
}


def _slot_cues() -> dict[str, tuple[tuple[str, int, bool], ...]]:
    """Per slot, (cue, group, is Chinese), longest cue first."""
    return {
        slot: tuple(
            (cue, g, bool(_CJK.search(cue)))
            for cue, g in sorted(
                ((cue, g) for g, group in enumerate(groups) for cue in group),
                key=lambda item: -len(item[0]),
            )
        )
        for slot, groups in _SLOTS.items()
    }


_SLOT_CUES = _slot_cues()
_NOT_WORD = re.compile(r"[^\w]+")


@lru_cache(maxsize=8192)
def slot_groups(text: str) -> Mapping[str, frozenset[int]]:
    """For each slot, the groups a normalised question names (longest cue wins, so "登录密码"
    is a password, not also a login). Cached: the curated questions come back every turn."""
    out: dict[str, frozenset[int]] = {}
    for slot, cues in _SLOT_CUES.items():
        rest = f" {text.lower()} "
        words_only: str | None = None
        found: set[int] = set()
        for cue, g, chinese in cues:
            if chinese:
                hit = cue in rest
            else:
                if words_only is None:
                    words_only = _NOT_WORD.sub(" ", rest)
                hit = f" {cue} " in words_only
            if hit:
                found.add(g)
                rest = rest.replace(cue, " ")
                words_only = None
        if found:
            out[slot] = frozenset(found)
    return MappingProxyType(out)


def slot_conflicts(a: Mapping[str, frozenset[int]], b: Mapping[str, frozenset[int]]) -> int:
    """Slots both questions fill, with nothing in common."""
    return sum(1 for slot in a.keys() & b.keys() if not a[slot] & b[slot])


def slot_agreements(a: Mapping[str, frozenset[int]], b: Mapping[str, frozenset[int]]) -> int:
    return sum(1 for slot in a.keys() & b.keys() if a[slot] & b[slot])


_CLAUSE_END = re.compile(r"[？?。！!；;，,]+")


@lru_cache(maxsize=8192)
def split_clauses(text: str) -> tuple[str, ...]:
    """The questions inside a text that asks more than one; () when it asks one."""
    parts = tuple(p.strip() for p in _CLAUSE_END.split(text) if len(p.strip()) >= 2)
    return parts if len(parts) > 1 else ()


# --- words and character n-grams ---------------------------------------------------------------
@lru_cache(maxsize=8192)
def words(text: str) -> frozenset[str]:
    """jieba words (fine-grained) and English words, without stop words."""
    return frozenset(tokens(text))


@lru_cache(maxsize=8192)
def char_ngrams(text: str, sizes: tuple[int, ...] = (1, 2, 3)) -> Mapping[str, int]:
    chars = "".join(ch for ch in text if ch.isalnum())
    counts: dict[str, int] = {}
    for n in sizes:
        for i in range(len(chars) - n + 1):
            gram = chars[i : i + n]
            counts[gram] = counts.get(gram, 0) + 1
    return MappingProxyType(counts)


def tfidf_cosine(
    a: Mapping[str, int], b: Mapping[str, int], idf: Mapping[str, float], unknown: float
) -> float:
    def weight(gram: str, count: int) -> float:
        return (1 + math.log(count)) * idf.get("c:" + gram, unknown)

    wa = {g: weight(g, c) for g, c in a.items()}
    wb = {g: weight(g, c) for g, c in b.items()}
    dot = sum(w * wb[g] for g, w in wa.items() if g in wb)
    norm = math.sqrt(sum(w * w for w in wa.values())) * math.sqrt(sum(w * w for w in wb.values()))
    return dot / norm if norm else 0.0


def lcs_ratio(a: str, b: str) -> float:
    """Longest common subsequence of the alphanumeric characters over the shorter length."""
    x = [ch for ch in a if ch.isalnum()]
    y = [ch for ch in b if ch.isalnum()]
    if not x or not y:
        return 0.0
    return lcs_length(x, y) / min(len(x), len(y))


def lcs_length(x: Iterable[str], y: list[str]) -> int:
    """Length of the longest common subsequence, bit-parallel (Hyyrö 2004): one big-integer
    step per character of x instead of a row of the dynamic programme per character."""
    positions: dict[str, int] = {}
    for i, ch in enumerate(y):
        positions[ch] = positions.get(ch, 0) | (1 << i)
    everything = (1 << len(y)) - 1
    v = everything
    for ch in x:
        u = v & positions.get(ch, 0)
        v = ((v + u) | (v - u)) & everything
    return len(y) - v.bit_count()


def corpus_idf(texts: Iterable[str]) -> dict[str, float]:
    """IDF of words ("w:") and character 1-3-grams ("c:") over a corpus of questions."""
    df: dict[str, int] = {}
    total = 0
    for text in texts:
        total += 1
        keys = {"w:" + w for w in words(text)} | {"c:" + g for g in char_ngrams(text)}
        for key in keys:
            df[key] = df.get(key, 0) + 1
    total = max(total, 1)
    return {key: math.log(1 + total / (1 + n)) for key, n in df.items()}


# --- one-word edits for training ---------------------------------------------------------------
# A representative cue of each question type, and synonyms that keep the type: swapping the
# type of a curated question makes a hard negative that shares nearly every word; swapping in
# a synonym makes a positive that does too, so overlap alone cannot decide either.
_TYPE_CUE = {
    "how": "怎么办理",
    "why": "为什么",
    "when": "多久",
    "how_much": "多少钱",
    "where": "在哪里",
    "what": "是什么",
}
_TYPE_SYNONYMS = (
    ("怎么", "如何", "怎样"),
    ("为什么", "为何"),
    ("多久", "多长时间"),
    ("什么时候", "何时"),
    ("在哪里", "在哪儿"),
    ("能不能", "可不可以", "能否"),
)


def _zh(cue: str) -> bool:
    return bool(_CJK.search(cue))


def type_swaps(question: str) -> list[str]:
    """The question asking for another kind of answer: "怎么申请X" -> "为什么申请X".

    Chinese only: English edits of this kind made the held-out English pairs worse (the
    English paraphrases share few words, so overlap must not be taught to matter more)."""
    for name, zh, _en in _QUESTION_TYPES:
        for cue in zh:
            if cue in question and cue != "吗":
                return [
                    question.replace(cue, other, 1)
                    for kind, other in _TYPE_CUE.items()
                    if kind != name and other not in question and cue not in other
                ][:3]
    return []


def slot_swaps(question: str) -> tuple[list[str], list[str]]:
    """(same meaning, different question): a slot cue replaced by a synonym from its own
    group, and by a cue of another group of the same slot ("房贷" -> "车贷")."""
    same: list[str] = []
    other: list[str] = []
    if not _zh(question):
        return same, other  # Chinese only, as type_swaps

    def usable(cue: str) -> bool:
        # One-character cues (改, 查) are too ambiguous to replace blindly.
        return _zh(cue) and len(cue) >= 2

    for groups in _SLOTS.values():
        cues = sorted(
            ((cue, g) for g, group in enumerate(groups) for cue in group if usable(cue)),
            key=lambda item: -len(item[0]),
        )
        for cue, g in cues:
            if cue not in question:
                continue
            synonym = next((c for c in groups[g] if usable(c) and c != cue), None)
            if synonym:
                same.append(question.replace(cue, synonym, 1))
            for h, group in enumerate(groups):
                replacement = next((c for c in group if usable(c)), None)
                if h != g and replacement and replacement not in question:
                    other.append(question.replace(cue, replacement, 1))
                    break
            break
    for synonyms in _TYPE_SYNONYMS:
        for cue in synonyms:
            if cue in question:
                same.append(question.replace(cue, next(s for s in synonyms if s != cue), 1))
                break
    return same, other
