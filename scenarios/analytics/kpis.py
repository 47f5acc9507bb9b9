"""The dashboards' KPIs as code: each one's written definition and how one session counts in it.

A KPI is evaluated per session, from what the session recorded (funnel events, customer turns,
takeovers) in `SessionFacts`, into `Contribution`s: a numerator and a denominator (0 or 1 for a
session), a number of events, and at most one value. Summing contributions gives the figure
(`Figure`): a ratio, a drop-off (1 − ratio), a mean or median of the values, a count of events,
a share of sessions whose value is at most N ("within N turns"), or a breakdown by a key
(step, module, reason, intent). Because every KPI is a sum over sessions, a day's sums are
stored once (`DailyRollup`) and any range of days is the sum of its days.

The scenario packages declare most KPIs (`Kpi` in `scenarios.registry`, read here through
`declared`); the cross-scenario ones and those the issue adds are written below. docs/kpis.md
repeats every definition.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from scenarios.registry import SCENARIOS, Kpi

RATIO, DROP_OFF, MEAN, MEDIAN, COUNT, WITHIN, BREAKDOWN = (
    "ratio",
    "drop_off",
    "mean",
    "median",
    "count",
    "within",
    "breakdown",
)
NEGATIVE_SENTIMENTS = frozenset({"negative", "angry"})
ANSWER_EVENTS = frozenset({"side_question", "answered"})


@dataclass(frozen=True)
class EventFact:
    scenario: str
    flow: str  # the flow whose step recorded it (credit_card vs card_quiz)
    step: str
    behaviour: str  # the step's behaviour, or its kind when it runs the kind's own
    outcome: str
    turn_number: int
    detail: dict[str, Any]


@dataclass
class SessionFacts:
    """Everything a session recorded that a KPI may count."""

    id: Any
    flow: str
    scenario: str
    status: str
    channel: str
    language: str
    created_at: datetime
    current_step: str = ""
    device_id: int | None = None
    branch_id: int | None = None
    events: list[EventFact] = field(default_factory=list)
    takeover_reasons: list[str] = field(default_factory=list)
    sentiments: list[str] = field(default_factory=list)  # of the customer's turns
    intents: list[str] = field(default_factory=list)  # of the customer's turns


@dataclass(frozen=True)
class Contribution:
    key: str = ""
    numerator: int = 0
    denominator: int = 0
    events: int = 0
    value: float | None = None


Evaluator = Callable[[SessionFacts], list[Contribution]]


@dataclass(frozen=True)
class KpiDef:
    code: str  # "<page>.<kpi>", unique
    name: str | Promise
    definition: str | Promise
    measure: str
    evaluate: Evaluator
    # For a breakdown: what each row's share is of: "sessions", the sessions the KPI counts
    # (each session gives one contribution with key "" and denominator 1), or "key", the key's
    # own denominator (e.g. completion per module: sessions that started that module).
    breakdown_of: str = "sessions"


@dataclass
class Figure:
    """The sum of a KPI's contributions, for one key."""

    numerator: int = 0
    denominator: int = 0
    events: int = 0
    value_sum: float = 0.0
    value_count: int = 0
    histogram: dict[str, int] = field(default_factory=dict)

    def add(
        self,
        numerator: int,
        denominator: int,
        events: int,
        value_sum: float,
        value_count: int,
        histogram: dict[str, int],
    ) -> None:
        self.numerator += numerator
        self.denominator += denominator
        self.events += events
        self.value_sum += value_sum
        self.value_count += value_count
        for value, sessions in histogram.items():
            self.histogram[value] = self.histogram.get(value, 0) + sessions

    def add_contribution(self, contribution: Contribution) -> None:
        histogram = {}
        if contribution.value is not None:
            histogram = {histogram_key(contribution.value): 1}
        self.add(
            contribution.numerator,
            contribution.denominator,
            contribution.events,
            contribution.value or 0.0,
            1 if contribution.value is not None else 0,
            histogram,
        )

    def result(self, measure: str, within: int | None = None) -> float | None:
        """The KPI's figure: a share (0–1), a mean/median, a count; None without data."""
        if measure in (RATIO, BREAKDOWN):
            return self.numerator / self.denominator if self.denominator else None
        if measure == DROP_OFF:
            return 1 - self.numerator / self.denominator if self.denominator else None
        if measure == MEAN:
            return self.value_sum / self.value_count if self.value_count else None
        if measure == MEDIAN:
            values = [float(v) for v, n in self.histogram.items() for _ in range(n)]
            return float(statistics.median(values)) if values else None
        if measure == WITHIN:
            if not self.denominator:
                return None
            limit = within if within is not None else 0
            inside = sum(n for v, n in self.histogram.items() if float(v) <= limit)
            return inside / self.denominator
        if measure == COUNT:
            return float(self.events)
        raise ValueError(f"unknown measure {measure!r}")


def histogram_key(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.3f}"


# ------------------------------------------------------------------- building blocks


def _events(facts: SessionFacts, scenario: str, flows: frozenset[str] | None) -> list[EventFact]:
    return [
        event
        for event in facts.events
        if event.scenario == scenario and (flows is None or event.flow in flows)
    ]


def _number(event: EventFact, field_name: str) -> float | None:
    value = event.turn_number if field_name == "turn_number" else event.detail.get(field_name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def declared(kpi: Kpi, scenario: str, flows: frozenset[str] | None = None) -> Evaluator:
    """How a session counts in a KPI a scenario declares (see `Kpi` for the fields).

    Only sessions with an event of the scenario (in `flows`, when given) count. A ratio's
    numerator is a subset of its denominator; a drop-off counts sessions that entered one of
    its steps (denominator) and those that got past it (numerator); a drop-off without steps is
    a breakdown of unfinished sessions by the step they stopped at; a mean or median takes the
    value of the first matching event of each session.
    """

    def matches(event: EventFact, outcomes: tuple[str, ...], at_steps: bool) -> bool:
        return event.outcome in outcomes and (
            not at_steps or not kpi.steps or event.behaviour in kpi.steps
        )

    def evaluate(facts: SessionFacts) -> list[Contribution]:
        events = _events(facts, scenario, flows)
        if not events:
            return []
        if kpi.measure == "drop_off" and not kpi.steps:
            base = Contribution(denominator=1)
            if facts.status in ("active", "abandoned"):
                return [base, Contribution(key=facts.current_step, numerator=1, denominator=1)]
            return [base]
        if kpi.measure == "drop_off":
            entered = any(matches(e, kpi.of or ("entered",), True) for e in events)
            passed = entered and any(matches(e, kpi.counts, True) for e in events)
            return [Contribution(numerator=int(passed), denominator=int(entered))]
        if kpi.measure == "count":
            hits = sum(1 for e in events if matches(e, kpi.counts, True))
            return [Contribution(numerator=hits, denominator=1, events=hits)]
        if kpi.measure in ("mean", "median"):
            for event in events:
                if matches(event, kpi.counts, True):
                    value = _number(event, kpi.field)
                    if value is not None:
                        return [Contribution(numerator=1, denominator=1, events=1, value=value)]
            return []
        of = not kpi.of or any(e.outcome in kpi.of for e in events)
        hit = of and any(matches(e, kpi.counts, True) for e in events)
        return [Contribution(numerator=int(hit), denominator=int(of))]

    return evaluate


def first_turn_within(
    scenario: str, outcome: str, flows: frozenset[str] | None = None
) -> Evaluator:
    """Every session of the scenario is in the denominator; its value is the customer turn
    number of its first `outcome` event (none if it never got there)."""

    def evaluate(facts: SessionFacts) -> list[Contribution]:
        events = _events(facts, scenario, flows)
        if not events:
            return []
        turn = next((e.turn_number for e in events if e.outcome == outcome), None)
        return [
            Contribution(
                numerator=int(turn is not None),
                denominator=1,
                value=float(turn) if turn is not None else None,
            )
        ]

    return evaluate


def _hall_need_judged_right(facts: SessionFacts) -> list[Contribution]:
    events = _events(facts, "branch_hall", None)
    if not any(e.outcome == "service_matched" for e in events):
        return []
    wrong = any(
        e.outcome == "service_corrected"
        or (e.outcome == "rejected" and e.behaviour == "hall_confirm_service")
        for e in events
    )
    return [Contribution(numerator=int(not wrong), denominator=1)]


def _hall_ticket_success(facts: SessionFacts) -> list[Contribution]:
    events = _events(facts, "branch_hall", None)
    asked = any(e.outcome in ("ticket_issued", "ticket_refused", "no_branch") for e in events)
    issued = any(e.outcome == "ticket_issued" for e in events)
    return [Contribution(numerator=int(issued), denominator=1)] if asked else []


def _hall_explanation_rating(facts: SessionFacts) -> list[Contribution]:
    if facts.scenario != "branch_hall":
        return []
    for event in facts.events:
        if event.outcome == "rated":
            value = _number(event, "score")
            if value is not None:
                return [Contribution(numerator=1, denominator=1, events=1, value=value)]
    return []


def _presence_recognised(facts: SessionFacts) -> list[Contribution]:
    """Presence reports of the session's device (a `presence` event, see
    docs/avatar-protocol.md): recognised = the device identified the person in front of it."""
    reports = [e for e in facts.events if e.outcome == "presence"]
    if not reports:
        return []
    recognised = any(e.detail.get("recognised") is True for e in reports)
    return [Contribution(numerator=int(recognised), denominator=1, events=len(reports))]


def _module_of(facts: SessionFacts, scenario: str, outcome: str, detail_key: str) -> str | None:
    for event in _events(facts, scenario, None):
        if event.outcome == outcome and isinstance(event.detail.get(detail_key), str):
            return str(event.detail[detail_key])
    return None


def teller_completion_per_module(facts: SessionFacts) -> list[Contribution]:
    module = _module_of(facts, "super_teller", "guide_started", "guide")
    if module is None:
        return []
    done = any(e.outcome == "guide_completed" for e in _events(facts, "super_teller", None))
    return [
        Contribution(denominator=1),
        Contribution(key=module, numerator=int(done), denominator=1),
    ]


def teller_drop_off_step(facts: SessionFacts) -> list[Contribution]:
    """Sessions that started a guide and did not finish it, by the last guide step entered."""
    events = _events(facts, "super_teller", None)
    if not any(e.outcome == "guide_started" for e in events):
        return []
    base = Contribution(denominator=1)
    if any(e.outcome == "guide_completed" for e in events):
        return [base]
    last = ""
    for event in events:
        if event.outcome == "entered" and event.behaviour == "guide_step":
            last = f"{event.flow}/{event.step}"
    return [base, Contribution(key=last or "-", numerator=1, denominator=1)]


def app_completion_per_module(scenario: str) -> Evaluator:
    def evaluate(facts: SessionFacts) -> list[Contribution]:
        module = _module_of(facts, scenario, "located", "key")
        if module is None:
            return []
        done = any(e.outcome == "completed" for e in _events(facts, scenario, None))
        return [
            Contribution(denominator=1),
            Contribution(key=module, numerator=int(done), denominator=1),
        ]

    return evaluate


def _app_handling_mean(scenario: str) -> Evaluator:
    def evaluate(facts: SessionFacts) -> list[Contribution]:
        for event in _events(facts, scenario, None):
            if event.outcome in ("service_closed", "completed"):
                value = _number(event, "handling_seconds")
                if value is not None:
                    return [Contribution(numerator=1, denominator=1, events=1, value=value)]
        return []

    return evaluate


# Across scenarios: every session counts, whatever its flow.


def _contained(facts: SessionFacts) -> list[Contribution]:
    handed = bool(facts.takeover_reasons) or facts.status == "handed_over"
    return [Contribution(numerator=int(not handed), denominator=1)]


def _handed_over(facts: SessionFacts) -> list[Contribution]:
    handed = bool(facts.takeover_reasons) or facts.status == "handed_over"
    return [Contribution(numerator=int(handed), denominator=1)]


def _handover_reasons(facts: SessionFacts) -> list[Contribution]:
    reasons = list(dict.fromkeys(facts.takeover_reasons))
    if not reasons:
        reasons = [
            str(e.detail.get("reason") or "unknown")
            for e in facts.events
            if e.outcome == "handed_over"
        ][:1]
    return [Contribution(denominator=1)] + [
        Contribution(key=reason[:80], numerator=1, denominator=1) for reason in reasons
    ]


def _negative_sentiment(facts: SessionFacts) -> list[Contribution]:
    rated = [s for s in facts.sentiments if s]
    if not rated:
        return []
    negative = sum(1 for s in rated if s in NEGATIVE_SENTIMENTS)
    return [Contribution(numerator=negative, denominator=len(rated), events=len(rated))]


def _answer_not_found(facts: SessionFacts) -> list[Contribution]:
    answers = [
        e for e in facts.events if e.outcome in ANSWER_EVENTS and e.detail.get("answer_kind")
    ]
    if not answers:
        return []
    missing = sum(1 for e in answers if e.detail.get("answer_kind") == "not_found")
    return [Contribution(numerator=missing, denominator=len(answers), events=len(answers))]


def _top_intents(facts: SessionFacts) -> list[Contribution]:
    return [Contribution(denominator=1)] + [
        Contribution(key=intent[:80], numerator=1, denominator=1)
        for intent in dict.fromkeys(i for i in facts.intents if i)
    ]


# ------------------------------------------------------------------- the pages


@dataclass(frozen=True)
class Page:
    code: str
    title: str | Promise
    # The session flows this page's sessions start in (the drill-down's filter); empty: all.
    flows: tuple[str, ...]
    kpis: tuple[KpiDef, ...]
    # The KPI charted day by day on the page.
    trend: str = ""


def _declared_kpis(
    page: str, scenario: str, flows: frozenset[str] | None = None, prefix: str = ""
) -> tuple[KpiDef, ...]:
    return tuple(
        KpiDef(
            code=f"{page}.{prefix}{kpi.code}",
            name=kpi.name,
            definition=kpi.definition,
            measure=BREAKDOWN if kpi.measure == "drop_off" and not kpi.steps else kpi.measure,
            evaluate=declared(kpi, scenario, flows),
        )
        for kpi in SCENARIOS[scenario].kpis
    )


CARD_FLOWS = frozenset({"credit_card"})
QUIZ_FLOWS = frozenset({"card_quiz"})


def _pages() -> tuple[Page, ...]:
    credit_card = Page(
        "credit_card",
        _("Credit card"),
        ("credit_card",),
        (
            KpiDef(
                "credit_card.recommended_within",
                _("Recommendation within N turns"),
                _(
                    "Sessions whose first recommendation came at customer turn N or earlier / "
                    "sessions of the credit-card application flow (N is the filter's turns)."
                ),
                WITHIN,
                first_turn_within("credit_card", "recommended", CARD_FLOWS),
            ),
            *_declared_kpis("credit_card", "credit_card", CARD_FLOWS),
        ),
        trend="credit_card.completion",
    )
    hall = Page(
        "branch_hall",
        _("Branch hall"),
        ("branch_hall", "card_quiz"),
        (
            KpiDef(
                "branch_hall.need_within",
                _("Need identified within N turns"),
                _(
                    "Hall sessions whose service was recognised at customer turn N or earlier / "
                    "hall sessions (N is the filter's turns)."
                ),
                WITHIN,
                first_turn_within("branch_hall", "service_matched"),
            ),
            KpiDef(
                "branch_hall.need_judged_right",
                _("Queue-ticket need judgement success"),
                _(
                    "Sessions whose recognised service was neither corrected nor rejected at "
                    "the confirmation / sessions whose service was recognised."
                ),
                RATIO,
                _hall_need_judged_right,
            ),
            KpiDef(
                "branch_hall.ticket_success",
                _("Ticket success"),
                _(
                    "Sessions that got a queue ticket / sessions that asked for one (issued, "
                    "refused or no branch)."
                ),
                RATIO,
                _hall_ticket_success,
            ),
            KpiDef(
                "branch_hall.explanation_rating",
                _("Satisfaction with service explanations"),
                _("Mean rating (1–5) of the rated hall sessions (the rating after the ticket)."),
                MEAN,
                _hall_explanation_rating,
            ),
            KpiDef(
                "branch_hall.person_recognised",
                _("Person recognition rate"),
                _(
                    "Sessions whose device reported a recognised person (presence event) / "
                    "sessions with a presence report."
                ),
                RATIO,
                _presence_recognised,
            ),
            *_declared_kpis("branch_hall", "branch_hall"),
            KpiDef(
                "branch_hall.quiz_recommended_within",
                _("Card quiz: recommendation within N turns"),
                _(
                    "Card-quiz sessions (hall) whose first recommendation came at customer turn "
                    "N or earlier / card-quiz sessions. Counted apart from the card funnel."
                ),
                WITHIN,
                first_turn_within("credit_card", "recommended", QUIZ_FLOWS),
            ),
            *(
                kpi
                for kpi in _declared_kpis("branch_hall", "credit_card", QUIZ_FLOWS, "quiz_")
                if not kpi.code.startswith("branch_hall.quiz_drop_off")
                and kpi.code != "branch_hall.quiz_completion"
            ),
        ),
        trend="branch_hall.ticket_issued",
    )
    teller = Page(
        "super_teller",
        _("Super teller"),
        ("super_teller",),
        (
            *_declared_kpis("super_teller", "super_teller"),
            KpiDef(
                "super_teller.completion_per_module",
                _("Completion per service module"),
                _("Per guide: sessions that finished it / sessions that started it."),
                BREAKDOWN,
                teller_completion_per_module,
                breakdown_of="key",
            ),
            KpiDef(
                "super_teller.drop_off_step",
                _("Drop-off at key steps"),
                _(
                    "Sessions that started a guide and did not finish it, by the last guide "
                    "step they reached / sessions that started a guide."
                ),
                BREAKDOWN,
                teller_drop_off_step,
            ),
        ),
        trend="super_teller.guide_completed",
    )
    app_kpis: list[KpiDef] = []
    for flow in ("pre_sales", "after_sales"):
        label = _("pre-sales") if flow == "pre_sales" else _("after-sales")
        for kpi in _declared_kpis("app_service", flow, prefix=f"{flow}_"):
            app_kpis.append(
                KpiDef(
                    kpi.code,
                    format_lazy("{} ({})", kpi.name, label),
                    kpi.definition,
                    kpi.measure,
                    kpi.evaluate,
                )
            )
        app_kpis.append(
            KpiDef(
                f"app_service.{flow}_completion_per_module",
                format_lazy("{} ({})", _("Completion per business module"), label),
                _("Per module the need was located to: sessions completed / sessions located."),
                BREAKDOWN,
                app_completion_per_module(flow),
                breakdown_of="key",
            )
        )
        app_kpis.append(
            KpiDef(
                f"app_service.{flow}_handling_mean",
                format_lazy("{} ({})", _("Average handling time"), label),
                _("Mean seconds from the session's start to its close."),
                MEAN,
                _app_handling_mean(flow),
            )
        )
    app = Page(
        "app_service",
        _("App service"),
        ("pre_sales", "after_sales"),
        tuple(app_kpis),
        trend="app_service.pre_sales_completion",
    )
    across = Page(
        "across",
        _("Across scenarios"),
        (),
        (
            KpiDef(
                "across.containment",
                _("Containment"),
                _("Sessions answered without a person (no takeover, not handed over) / sessions."),
                RATIO,
                _contained,
            ),
            KpiDef(
                "across.handover",
                _("Handover rate"),
                _("Sessions handed to a person / sessions."),
                RATIO,
                _handed_over,
            ),
            KpiDef(
                "across.handover_reasons",
                _("Handover reasons"),
                _("Sessions handed over, by the takeover's reason (share of sessions)."),
                BREAKDOWN,
                _handover_reasons,
            ),
            KpiDef(
                "across.negative_sentiment",
                _("Negative sentiment"),
                _("Customer turns read as negative or angry / customer turns with a sentiment."),
                RATIO,
                _negative_sentiment,
            ),
            KpiDef(
                "across.answer_not_found",
                _("Answer not found"),
                _("Knowledge answers that found nothing / knowledge answers given."),
                RATIO,
                _answer_not_found,
            ),
            KpiDef(
                "across.top_intents",
                _("Top intents"),
                _("Sessions with a customer turn of each intent (share of sessions)."),
                BREAKDOWN,
                _top_intents,
            ),
        ),
        trend="across.negative_sentiment",
    )
    return (credit_card, hall, teller, app, across)


_PAGES: tuple[Page, ...] | None = None


def pages() -> tuple[Page, ...]:
    """The scenario pages (the video studio's page reads the studio's own KPIs)."""
    global _PAGES  # noqa: PLW0603 - built once, after every scenario has registered
    if _PAGES is None:
        _PAGES = _pages()
    return _PAGES


def page(code: str) -> Page:
    for candidate in pages():
        if candidate.code == code:
            return candidate
    raise KeyError(code)


def all_kpis() -> Iterable[KpiDef]:
    for each in pages():
        yield from each.kpis


def kpi(code: str) -> KpiDef:
    for candidate in all_kpis():
        if candidate.code == code:
            return candidate
    raise KeyError(code)


_PAGE_SESSIONS: dict[str, KpiDef] = {}


def page_sessions(page: Page) -> KpiDef:
    """The sessions a page is about: those with an event at a step of its flows (a session
    may end in another flow than it started in, e.g. the activation guide after applying);
    every session on the across-scenarios page."""
    if page.code in _PAGE_SESSIONS:
        return _PAGE_SESSIONS[page.code]
    flows = frozenset(page.flows)

    def evaluate(facts: SessionFacts) -> list[Contribution]:
        if flows and not any(event.flow in flows for event in facts.events):
            return []
        return [Contribution(numerator=1, denominator=1)]

    _PAGE_SESSIONS[page.code] = KpiDef(
        f"{page.code}.sessions",
        _("Sessions"),
        _("Sessions with an event at a step of the page's flows."),
        COUNT,
        evaluate,
    )
    return _PAGE_SESSIONS[page.code]


def contributions(facts: SessionFacts) -> dict[str, list[Contribution]]:
    """Every KPI's contributions of one session (KPIs it does not count in are left out)."""
    found = {}
    for definition in (*all_kpis(), *(page_sessions(each) for each in pages())):
        made = definition.evaluate(facts)
        if made:
            found[definition.code] = made
    return found
