"""The pieces every scenario builds on: the turn result, step behaviours and their registry.

A flow is data (`Flow` / `FlowStep` rows, editable in the admin). What a step *does* is code: a
`StepBehaviour` registered under a name. A step names its behaviour in `FlowStep.behaviour`;
left blank, the generic behaviour of its kind runs (ask, confirm, end...). A `Scenario`
(`scenarios.registry`, registered under `Flow.scenario`) says how slots are read from free text
and what happens when they change, and declares its flows, KPIs and texts. Each scenario package
(`scenarios/dialogue/<scenario>/`) registers its behaviours and its scenario; the engine never
names a scenario.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from scenarios.models import DialogueSession, FlowStep

# The scenario registry lives in scenarios.registry (models and forms validate against it
# without importing the engine); re-exported here for the behaviours and the engine.
from scenarios.registry import SCENARIOS, Scenario, register_scenario, scenario_for

__all__ = [
    "BEHAVIOURS",
    "SCENARIOS",
    "DeltaSink",
    "DialogueError",
    "Scenario",
    "StepBehaviour",
    "TurnResult",
    "behaviour_choices",
    "behaviour_for",
    "register_behaviour",
    "register_scenario",
    "scenario_for",
]

if TYPE_CHECKING:
    from scenarios.dialogue.engine import StepContext

DeltaSink = Callable[[str], None]


class DialogueError(Exception):
    """A request the session cannot take now (ended session, empty turn, step out of order)."""


class StaleStep(DialogueError):
    """A turn or event meant for a step the session has left: refused, the session unchanged."""

    def __init__(self, message: str, *, current: str) -> None:
        super().__init__(message)
        self.current = current


class EventRefused(DialogueError):
    """The current step does not take this event: refused, the session unchanged."""


@dataclass
class TurnResult:
    reply: str
    step: str
    actions: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    status: str = DialogueSession.Status.ACTIVE
    intent: str | None = None
    sentiment: str = ""
    # False for text the AI core generated already; flow replies may be reworded by the LLM.
    rephrase: bool = True


class StepBehaviour:
    """What one kind of step does on arrival, on a customer turn and on a device event.

    `respond` returns None when the turn is not an answer to the step: the engine then treats
    it as a side question, answers it from knowledge and asks the step's question again.
    `on_event` handles a device's UI event (a confirmed guide step, a submitted form); None
    means the step does not take that event.
    """

    name: ClassVar[str] = ""

    def arrive(self, ctx: StepContext) -> TurnResult:
        return ctx.say(ctx.step.prompt(ctx.language))

    def respond(self, ctx: StepContext, text: str, found: dict[str, Any]) -> TurnResult | None:
        return None

    def on_event(self, ctx: StepContext, name: str, data: dict[str, Any]) -> TurnResult | None:
        return None

    def prompt_again(self, ctx: StepContext) -> str:
        """What the step asks again after a side question."""
        return ctx.step.prompt(ctx.language)

    def resume(self, ctx: StepContext) -> TurnResult:
        """What the step says when the customer comes back to it after another topic."""
        return ctx.say(self.prompt_again(ctx))


BEHAVIOURS: dict[str, StepBehaviour] = {}


def register_behaviour(cls: type[StepBehaviour]) -> type[StepBehaviour]:
    if not cls.name:
        raise ValueError(f"{cls.__name__} needs a name")
    if cls.name in BEHAVIOURS and type(BEHAVIOURS[cls.name]) is not cls:
        raise ValueError(f"behaviour {cls.name!r} is registered twice")
    BEHAVIOURS[cls.name] = cls()
    return cls


def behaviour_for(step: FlowStep) -> StepBehaviour:
    name = step.behaviour or step.kind
    try:
        return BEHAVIOURS[name]
    except KeyError:
        raise DialogueError(f"step {step} names an unknown behaviour {name!r}") from None


def behaviour_choices() -> list[tuple[str, str]]:
    """For the admin: every registered behaviour name."""
    return sorted((name, name) for name in BEHAVIOURS)
