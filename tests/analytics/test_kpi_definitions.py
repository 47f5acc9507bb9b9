"""Each dashboard KPI's definition, pinned on hand-built event sequences (docs/kpis.md).

Sessions are built as `SessionFacts` (what a session recorded); a KPI's figure is the sum of
its sessions' contributions, as the roll-ups and the live days compute it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from scenarios.analytics import kpis
from scenarios.analytics.kpis import EventFact, Figure, SessionFacts

BEHAVIOUR = {
    "documents": "application_documents",
    "value_added_services": "value_added_services",
    "risk_disclosure": "risk_disclosure",
    "ask_service": "hall_service",
    "confirm_service": "hall_confirm_service",
    "closing": "service_end",
    "insert_card": "guide_step",
    "enter_pin": "guide_step",
}


def event(
    outcome: str,
    *,
    step: str = "",
    scenario: str = "credit_card",
    flow: str = "",
    turn: int = 1,
    **detail: Any,
) -> EventFact:
    return EventFact(
        scenario=scenario,
        flow=flow or scenario,
        step=step,
        behaviour=BEHAVIOUR.get(step, step),
        outcome=outcome,
        turn_number=turn,
        detail=detail,
    )


def session(
    *events: EventFact,
    flow: str = "credit_card",
    scenario: str = "",
    status: str = "completed",
    current_step: str = "",
    takeovers: tuple[str, ...] = (),
    sentiments: tuple[str, ...] = (),
    intents: tuple[str, ...] = (),
) -> SessionFacts:
    return SessionFacts(
        id=object(),
        flow=flow,
        scenario=scenario or flow,
        status=status,
        channel="app",
        language="zh-hans",
        created_at=datetime(2026, 11, 2, 9, tzinfo=UTC),
        current_step=current_step,
        events=list(events),
        takeover_reasons=list(takeovers),
        sentiments=list(sentiments),
        intents=list(intents),
    )


def figure(code: str, *sessions: SessionFacts, within: int | None = None) -> float | None:
    definition = kpis.kpi(code)
    total = Figure()
    for each in sessions:
        for contribution in definition.evaluate(each):
            if contribution.key == "":
                total.add_contribution(contribution)
    return total.result(definition.measure, within)


def breakdown(code: str, *sessions: SessionFacts) -> dict[str, tuple[int, int]]:
    definition = kpis.kpi(code)
    rows: dict[str, Figure] = {}
    for each in sessions:
        for contribution in definition.evaluate(each):
            rows.setdefault(contribution.key, Figure()).add_contribution(contribution)
    return {key: (f.numerator, f.denominator) for key, f in rows.items()}


# --------------------------------------------------------------------------- credit card


def test_recommendation_within_n_turns_counts_the_first_recommendation_of_every_session() -> None:
    early = session(event("recommended", turn=3), event("recommended", turn=9))
    late = session(event("recommended", turn=7))
    never = session(event("entered", step="ask_needs"))
    assert figure("credit_card.recommended_within", early, late, never, within=5) == 1 / 3
    assert figure("credit_card.recommended_within", early, late, never, within=7) == 2 / 3


def test_turns_to_recommendation_is_the_mean_of_each_sessions_first_recommendation() -> None:
    a = session(event("recommended", turn=3), event("recommended", turn=11))
    b = session(event("recommended", turn=5))
    assert figure("credit_card.turns_to_recommendation", a, b) == 4.0


def test_recommendation_success_is_shown_over_asked_including_no_match() -> None:
    shown = session(event("recommended"))
    nothing = session(event("no_match"))
    not_asked = session(event("entered", step="ask_needs"))
    assert figure("credit_card.recommendation_success", shown, nothing, not_asked) == 0.5


def test_selection_counts_only_choices_of_sessions_shown_cards() -> None:
    chose = session(event("recommended"), event("card_chosen"))
    looked = session(event("recommended"))
    chose_without = session(event("card_chosen"))
    assert figure("credit_card.selection", chose, looked, chose_without) == 0.5


@pytest.mark.parametrize(
    ("code", "step", "passed"),
    [
        ("credit_card.drop_off_documents", "documents", "precheck_passed"),
        ("credit_card.drop_off_value_added_services", "value_added_services", "services_skipped"),
        ("credit_card.drop_off_risk_disclosure", "risk_disclosure", "disclosure_acknowledged"),
    ],
)
def test_drop_off_at_a_step_is_one_minus_passed_over_entered(
    code: str, step: str, passed: str
) -> None:
    through = session(event("entered", step=step), event(passed, step=step))
    stuck = session(event("entered", step=step))
    stuck_too = session(event("entered", step=step), event("document_uploaded", step=step))
    elsewhere = session(event("entered", step="ask_needs"))
    assert figure(code, through, stuck, stuck_too, elsewhere) == pytest.approx(2 / 3)


def test_overall_completion_is_submitted_over_every_session_of_the_scenario() -> None:
    submitted = session(event("application_submitted"))
    others = [session(event("recommended")) for _ in range(3)]
    assert figure("credit_card.completion", submitted, *others) == 0.25


def test_satisfaction_is_the_mean_rating() -> None:
    assert (
        figure(
            "credit_card.satisfaction",
            session(event("rated", score=5)),
            session(event("rated", score=2)),
        )
        == 3.5
    )


def test_the_hall_card_quiz_does_not_dilute_the_card_funnel() -> None:
    applied = session(event("recommended"), event("application_submitted"))
    quiz = session(
        event("recommended", flow="card_quiz", step="quiz_cards"),
        event("card_chosen", flow="card_quiz"),
        flow="card_quiz",
        scenario="credit_card",
    )
    assert figure("credit_card.completion", applied, quiz) == 1.0
    assert figure("credit_card.selection", applied, quiz) == 0.0
    assert figure("branch_hall.quiz_selection", applied, quiz) == 1.0


# --------------------------------------------------------------------------- branch hall


def hall(*events: EventFact, **extra: Any) -> SessionFacts:
    return session(*events, flow="branch_hall", **extra)


def h(outcome: str, **extra: Any) -> EventFact:
    return event(outcome, scenario="branch_hall", **extra)


def test_need_identified_within_n_turns() -> None:
    quick = hall(h("service_matched", turn=1))
    slow = hall(h("unsure", turn=1), h("service_matched", turn=3))
    lost = hall(h("entered", step="ask_service"))
    assert figure("branch_hall.need_within", quick, slow, lost, within=2) == 1 / 3
    assert figure("branch_hall.need_within", quick, slow, lost, within=3) == 2 / 3


def test_need_judgement_fails_when_the_customer_corrects_or_rejects_it() -> None:
    right = hall(h("service_matched"), h("confirmed", step="confirm_service"))
    corrected = hall(h("service_matched"), h("service_corrected"))
    rejected = hall(h("service_matched"), h("rejected", step="confirm_service"))
    never = hall(h("entered", step="ask_service"))
    assert figure("branch_hall.need_judged_right", right, corrected, rejected, never) == 1 / 3


def test_ticket_success_is_issued_over_asked_for() -> None:
    issued = hall(h("ticket_issued", waiting_ahead=3))
    refused = hall(h("ticket_refused"))
    no_branch = hall(h("no_branch"))
    browsing = hall(h("service_matched"))
    assert figure("branch_hall.ticket_success", issued, refused, no_branch, browsing) == 1 / 3


def test_explanation_satisfaction_is_the_mean_rating_of_hall_sessions_only() -> None:
    rated = hall(h("rated", score=4))
    rated_too = hall(h("rated", score=2))
    card = session(event("rated", score=5))
    assert figure("branch_hall.explanation_rating", rated, rated_too, card) == 3.0


def test_person_recognition_counts_sessions_with_a_presence_report() -> None:
    seen = hall(h("presence", recognised=True), h("presence", recognised=False))
    unknown = hall(h("presence", recognised=False))
    unreported = hall(h("service_matched"))
    assert figure("branch_hall.person_recognised", seen, unknown, unreported) == 0.5


# --------------------------------------------------------------------------- super teller


def t(outcome: str, **extra: Any) -> EventFact:
    return event(outcome, scenario="super_teller", **extra)


def test_teller_completion_per_module_and_drop_off_step() -> None:
    done = session(
        t("guide_started", guide="vtm_transfer"),
        t("entered", step="insert_card", flow="vtm_transfer"),
        t("guide_completed"),
        flow="super_teller",
    )
    stopped = session(
        t("guide_started", guide="vtm_transfer"),
        t("entered", step="insert_card", flow="vtm_transfer"),
        t("entered", step="enter_pin", flow="vtm_transfer"),
        flow="super_teller",
        status="abandoned",
    )
    other = session(t("guide_started", guide="vtm_card_loss"), flow="super_teller")
    located_only = session(t("need_located"), flow="super_teller")
    per_module = breakdown("super_teller.completion_per_module", done, stopped, other, located_only)
    assert per_module["vtm_transfer"] == (1, 2)
    assert per_module["vtm_card_loss"] == (0, 1)
    steps = breakdown("super_teller.drop_off_step", done, stopped, other, located_only)
    assert steps[""] == (0, 3)  # three sessions started a guide
    assert steps["vtm_transfer/enter_pin"] == (1, 1)


# --------------------------------------------------------------------------- app service


def a(outcome: str, **extra: Any) -> EventFact:
    return event(outcome, scenario="pre_sales", **extra)


def test_app_completion_per_module_drop_off_rating_and_handling_time() -> None:
    done = session(
        a("located", key="credit_card_apply"),
        a("rated", score=5),
        a("completed", step="closing", handling_seconds=100),
        flow="pre_sales",
    )
    stopped = session(
        a("located", key="credit_card_apply"),
        flow="pre_sales",
        status="active",
        current_step="guide",
    )
    fx = session(
        a("located", key="fx_buy"),
        a("rated", score=3),
        a("completed", step="closing", handling_seconds=300),
        flow="pre_sales",
    )
    per_module = breakdown("app_service.pre_sales_completion_per_module", done, stopped, fx)
    assert per_module["credit_card_apply"] == (1, 2)
    assert per_module["fx_buy"] == (1, 1)
    assert breakdown("app_service.pre_sales_drop_off", done, stopped, fx)["guide"] == (1, 1)
    assert figure("app_service.pre_sales_average_rating", done, stopped, fx) == 4.0
    assert figure("app_service.pre_sales_handling_mean", done, stopped, fx) == 200.0
    assert figure("app_service.pre_sales_completion", done, stopped, fx) == pytest.approx(2 / 3)


# --------------------------------------------------------------------------- across


def test_containment_and_handover_are_complements_over_every_session() -> None:
    alone = session(event("recommended"))
    taken = session(event("recommended"), takeovers=("asked_for_person",))
    waiting = session(event("handed_over", reason="anger"), status="handed_over")
    assert figure("across.containment", alone, taken, waiting) == pytest.approx(1 / 3)
    assert figure("across.handover", alone, taken, waiting) == pytest.approx(2 / 3)
    reasons = breakdown("across.handover_reasons", alone, taken, waiting)
    assert reasons["asked_for_person"] == (1, 1)
    assert reasons["anger"] == (1, 1)
    assert reasons[""] == (0, 3)


def test_negative_sentiment_is_a_share_of_customer_turns() -> None:
    cross = session(sentiments=("negative", "neutral", "angry", ""))
    calm = session(sentiments=("positive",))
    assert figure("across.negative_sentiment", cross, calm) == 0.5


def test_answer_not_found_is_a_share_of_knowledge_answers() -> None:
    found = session(event("side_question", answer_kind="curated"))
    missing = session(
        event("side_question", answer_kind="not_found"),
        event("answered", answer_kind="generated"),
        event("recommended"),
    )
    assert figure("across.answer_not_found", found, missing) == pytest.approx(1 / 3)


def test_top_intents_count_each_session_once_per_intent() -> None:
    one = session(intents=("card_apply", "card_apply", ""))
    two = session(intents=("card_apply", "fee_waiver"))
    assert breakdown("across.top_intents", one, two) == {
        "": (0, 2),
        "card_apply": (2, 2),
        "fee_waiver": (1, 1),
    }


def test_median_and_within_come_from_the_histogram() -> None:
    total = Figure()
    for value in (1, 2, 2, 9):
        total.add_contribution(kpis.Contribution(numerator=1, denominator=1, value=value))
    total.add_contribution(kpis.Contribution(denominator=1))
    assert total.result(kpis.MEDIAN) == 2.0
    assert total.result(kpis.WITHIN, 2) == 3 / 5
