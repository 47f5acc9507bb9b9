"""The dialogue engine and the scenarios registered with it.

`engine` runs turns and events; `base` holds the behaviour registry and `scenarios.registry` the
scenario registry. Each scenario is a package here that registers its behaviours and its
`Scenario` on import; they are imported explicitly below (and this module by
`ScenariosConfig.ready()`), so every behaviour and scenario a flow may name exists once Django is
set up.
"""

from scenarios.dialogue import (  # noqa: F401 - each registers its behaviours and scenario
    app_service,
    branch_hall,
    card_activation,
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
