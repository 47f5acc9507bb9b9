"""Flows as data that ships with its scenario package, and the database kept in step with it.

Each scenario package holds its flows in `flows.json` (`Scenario.flow_file`): the flows, their
steps, prompts and step settings exactly as the `Flow` / `FlowStep` rows hold them. The data
migrations that first created them stay as they were (migrations are history); from here on
`flow_sync` creates what a package ships and the database lacks (the demo seed runs it), and
`sync_flows --export` writes flows edited in the admin back into their package.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from scenarios.models import Flow, FlowStep
from scenarios.registry import SCENARIOS, scenario_codes, validate_scenario

FLOW_FIELDS = ("code", "scenario", "name_zh", "name_en", "triggers", "requires_customer")
STEP_FIELDS = (
    "code",
    "kind",
    "behaviour",
    "slots",
    "optional",
    "next_step",
    "prompt_zh",
    "prompt_en",
    "config",
)
STEP_DEFAULTS: dict[str, Any] = {
    "behaviour": "",
    "slots": [],
    "optional": False,
    "next_step": "",
    "config": {},
}
FLOW_DEFAULTS: dict[str, Any] = {"triggers": {}, "requires_customer": False}


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    # Different in the database (edited in the admin) and left as it is.
    kept: list[str] = field(default_factory=list)


def flow_as_data(flow: Flow) -> dict[str, Any]:
    """A flow and its steps (in position order) as the packages' flows.json holds them."""
    data = {name: getattr(flow, name) for name in FLOW_FIELDS}
    data["steps"] = [
        {name: getattr(step, name) for name in STEP_FIELDS}
        for step in flow.steps.order_by("position")
    ]
    return data


def packaged_flows(scenario: str | None = None) -> list[dict[str, Any]]:
    """The flows the scenario packages ship (of one scenario, or all), with defaults filled."""
    if scenario is not None:
        validate_scenario(scenario)
    codes = [scenario] if scenario is not None else scenario_codes()
    flows = []
    for code in codes:
        for flow in SCENARIOS[code].flows():
            steps = [{**STEP_DEFAULTS, **step} for step in flow.get("steps", [])]
            flows.append({**FLOW_DEFAULTS, **flow, "steps": steps})
    return flows


def _check(definition: dict[str, Any]) -> None:
    """A packaged flow that could not run: an unknown scenario, repeated or missing steps."""
    validate_scenario(definition["scenario"])
    codes = [step["code"] for step in definition["steps"]]
    if not codes:
        raise ValidationError(f"flow {definition['code']!r} has no steps")
    if len(set(codes)) != len(codes):
        raise ValidationError(f"flow {definition['code']!r} repeats a step code")
    kinds = set(FlowStep.Kind.values)
    for step in definition["steps"]:
        if step["kind"] not in kinds:
            raise ValidationError(f"step {step['code']!r} has an unknown kind {step['kind']!r}")
        if step["next_step"] and step["next_step"] not in codes:
            raise ValidationError(f"step {step['code']!r} goes to a missing step")


@transaction.atomic
def flow_sync(*, scenario: str | None = None, replace: bool = False) -> SyncReport:
    """Create every packaged flow the database lacks. A flow that differs from its package was
    edited by an operator and is kept, unless `replace` (then its steps are rewritten; the
    sessions that ran it stay attached to it)."""
    report = SyncReport()
    definitions = packaged_flows(scenario)
    for definition in definitions:
        _check(definition)
    for definition in definitions:
        code = definition["code"]
        flow = Flow.objects.select_for_update().filter(code=code).first()
        if flow is not None and flow_as_data(flow) == definition:
            report.unchanged.append(code)
            continue
        if flow is not None and not replace:
            report.kept.append(code)
            continue
        values = {name: definition[name] for name in FLOW_FIELDS if name != "code"}
        if flow is None:
            flow = Flow.objects.create(code=code, **values)
            report.created.append(code)
        else:
            Flow.objects.filter(pk=flow.pk).update(**values)
            flow.steps.all().delete()
            report.replaced.append(code)
        FlowStep.objects.bulk_create(
            FlowStep(flow=flow, position=position, **{name: step[name] for name in STEP_FIELDS})
            for position, step in enumerate(definition["steps"], start=1)
        )
    return report


def flows_export(*, scenario: str | None = None) -> list[Path]:
    """Write the flows as the database holds them into their packages' flows.json (for a
    developer who edited a flow in the admin and wants it shipped). Returns the files written."""
    if scenario is not None:
        validate_scenario(scenario)
    by_file: dict[Path, list[str]] = {}
    for code in [scenario] if scenario else scenario_codes():
        flow_file = SCENARIOS[code].flow_file
        if flow_file is not None:
            by_file.setdefault(flow_file, []).append(code)
    written = []
    for path, codes in by_file.items():
        flows = [
            flow_as_data(flow)
            for flow in Flow.objects.filter(scenario__in=codes).order_by("scenario", "code")
        ]
        if scenario is not None and path.exists():
            # One scenario of a shared file: keep the others as the file has them.
            others = [f for f in json.loads(path.read_text("utf-8")) if f["scenario"] != scenario]
            flows = sorted([*others, *flows], key=lambda f: (f["scenario"], f["code"]))
        path.write_text(json.dumps(flows, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written
