"""The one registry of scenarios: what `Flow.scenario` may name.

A scenario is a package under `scenarios/dialogue/<scenario>/` holding its behaviours, its texts,
its flows as data (`flows.json`, loaded by migrations' successors, `flow_sync` and the tests) and
the declaration of its KPIs. The package's `__init__` registers one `Scenario` subclass per code
with `@register_scenario`; `scenarios.dialogue` imports every package explicitly and
`ScenariosConfig.ready()` imports `scenarios.dialogue`, so the registry is complete once Django
is set up (no scanning of modules).

This module imports no models and no dialogue code, so models, admin forms and services can
validate a scenario code against it without an import cycle.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.utils.functional import Promise

    from scenarios.dialogue.base import TurnResult
    from scenarios.dialogue.engine import StepContext


@dataclass(frozen=True)
class Kpi:
    """A KPI a scenario declares: what it measures and which funnel events it counts.

    The analytics dashboards compute it from `FunnelEvent` rows of the scenario: `counts` are
    the outcomes whose sessions make the numerator; `of` the outcomes whose sessions make the
    denominator (empty: every session of the scenario with an event). `steps` names step
    behaviours (or the kind, for a step that runs its kind's own behaviour; not step codes,
    which editors may rename) when only events at those steps count. `measure` says how it
    aggregates: a ratio of sessions, a drop-off (1 − ratio), a mean/median of a detail field
    (`field`, or "turn_number"), or a count of events.
    """

    code: str
    name: str | Promise
    definition: str | Promise
    counts: tuple[str, ...]
    of: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    measure: str = "ratio"  # ratio | drop_off | mean | median | count
    field: str = ""  # for mean/median: the event detail (or "turn_number") aggregated

    MEASURES: ClassVar[frozenset[str]] = frozenset({"ratio", "drop_off", "mean", "median", "count"})

    def __post_init__(self) -> None:
        if self.measure not in self.MEASURES:
            raise ValueError(f"KPI {self.code!r}: unknown measure {self.measure!r}")
        if self.measure in {"mean", "median"} and not self.field:
            raise ValueError(f"KPI {self.code!r}: a {self.measure} needs the field it aggregates")


class Scenario:
    """One scenario: its code (`Flow.scenario`), name, flows, KPIs and texts, and how its
    sessions read slots from free text and react when they change.

    Subclasses set the class attributes; `extract_slots` / `slots_changed` are the hooks the
    engine calls on every customer turn of a flow of this scenario.
    """

    code: ClassVar[str] = ""
    name: ClassVar[str | Promise] = ""
    # The package's flows as data: a JSON list of flows (see `FLOW_KEYS`), shared by all
    # scenarios of a package and filtered by each flow's "scenario".
    flow_file: ClassVar[Path | None] = None
    kpis: ClassVar[tuple[Kpi, ...]] = ()
    # Customer-facing texts the behaviours say that are not part of a flow's steps (those are
    # in the flow data): {key: {"zh-hans": ..., "en": ...}}, kept in the behaviour modules.
    texts: ClassVar[Mapping[str, Mapping[str, str]]] = {}

    def extract_slots(self, text: str, ctx: StepContext) -> dict[str, Any]:
        return {}

    def slots_changed(self, ctx: StepContext, before: dict[str, Any]) -> TurnResult | None:
        """A turn changed the slots; return a result to take over the turn (e.g. re-recommend)."""
        return None

    def flows(self) -> list[dict[str, Any]]:
        """This scenario's flow definitions, as shipped with its package."""
        if self.flow_file is None:
            return []
        return [flow for flow in _load_flows(self.flow_file) if flow["scenario"] == self.code]


FLOW_KEYS = frozenset({"code", "scenario", "name_zh", "name_en", "triggers", "requires_customer"})
STEP_KEYS = frozenset(
    {
        "code",
        "kind",
        "behaviour",
        "slots",
        "optional",
        "next_step",
        "prompt_zh",
        "prompt_en",
        "config",
    }
)


@cache
def _load_flows(path: Path) -> list[dict[str, Any]]:
    flows = json.loads(path.read_text(encoding="utf-8"))
    for flow in flows:
        if not set(flow) - {"steps"} <= FLOW_KEYS or "code" not in flow or "scenario" not in flow:
            raise ValueError(f"{path}: flow {flow.get('code')!r} has unknown or missing keys")
        for step in flow.get("steps", []):
            if not set(step) <= STEP_KEYS or "code" not in step or "kind" not in step:
                raise ValueError(f"{path}: step {step.get('code')!r} has unknown or missing keys")
    return flows


SCENARIOS: dict[str, Scenario] = {}
_DEFAULT_SCENARIO = Scenario()


def register_scenario(cls: type[Scenario]) -> type[Scenario]:
    if not cls.code:
        raise ValueError(f"{cls.__name__} needs a code")
    if cls.code in SCENARIOS and type(SCENARIOS[cls.code]) is not cls:
        raise ValueError(f"scenario {cls.code!r} is registered twice")
    SCENARIOS[cls.code] = cls()
    return cls


def scenario_for(code: str) -> Scenario:
    """The scenario of a flow; a code no package registers runs without slots (the engine
    never fails a live session over it: `Flow.clean()` and `flow_sync` refuse such codes)."""
    return SCENARIOS.get(code, _DEFAULT_SCENARIO)


def scenario_codes() -> list[str]:
    return sorted(SCENARIOS)


def scenario_choices() -> list[tuple[str, str]]:
    """For forms: every registered scenario, "code — name"."""
    return [
        (code, f"{code} — {SCENARIOS[code].name}" if SCENARIOS[code].name else code)
        for code in scenario_codes()
    ]


def validate_scenario(code: str) -> None:
    """Raise a ValidationError naming the known scenarios unless `code` is registered."""
    if code not in SCENARIOS:
        raise ValidationError(
            _("Unknown scenario %(code)r; registered scenarios: %(codes)s."),
            code="unknown_scenario",
            params={"code": code, "codes": ", ".join(scenario_codes()) or "—"},
        )
