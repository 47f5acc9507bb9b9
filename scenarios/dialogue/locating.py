"""Locate what the customer means, offer numbered options when unsure, let them pick one.

The one implementation behind the branch hall (which service type?), the super teller (which
self-service guide?) and the app service (which business module or knowledge page?). A scenario
configures it with its candidates (`options`), how they are scored (`match`: by default the AI
core's keywords + intents + embeddings matcher), its texts (flow step config) and what choosing
means (`chosen`). The customer picks an offered option by name, by number or ordinal in Chinese
or English ("第二个", "三号", "the second", "2nd", "#3"; `bank_ai.ai.text.ordinal`) or by a tap.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from bank_ai.ai.need_matching import NeedOption, match_need
from bank_ai.ai.text import ordinal
from bank_ai.i18n import pick as pick_language
from scenarios.dialogue.base import StepBehaviour, TurnResult
from scenarios.dialogue.engine import QUESTION, StepContext

# Questions about how something works or what to bring: answered from knowledge, not located
# ("开户要带什么？" names a service but asks about it).
PROCESS_QUESTION = re.compile(
    r"带什么|材料|证件|流程|手续|怎么办理|如何办理|需要什么|要多久|多长时间|几天|"
    r"what (do|should) i (need|bring)|documents?|how (does|do|long)|process|procedure",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Option:
    """One thing the customer may mean. `names` are matched when the customer picks by name
    (and by the matcher, with `keywords` and `intents`); `value` is the scenario's object."""

    key: str
    label: str
    names: tuple[str, ...] = ()
    keywords: dict[str, list[str]] = field(default_factory=dict)
    intents: tuple[str, ...] = ()
    value: Any = None


@dataclass(frozen=True)
class Scored:
    option: Option
    score: float


@dataclass(frozen=True)
class Located:
    """Candidates best first; `confident` when the best one may be taken without asking."""

    candidates: tuple[Scored, ...]
    confident: bool

    @property
    def best(self) -> Scored | None:
        return self.candidates[0] if self.candidates else None

    def top(self, limit: int) -> list[Option]:
        return [scored.option for scored in self.candidates[:limit]]


def match_options(text: str, options: Sequence[Option]) -> Located:
    """Keywords, intents and embeddings (`bank_ai.ai.need_matching`), best first."""
    by_key = {option.key: option for option in options}
    match = match_need(
        text,
        [
            NeedOption(
                key=option.key,
                names=option.names,
                keywords=option.keywords,
                intents=option.intents,
                value=option,
            )
            for option in options
        ],
    )
    return Located(
        candidates=tuple(
            Scored(by_key[candidate.option.key], candidate.score) for candidate in match.candidates
        ),
        confident=match.confident,
    )


def numbered(labels: Sequence[str], language: str) -> str:
    """ "1. 开户；2. 挂失" / "1. Open an account; 2. Lost card"."""
    separator = "；" if language == "zh-hans" else "; "
    return separator.join(f"{n}. {label}" for n, label in enumerate(labels, start=1))


def picked(text: str, offered: Sequence[Option]) -> Option | None:
    """The offered option the customer picked by name, or else by its number or ordinal."""
    lowered = text.lower()
    for option in offered:
        if any(name and name.lower() in lowered for name in option.names):
            return option
    position = ordinal(text, len(offered))
    return offered[position - 1] if position else None


def step_text(ctx: StepContext, key: str, **values: Any) -> str:
    """A text of the current step's config (`{"zh-hans": ..., "en": ...}`), placeholders filled."""
    text = pick_language(ctx.step.config.get(key), ctx.language, "")
    for name, value in values.items():
        text = text.replace("{" + name + "}", str(value))
    return text


class LocateStep(StepBehaviour):
    """A step that works out which option the customer means.

    A turn first picks among options offered before (by name, number or ordinal); otherwise it
    is matched: a confident match is chosen, an unsure one offers the top `max_offered`
    options numbered (the step's `unsure` text with `{options}`, and a `show_options` action
    whose taps send `choose_event` with `{option_field: key}`), and nothing matched is left to
    `not_located` (by default: a question is answered from knowledge, anything else is
    offered the first options). Subclasses say what the options are and what choosing does.
    """

    offered_memory: ClassVar[str] = "offered"  # session memory key of the offered options
    choose_event: ClassVar[str] = "choose"  # the event a tap on an offered option sends
    option_field: ClassVar[str] = "key"  # the option's key in the action and the event data
    max_offered: ClassVar[int] = 3
    # Nothing matched: how many options are offered (None: all of them).
    max_offered_unmatched: ClassVar[int | None] = 4

    # --- what a scenario configures

    def options(self, ctx: StepContext) -> list[Option]:
        raise NotImplementedError

    def match(self, ctx: StepContext, text: str, options: list[Option]) -> Located:
        return match_options(text, options)

    def chosen(self, ctx: StepContext, option: Option, detail: dict[str, Any]) -> TurnResult:
        """The customer's choice is settled: record it and move on."""
        raise NotImplementedError

    def not_located(self, ctx: StepContext, text: str, options: list[Option]) -> TurnResult | None:
        if QUESTION.search(text):
            return None  # answered from knowledge, then the step's question again
        return self.offer(ctx, options[: self.max_offered_unmatched])

    # --- the shared conversation

    def respond(self, ctx: StepContext, text: str, found: dict[str, Any]) -> TurnResult | None:
        options = self.options(ctx)
        result = self.pick_offered(ctx, text, options)
        if result is not None:
            return result
        return self.decide(ctx, text, options, self.match(ctx, text, options))

    def pick_offered(self, ctx: StepContext, text: str, options: list[Option]) -> TurnResult | None:
        offered = self.offered(ctx, options)
        choice = picked(text, offered) if offered else None
        return None if choice is None else self.choose(ctx, choice, {"by": "option"})

    def decide(
        self, ctx: StepContext, text: str, options: list[Option], located: Located
    ) -> TurnResult | None:
        if located.confident and located.best is not None:
            return self.choose(ctx, located.best.option, {"score": located.best.score})
        if not located.candidates:
            return self.not_located(ctx, text, options)
        return self.offer(ctx, located.top(self.max_offered))

    def on_event(self, ctx: StepContext, name: str, data: dict[str, Any]) -> TurnResult | None:
        if name not in {self.choose_event, "tap"}:
            return None
        key = data.get(self.option_field)
        option = next((o for o in self.options(ctx) if o.key == key), None)
        return None if option is None else self.choose(ctx, option, {"by": "tap"})

    def offered(self, ctx: StepContext, options: list[Option]) -> list[Option]:
        by_key = {option.key: option for option in options}
        keys = ctx.session.memory.get(self.offered_memory, [])
        return [by_key[key] for key in keys if key in by_key]

    def offer(self, ctx: StepContext, options: list[Option]) -> TurnResult:
        keys = [option.key for option in options]
        ctx.session.memory[self.offered_memory] = keys
        ctx.funnel("unsure", {"options": keys})
        labels = [option.label for option in options]
        return ctx.say(
            step_text(ctx, "unsure", options=numbered(labels, ctx.language)),
            actions=[
                {
                    "type": "show_options",
                    "event": self.choose_event,
                    "options": [
                        {self.option_field: option.key, "label": option.label} for option in options
                    ],
                }
            ],
        )

    def choose(self, ctx: StepContext, option: Option, detail: dict[str, Any]) -> TurnResult:
        ctx.session.memory.pop(self.offered_memory, None)
        return self.chosen(ctx, option, detail)
