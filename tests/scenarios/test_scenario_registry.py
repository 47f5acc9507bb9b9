"""The scenario registry: every scenario package registers itself, and `Flow.scenario` may only
name a registered one (model validation and the admin)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from scenarios.admin import FlowForm
from scenarios.models import Flow
from scenarios.registry import SCENARIOS, Scenario, register_scenario, scenario_for

PACKAGED = {
    "after_sales",
    "branch_hall",
    "card_activation",
    "card_use",
    "credit_card",
    "pre_sales",
    "super_teller",
}


def test_every_scenario_package_is_registered_once_django_is_set_up() -> None:
    assert set(SCENARIOS) == PACKAGED
    assert all(SCENARIOS[code].name for code in PACKAGED)


def test_a_second_scenario_under_a_taken_code_is_refused() -> None:
    with pytest.raises(ValueError, match="registered twice"):

        @register_scenario
        class Impostor(Scenario):
            code = "credit_card"

    assert type(scenario_for("credit_card")).__name__ == "CreditCard"


@pytest.mark.django_db
def test_every_shipped_flow_names_a_registered_scenario() -> None:
    for flow in Flow.objects.all():
        flow.full_clean()


@pytest.mark.django_db
def test_a_flow_naming_an_unknown_scenario_does_not_validate() -> None:
    flow = Flow(code="mystery", scenario="mystery_tour", name_zh="神秘", name_en="Mystery")
    with pytest.raises(ValidationError) as error:
        flow.full_clean()
    assert "mystery_tour" in str(error.value.message_dict["scenario"])
    assert "credit_card" in str(error.value.message_dict["scenario"])


@pytest.mark.django_db
def test_the_admin_form_offers_only_registered_scenarios() -> None:
    form = FlowForm(
        data={"code": "mystery", "scenario": "mystery_tour", "name_zh": "神", "name_en": "M"}
    )
    assert not form.is_valid()
    assert "scenario" in form.errors
    assert {code for code, _label in form.fields["scenario"].choices} == PACKAGED


@pytest.mark.django_db
def test_the_admin_refuses_to_save_a_flow_with_an_unknown_scenario(client) -> None:  # noqa: ANN001
    admin = get_user_model().objects.create_superuser("flow-admin", password="x-pass-123")
    client.force_login(admin)
    response = client.post(
        "/admin/scenarios/flow/add/",
        {
            "code": "mystery",
            "scenario": "mystery_tour",
            "name_zh": "神秘",
            "name_en": "Mystery",
            "is_active": "on",
            "triggers": "{}",
            "steps-TOTAL_FORMS": "0",
            "steps-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert not Flow.objects.filter(code="mystery").exists()
    assert "mystery_tour" in response.content.decode()


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))


@pytest.mark.parametrize("code", sorted(PACKAGED))
def test_every_text_a_scenario_says_outside_its_flows_is_in_chinese_and_english(code: str) -> None:
    for key, text in SCENARIOS[code].texts.items():
        assert text.get("zh-hans"), (code, key)
        assert text.get("en"), (code, key)
        assert _placeholders(text["zh-hans"]) == _placeholders(text["en"]), (code, key)
