"""The one "locate, offer numbered options, pick" component the branch hall, the super teller and
the app service configure (`scenarios.dialogue.locating`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from scenarios.dialogue.base import TurnResult
from scenarios.dialogue.locating import (
    Located,
    LocateStep,
    Option,
    Scored,
    numbered,
    picked,
)

OPEN = Option("open", "开户", names=("开户", "Open an account"))
LOST = Option("lost", "挂失", names=("挂失", "Report a lost card"))
CASH = Option("cash", "存取现金", names=("存取现金", "Cash"))
OFFERED = [OPEN, LOST, CASH]


@pytest.mark.parametrize(
    ("text", "option"),
    [
        ("挂失", LOST),
        ("I want to open an account", OPEN),
        ("第二个", LOST),
        ("三号", CASH),
        ("the second one", LOST),
        ("2nd", LOST),
        ("number two", LOST),
        ("#3", CASH),
        ("1", OPEN),
        ("两", LOST),
    ],
)
def test_it_picks_an_offered_option_by_name_number_or_ordinal(text: str, option: Option) -> None:
    assert picked(text, OFFERED) == option


@pytest.mark.parametrize("text", ["第五个", "#4", "换外币", "hello"])
def test_it_picks_nothing_the_customer_did_not_name(text: str) -> None:
    assert picked(text, OFFERED) is None


def test_options_are_numbered_in_the_customers_language() -> None:
    assert numbered(["开户", "挂失"], "zh-hans") == "1. 开户；2. 挂失"
    assert numbered(["Open", "Lost card"], "en") == "1. Open; 2. Lost card"


@dataclass
class FakeSession:
    memory: dict[str, Any] = field(default_factory=dict)


@dataclass
class FakeStep:
    config: dict[str, Any]
    code: str = "locate"


@dataclass
class FakeContext:
    """What LocateStep uses of a StepContext, without a database."""

    language: str
    step: FakeStep
    session: FakeSession = field(default_factory=FakeSession)
    funnel_events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def funnel(self, outcome: str, detail: dict[str, Any] | None = None, step: str = "") -> None:
        self.funnel_events.append((outcome, detail or {}))

    def say(self, reply: str, **extra: Any) -> TurnResult:
        return TurnResult(reply=reply, step=self.step.code, **extra)


class Counter(LocateStep):
    """A scenario's configuration: its options, its scores, what choosing does."""

    name = "test_counter"
    offered_memory = "offered_counters"
    choose_event = "choose_counter"
    option_field = "counter"

    def __init__(self, located: Located) -> None:
        self.located = located

    def options(self, ctx: Any) -> list[Option]:
        return OFFERED

    def match(self, ctx: Any, text: str, options: list[Option]) -> Located:
        return self.located

    def chosen(self, ctx: Any, option: Option, detail: dict[str, Any]) -> TurnResult:
        ctx.funnel("chosen", {"key": option.key, **detail})
        return ctx.say(f"chose {option.key}")


def _context(language: str = "zh-hans") -> FakeContext:
    return FakeContext(
        language=language,
        step=FakeStep(
            config={"unsure": {"zh-hans": "是哪一项？{options}", "en": "Which? {options}"}}
        ),
    )


def test_a_confident_match_is_chosen_without_asking() -> None:
    ctx = _context()
    step = Counter(Located((Scored(LOST, 0.9), Scored(OPEN, 0.2)), confident=True))
    assert step.respond(ctx, "卡丢了", {}).reply == "chose lost"
    assert ctx.funnel_events == [("chosen", {"key": "lost", "score": 0.9})]


def test_an_unsure_match_offers_the_top_options_numbered_and_a_number_picks_one() -> None:
    ctx = _context("en")
    step = Counter(Located((Scored(CASH, 0.5), Scored(LOST, 0.45)), confident=False))
    offer = step.respond(ctx, "my card", {})
    assert offer.reply == "Which? 1. 存取现金; 2. 挂失"
    assert offer.actions == [
        {
            "type": "show_options",
            "event": "choose_counter",
            "options": [
                {"counter": "cash", "label": "存取现金"},
                {"counter": "lost", "label": "挂失"},
            ],
        }
    ]
    assert ctx.session.memory["offered_counters"] == ["cash", "lost"]
    assert step.respond(ctx, "the second one", {}).reply == "chose lost"
    assert "offered_counters" not in ctx.session.memory
    assert ctx.funnel_events[-1] == ("chosen", {"key": "lost", "by": "option"})


def test_nothing_matched_offers_the_first_options_unless_it_was_a_question() -> None:
    step = Counter(Located((), confident=False))
    assert step.respond(_context(), "怎么开户？", {}) is None
    offer = step.respond(_context(), "嗯嗯", {})
    assert [o["counter"] for o in offer.actions[0]["options"]] == ["open", "lost", "cash"]


def test_a_tap_on_an_offered_option_chooses_it_and_an_unknown_one_is_refused() -> None:
    step = Counter(Located((), confident=False))
    assert step.on_event(_context(), "choose_counter", {"counter": "cash"}).reply == "chose cash"
    assert step.on_event(_context(), "choose_counter", {"counter": "nope"}) is None
    assert step.on_event(_context(), "something_else", {"counter": "cash"}) is None
