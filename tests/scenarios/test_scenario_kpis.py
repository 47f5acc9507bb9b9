"""Each scenario declares its KPIs with the funnel events they count; the declarations cannot
drift from what the code records."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from scenarios.dialogue import engine
from scenarios.dialogue.credit_card.kpis import STEP_EXITS
from scenarios.flows import packaged_flows
from scenarios.registry import SCENARIOS, Kpi

ROOT = Path(__file__).resolve().parents[2] / "scenarios"
# Outcomes recorded outside the scenario packages: the engine's, the rating service's
# (scenarios.services) and the application service's (scenarios.applications).
SHARED_SOURCES = [Path(inspect.getfile(engine)), ROOT / "services.py", ROOT / "applications.py"]


def _recorded(code: str) -> str:
    package = Path(inspect.getfile(type(SCENARIOS[code]))).parent
    paths = [*package.rglob("*.py"), *SHARED_SOURCES]
    if package.name == "branch_hall" or package.name == "super_teller":
        paths.append(ROOT / "dialogue" / "locating.py")  # their "unsure"
    return "\n".join(path.read_text(encoding="utf-8") for path in paths)


@pytest.mark.parametrize("code", sorted(SCENARIOS))
def test_every_scenario_declares_named_kpis(code: str) -> None:
    kpis = SCENARIOS[code].kpis
    assert kpis
    assert len({kpi.code for kpi in kpis}) == len(kpis)
    assert all(kpi.name and kpi.definition and kpi.counts for kpi in kpis)


@pytest.mark.parametrize("code", sorted(SCENARIOS))
def test_every_event_a_kpi_counts_is_one_the_scenario_records(code: str) -> None:
    source = _recorded(code)
    for kpi in SCENARIOS[code].kpis:
        for outcome in {*kpi.counts, *kpi.of}:
            assert f'"{outcome}"' in source, (code, kpi.code, outcome)


@pytest.mark.parametrize("code", sorted(SCENARIOS))
def test_every_step_a_kpi_names_is_in_the_scenarios_flows(code: str) -> None:
    steps = {
        step["behaviour"] or step["kind"] for flow in packaged_flows(code) for step in flow["steps"]
    }
    for kpi in SCENARIOS[code].kpis:
        assert set(kpi.steps) <= steps, (code, kpi.code)


def test_the_funnel_reports_drop_off_steps_come_from_the_declaration() -> None:
    assert {
        "documents": ("application_documents", {"precheck_passed"}),
        "value_added_services": ("value_added_services", {"services_chosen", "services_skipped"}),
        "risk_disclosure": ("risk_disclosure", {"disclosure_acknowledged"}),
    } == STEP_EXITS


def test_a_kpi_with_an_unknown_measure_or_a_mean_of_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown measure"):
        Kpi("x", "X", "x", counts=("entered",), measure="sum")
    with pytest.raises(ValueError, match="needs the field"):
        Kpi("x", "X", "x", counts=("rated",), measure="mean")
