"""Each scenario package ships its flows as data (flows.json); `flow_sync` keeps the database in
step with them without overwriting what operators edited."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from scenarios import flows
from scenarios.dialogue.base import BEHAVIOURS
from scenarios.flows import flow_as_data, flow_sync, packaged_flows
from scenarios.models import Flow, FlowStep

pytestmark = pytest.mark.django_db


def test_the_packages_ship_exactly_the_flows_the_migrations_created() -> None:
    shipped = {flow["code"]: flow for flow in packaged_flows()}
    assert set(shipped) == set(Flow.objects.values_list("code", flat=True))
    for flow in Flow.objects.all():
        assert flow_as_data(flow) == shipped[flow.code], flow.code


def test_every_behaviour_a_packaged_flow_names_is_registered() -> None:
    named = {step["behaviour"] for flow in packaged_flows() for step in flow["steps"]}
    assert named - {""} <= set(BEHAVIOURS)


def test_a_scenarios_flows_come_from_its_own_package() -> None:
    assert {flow["code"] for flow in packaged_flows("super_teller")} >= {
        "super_teller",
        "vtm_card_loss",
    }
    assert {flow["scenario"] for flow in packaged_flows("pre_sales")} == {"pre_sales"}


def test_sync_creates_a_packaged_flow_the_database_lacks() -> None:
    Flow.objects.filter(code="vtm_transfer").delete()
    report = flow_sync(scenario="super_teller")
    assert report.created == ["vtm_transfer"]
    shipped = next(f for f in packaged_flows("super_teller") if f["code"] == "vtm_transfer")
    assert flow_as_data(Flow.objects.get(code="vtm_transfer")) == shipped


def test_sync_keeps_a_flow_an_operator_edited_unless_asked_to_replace_it() -> None:
    FlowStep.objects.filter(flow__code="branch_hall", code="goodbye").update(prompt_en="Cheers!")
    report = flow_sync(scenario="branch_hall")
    assert report.kept == ["branch_hall"]
    assert FlowStep.objects.get(flow__code="branch_hall", code="goodbye").prompt_en == "Cheers!"
    report = flow_sync(scenario="branch_hall", replace=True)
    assert report.replaced == ["branch_hall"]
    goodbye = FlowStep.objects.get(flow__code="branch_hall", code="goodbye")
    assert goodbye.prompt_en.startswith("All the best")


def test_sync_changes_nothing_when_the_database_matches() -> None:
    report = flow_sync()
    assert report.created == report.replaced == report.kept == []
    assert "credit_card" in report.unchanged


def test_sync_refuses_an_unknown_scenario() -> None:
    with pytest.raises(ValidationError, match="mystery_tour"):
        flow_sync(scenario="mystery_tour")


def test_sync_refuses_a_packaged_flow_that_names_an_unregistered_scenario(monkeypatch) -> None:  # noqa: ANN001
    ghost = {
        "code": "ghost",
        "scenario": "ghost_scenario",
        "name_zh": "鬼",
        "name_en": "Ghost",
        "triggers": {},
        "requires_customer": False,
        "steps": [
            {
                **flows.STEP_DEFAULTS,
                "code": "end",
                "kind": "end",
                "prompt_zh": "再见",
                "prompt_en": "Bye",
            }
        ],
    }
    monkeypatch.setattr(flows, "packaged_flows", lambda scenario=None: [ghost])
    with pytest.raises(ValidationError, match="ghost_scenario"):
        flow_sync()
    assert not Flow.objects.filter(code="ghost").exists()


def test_the_command_exits_with_an_error_for_an_unknown_scenario() -> None:
    with pytest.raises(CommandError, match="mystery_tour"):
        call_command("sync_flows", scenario="mystery_tour")
