"""The dialogue engine and the scenarios registered with it.

`engine` runs turns and events; `base` holds the registries; each scenario module registers its
step behaviours on import (imported here so that every behaviour a flow may name exists).
"""

from scenarios.dialogue import (  # noqa: F401 - each registers its behaviours
    app_service,
    branch_hall,
    card_activation,
    card_application,
    card_use,
    credit_card,
    super_teller,
)
from scenarios.dialogue.base import (
    BEHAVIOURS,
    SCENARIOS,
    DialogueError,
    EventRefused,
    Scenario,
    StaleStep,
    StepBehaviour,
    TurnResult,
    behaviour_choices,
    register_behaviour,
    register_scenario,
)
from scenarios.dialogue.engine import (
    MAX_TURN_CHARS,
    StepContext,
    record_funnel,
    session_event,
    session_start,
    session_turn,
    session_turn_lock,
)

__all__ = [
    "BEHAVIOURS",
    "MAX_TURN_CHARS",
    "SCENARIOS",
    "DialogueError",
    "EventRefused",
    "Scenario",
    "StaleStep",
    "StepBehaviour",
    "StepContext",
    "TurnResult",
    "behaviour_choices",
    "record_funnel",
    "register_behaviour",
    "register_scenario",
    "session_event",
    "session_start",
    "session_turn",
    "session_turn_lock",
]
