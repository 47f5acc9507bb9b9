"""The credit-card journey's KPIs: declared (`KPIS`) and computed from `FunnelEvent`s
(`funnel_kpis`, a selector: it only reads).

Sessions are counted once each, in the cohort of sessions started in the date range (and on the
channel) asked for, that have at least one event of the scenario:

- **turns to reach the recommendation**: the customer turn number of each session's first
  `recommended` event (mean and median);
- **recommendation success**: sessions shown cards / sessions that asked for them (`recommended`
  or `no_match`);
- **selection rate**: sessions that chose a card (`card_chosen`) / sessions shown cards;
- **drop-off at document upload / value-added services / risk disclosure**: 1 − sessions that got
  past the step (`precheck_passed`; `services_chosen` or `services_skipped`;
  `disclosure_acknowledged`) / sessions that entered it (the steps are found by their behaviour,
  so renaming a step in the admin does not break the report);
- **overall completion**: sessions with `application_submitted` / sessions;
- **satisfaction**: mean `rated` score (1–5), if any session was rated.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scenarios.models import DialogueSession, FlowStep, FunnelEvent
from scenarios.registry import Kpi

# The declaration the analytics dashboards read; `funnel_kpis` below computes the same KPIs for
# the funnel report (its drop-off steps come from here).
KPIS = (
    Kpi(
        "turns_to_recommendation",
        _("Turns to reach the recommendation"),
        _("The customer turn number of each session's first recommendation (mean and median)."),
        counts=("recommended",),
        measure="mean",
        field="turn_number",
    ),
    Kpi(
        "recommendation_success",
        _("Recommendation success"),
        _("Sessions shown cards / sessions that asked for them."),
        counts=("recommended",),
        of=("recommended", "no_match"),
    ),
    Kpi(
        "selection",
        _("Selection rate"),
        _("Sessions that chose a card / sessions shown cards."),
        counts=("card_chosen",),
        of=("recommended",),
    ),
    Kpi(
        "drop_off_documents",
        _("Drop-off at document upload"),
        _("1 − sessions whose documents passed the pre-check / sessions that reached the step."),
        counts=("precheck_passed",),
        of=("entered",),
        steps=("application_documents",),
        measure="drop_off",
    ),
    Kpi(
        "drop_off_value_added_services",
        _("Drop-off at value-added services"),
        _("1 − sessions that chose or skipped services / sessions that reached the step."),
        counts=("services_chosen", "services_skipped"),
        of=("entered",),
        steps=("value_added_services",),
        measure="drop_off",
    ),
    Kpi(
        "drop_off_risk_disclosure",
        _("Drop-off at the risk disclosure"),
        _("1 − sessions that acknowledged the disclosure / sessions that reached the step."),
        counts=("disclosure_acknowledged",),
        of=("entered",),
        steps=("risk_disclosure",),
        measure="drop_off",
    ),
    Kpi(
        "completion",
        _("Overall completion"),
        _("Sessions that submitted an application / sessions."),
        counts=("application_submitted",),
    ),
    Kpi(
        "satisfaction",
        _("Satisfaction"),
        _("Mean rating (1–5) of the rated sessions."),
        counts=("rated",),
        measure="mean",
        field="score",
    ),
)

# The funnel report's drop-off steps: name → (step behaviour, outcomes that pass the step).
STEP_EXITS = {
    kpi.code.removeprefix("drop_off_"): (kpi.steps[0], set(kpi.counts))
    for kpi in KPIS
    if kpi.measure == "drop_off"
}


@dataclass(frozen=True)
class Ratio:
    part: int
    whole: int

    @property
    def value(self) -> Decimal | None:
        if not self.whole:
            return None
        return (Decimal(self.part) / Decimal(self.whole)).quantize(
            Decimal("0.0001"), rounding=ROUND_HALF_UP
        )

    def dropped(self) -> Ratio:
        return Ratio(self.whole - self.part, self.whole)


@dataclass(frozen=True)
class FunnelKpis:
    scenario: str
    channel: str | None
    since: date | None
    until: date | None
    sessions: int
    turns_to_recommendation_mean: Decimal | None
    turns_to_recommendation_median: Decimal | None
    recommendation_success: Ratio
    selection: Ratio
    drop_off: dict[str, Ratio]
    completion: Ratio
    satisfaction_mean: Decimal | None
    ratings: int


def _cohort(
    scenario: str, channel: str | None, since: date | None, until: date | None
) -> QuerySet[FunnelEvent]:
    zone = timezone.get_current_timezone()
    events = FunnelEvent.objects.filter(scenario=scenario)
    sessions = DialogueSession.objects.all()
    if channel:
        sessions = sessions.filter(channel=channel)
    if since:
        sessions = sessions.filter(created_at__gte=datetime.combine(since, time.min, tzinfo=zone))
    if until:
        sessions = sessions.filter(
            created_at__lt=datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone)
        )
    return events.filter(session__in=sessions)


def _sessions_with(events: QuerySet[FunnelEvent], **filters: object) -> set:
    return set(events.filter(**filters).values_list("session_id", flat=True).distinct())


def funnel_kpis(
    *,
    scenario: str = "credit_card",
    channel: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> FunnelKpis:
    events = _cohort(scenario, channel, since, until)
    sessions = _sessions_with(events)
    first_recommendation: dict[object, int] = {}
    for session_id, turn in (
        events.filter(outcome="recommended").order_by("id").values_list("session_id", "turn_number")
    ):
        first_recommendation.setdefault(session_id, turn)
    turns = list(first_recommendation.values())
    recommended = set(first_recommendation)
    asked = recommended | _sessions_with(events, outcome="no_match")
    chosen = _sessions_with(events, outcome="card_chosen")
    drop_off = {}
    for name, (behaviour, exits) in STEP_EXITS.items():
        codes = set(
            FlowStep.objects.filter(flow__scenario=scenario, behaviour=behaviour).values_list(
                "code", flat=True
            )
        )
        entered = _sessions_with(events, step__in=codes, outcome="entered")
        passed = _sessions_with(events, step__in=codes, outcome__in=exits) & entered
        drop_off[name] = Ratio(len(passed), len(entered)).dropped()
    scores = [
        detail.get("score")
        for detail in events.filter(outcome="rated").values_list("detail", flat=True)
        if isinstance(detail, dict) and isinstance(detail.get("score"), int)
    ]

    def exact(value: float | None) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    return FunnelKpis(
        scenario=scenario,
        channel=channel,
        since=since,
        until=until,
        sessions=len(sessions),
        turns_to_recommendation_mean=exact(statistics.fmean(turns)) if turns else None,
        turns_to_recommendation_median=exact(statistics.median(turns)) if turns else None,
        recommendation_success=Ratio(len(recommended), len(asked)),
        selection=Ratio(len(chosen & recommended), len(recommended)),
        drop_off=drop_off,
        completion=Ratio(
            len(_sessions_with(events, outcome="application_submitted")), len(sessions)
        ),
        satisfaction_mean=exact(statistics.fmean(scores)) if scores else None,
        ratings=len(scores),
    )
