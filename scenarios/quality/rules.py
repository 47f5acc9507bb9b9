"""The rule checks of the rubric: pure functions of a transcript and a few session facts.

Each check returns the `Check`s of one criterion: one per offending turn when the fault is in a
turn (a forbidden promise, a rude reply), else one for the whole conversation. A criterion that
does not apply (no wealth topic, no identity needed) returns nothing and is left out of the score.
Phrases are matched case-insensitively on the masked text the transcript stores.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bank_ai.ai.sentiment import analyse_sentiment

STAFF_ROLES = frozenset({"assistant", "agent"})


@dataclass(frozen=True)
class TranscriptTurn:
    seq: int
    role: str  # customer | assistant | agent
    text: str
    at: datetime
    agent: str = ""


@dataclass(frozen=True)
class Conversation:
    """What the rules see of a session (built by services.py from the database)."""

    scenario: str
    status: str  # the session's status when scored
    turns: tuple[TranscriptTurn, ...]
    customer_identified: bool = False
    requires_customer: bool = False
    disclosure_acknowledged: bool = False
    rating: int | None = None
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def staff_turns(self) -> list[TranscriptTurn]:
        return [t for t in self.turns if t.role in STAFF_ROLES]

    @property
    def customer_turns(self) -> list[TranscriptTurn]:
        # Device events ("[confirm]") are taps, not words.
        return [t for t in self.turns if t.role == "customer" and not _is_event(t.text)]

    @property
    def handling_seconds(self) -> int:
        if not self.turns:
            return 0
        return max(0, int((self.turns[-1].at - self.turns[0].at).total_seconds()))


@dataclass(frozen=True)
class Check:
    passed: bool
    note: str
    turn: TranscriptTurn | None = None
    source: str = "rule"  # rule | llm


def _is_event(text: str) -> bool:
    return text.startswith("[") and text.endswith("]")


def _phrases(parameters: dict[str, Any], key: str, default: Iterable[str]) -> list[str]:
    value = parameters.get(key, default)
    if isinstance(value, str):
        value = [value]
    return [str(p).strip().lower() for p in value if str(p).strip()]


def _find(text: str, phrases: list[str]) -> str | None:
    lowered = text.lower()
    for phrase in phrases:
        if _contains(lowered, phrase):
            return phrase
    return None


def _contains(lowered: str, phrase: str) -> bool:
    if phrase.isascii() and phrase[:1].isalnum():
        # "hi" must not match "this": whole words for Latin phrases.
        return re.search(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])", lowered) is not None
    return phrase in lowered


# ----------------------------------------------------------------------------- checks

DEFAULT_GREETINGS = (
    "您好",
    "你好",
    "欢迎",
    "早上好",
    "下午好",
    "晚上好",
    "hello",
    "hi",
    "welcome",
    "good morning",
    "good afternoon",
    "good evening",
)


def check_greeting(conv: Conversation, parameters: dict[str, Any]) -> list[Check]:
    """The first staff turn greets; so does each agent's first turn after a takeover."""
    greetings = _phrases(parameters, "phrases", DEFAULT_GREETINGS)
    first_of: dict[str, TranscriptTurn] = {}
    for turn in conv.staff_turns:
        key = f"agent:{turn.agent}" if turn.role == "agent" else "bot"
        first_of.setdefault(key, turn)
    if not first_of:
        return [Check(False, "no staff turn at all")]
    checks = []
    for turn in first_of.values():
        if _find(turn.text, greetings):
            checks.append(Check(True, "greeted", turn))
        else:
            checks.append(Check(False, "the first reply does not greet the customer", turn))
    return checks


DEFAULT_VERIFICATION = (
    "核实身份",
    "验证身份",
    "身份验证",
    "身份证后",
    "验证码",
    "verify your identity",
    "verification code",
    "confirm your identity",
)


def check_identity(conv: Conversation, parameters: dict[str, Any]) -> list[Check]:
    """Where the scenario needs a known customer, the channel identified them or staff verified."""
    required = set(parameters.get("required_scenarios", []))
    if not (conv.requires_customer or conv.scenario in required):
        return []
    if conv.customer_identified:
        return [Check(True, "the customer was identified by the channel")]
    phrases = _phrases(parameters, "phrases", DEFAULT_VERIFICATION)
    for turn in conv.staff_turns:
        if _find(turn.text, phrases):
            return [Check(True, "staff asked the customer to verify their identity", turn)]
    return [Check(False, "the scenario needs identity verification and none took place")]


DEFAULT_WEALTH_TOPICS = (
    "理财",
    "基金",
    "投资",
    "收益率",
    "年化",
    "股票",
    "保险",
    "wealth",
    "investment",
    "invest",
    "fund",
    "yield",
    "stocks",
)
DEFAULT_DISCLOSURES = ("风险", "不保本", "谨慎", "risk", "not guaranteed", "may lose")


def check_risk_disclosure(conv: Conversation, parameters: dict[str, Any]) -> list[Check]:
    """A conversation about wealth or investment products carries a risk disclosure."""
    topics = _phrases(parameters, "topic_phrases", DEFAULT_WEALTH_TOPICS)
    topic_turn = next((t for t in conv.turns if _find(t.text, topics)), None)
    if topic_turn is None:
        return []
    if conv.disclosure_acknowledged:
        return [Check(True, "the customer acknowledged a disclosure")]
    disclosures = _phrases(parameters, "disclosure_phrases", DEFAULT_DISCLOSURES)
    for turn in conv.staff_turns:
        if turn.seq >= topic_turn.seq and _find(turn.text, disclosures):
            return [Check(True, "risk disclosed", turn)]
    return [Check(False, "a wealth topic came up and no risk was disclosed", topic_turn)]


DEFAULT_FORBIDDEN = (
    "保本保收益",
    "保证收益",
    "稳赚不赔",
    "稳赚",
    "零风险",
    "没有任何风险",
    "肯定赚",
    "guaranteed return",
    "guaranteed returns",
    "guaranteed profit",
    "risk-free",
    "no risk at all",
    "can't lose",
)
DEFAULT_NEGATIONS = ("不", "无法", "不能", "没有", "并非", "not ", "no ", "never ", "cannot ")


def check_forbidden_promises(conv: Conversation, parameters: dict[str, Any]) -> list[Check]:
    """No staff turn promises returns; "不能保证收益" (a denial) is not a promise."""
    phrases = _phrases(parameters, "phrases", DEFAULT_FORBIDDEN)
    negations = [n.lower() for n in parameters.get("negations", DEFAULT_NEGATIONS)]
    failures = []
    for turn in conv.staff_turns:
        lowered = turn.text.lower()
        for phrase in phrases:
            at = lowered.find(phrase)
            while at >= 0:
                before = lowered[max(0, at - 8) : at]
                if not any(before.rstrip().endswith(n.strip()) for n in negations):
                    failures.append(Check(False, f"forbidden promise: “{phrase}”", turn))
                    break
                at = lowered.find(phrase, at + 1)
            if failures and failures[-1].turn is turn:
                break
    return failures or [Check(True, "no forbidden promise")]


DEFAULT_IMPOLITE = (
    "你自己看",
    "自己看去",
    "我也不知道",
    "随便",
    "闭嘴",
    "废话",
    "烦不烦",
    "听不懂吗",
    "爱办不办",
    "shut up",
    "whatever",
    "stupid",
    "not my problem",
    "i don't know",
)
DEFAULT_COURTESY = ("请", "您", "谢谢", "抱歉", "不好意思", "please", "thank", "sorry")


def check_politeness(conv: Conversation, parameters: dict[str, Any]) -> list[Check]:
    """No rude phrase from staff, and a person handling the customer uses courtesy words."""
    impolite = _phrases(parameters, "impolite_phrases", DEFAULT_IMPOLITE)
    courtesy = _phrases(parameters, "courtesy_phrases", DEFAULT_COURTESY)
    failures = [
        Check(False, f"impolite: “{phrase}”", turn)
        for turn in conv.staff_turns
        if (phrase := _find(turn.text, impolite))
    ]
    agent_turns = [t for t in conv.staff_turns if t.role == "agent"]
    if agent_turns and not any(_find(t.text, courtesy) for t in agent_turns):
        failures.append(Check(False, "the agent never used a courtesy word", agent_turns[0]))
    return failures or [Check(True, "polite")]


def check_end_sentiment(conv: Conversation, parameters: dict[str, Any]) -> list[Check]:
    """The customer's last words are not negative (bank_ai.ai.sentiment)."""
    turns = conv.customer_turns
    if not turns:
        return []
    last = turns[-1]
    sentiment = analyse_sentiment(last.text)
    failing = set(parameters.get("failing_labels", ["negative"]))
    if sentiment.label in failing or sentiment.is_angry:
        return [Check(False, f"the customer ended {sentiment.label}", last)]
    return [Check(True, f"the customer ended {sentiment.label}", last)]


def check_resolution(conv: Conversation, parameters: dict[str, Any]) -> list[Check]:
    """Completed, and when rated, rated at least `min_rating` (default 3)."""
    min_rating = int(parameters.get("min_rating", 3))
    if conv.status != "completed":
        return [Check(False, f"not resolved: the conversation is {conv.status}")]
    if conv.rating is not None and conv.rating < min_rating:
        return [Check(False, f"completed but rated {conv.rating}/5")]
    return [Check(True, "completed")]


def check_handling_time(conv: Conversation, parameters: dict[str, Any]) -> list[Check]:
    """Handled within `max_seconds` (per scenario in `max_seconds_by_scenario`, default 600)."""
    by_scenario = parameters.get("max_seconds_by_scenario", {}) or {}
    limit = int(by_scenario.get(conv.scenario, parameters.get("max_seconds", 600)))
    seconds = conv.handling_seconds
    if seconds > limit:
        return [Check(False, f"handled in {seconds}s, over the {limit}s limit")]
    return [Check(True, f"handled in {seconds}s")]


RULES: dict[str, Callable[[Conversation, dict[str, Any]], list[Check]]] = {
    "greeting": check_greeting,
    "identity_verification": check_identity,
    "risk_disclosure": check_risk_disclosure,
    "forbidden_promises": check_forbidden_promises,
    "politeness": check_politeness,
    "end_sentiment": check_end_sentiment,
    "resolution": check_resolution,
    "handling_time": check_handling_time,
}


def score(results: dict[str, tuple[int, list[Check]]]) -> tuple[float, int]:
    """(score 0–100, failed criteria) from {criterion: (weight, checks)}; empty checks = n/a."""
    total = 0
    earned = 0
    failed = 0
    for weight, checks in results.values():
        if not checks:
            continue
        total += weight
        if all(c.passed for c in checks):
            earned += weight
        else:
            failed += 1
    if total == 0:
        return 100.0, 0
    return round(100.0 * earned / total, 1), failed
