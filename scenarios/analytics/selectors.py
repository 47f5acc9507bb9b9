"""Reads for the dashboards: sessions' recorded facts, and KPI figures from roll-ups + live days.

A range's figures are the stored daily roll-ups of the days that have one plus, for the other
days (today, or days the schedule has not reached yet), the same KPIs evaluated live from the
events. Filters (channel, branch, device, language) are dimensions of both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from content.studio.selectors import studio_kpis
from scenarios.agentrouting.models import RoutingQueue
from scenarios.analytics import kpis as kpi_defs
from scenarios.analytics.kpis import (
    EventFact,
    Figure,
    KpiDef,
    SessionFacts,
)
from scenarios.analytics.models import DailyRollup, RollupDay
from scenarios.models import DialogueSession, FlowStep, FunnelEvent, Takeover, Turn
from scenarios.notifications import CHANNELS as DELIVERY_CHANNELS
from scenarios.outbound.models import Campaign
from scenarios.selectors import session_channels

MAX_RANGE_DAYS = 800
DRILL_DOWN_LIMIT = 300


@dataclass(frozen=True)
class Filters:
    since: date
    until: date  # inclusive
    channel: str = ""
    language: str = ""
    branch_id: int | None = None
    device_id: int | None = None
    within_turns: int = 5
    # The contact-centre pages' own filters (a routing queue's or a campaign's code).
    queue: str = ""
    campaign: str = ""

    def days(self) -> list[date]:
        return [self.since + timedelta(days=n) for n in range((self.until - self.since).days + 1)]

    def as_query(self) -> dict[str, str]:
        query = {"since": self.since.isoformat(), "until": self.until.isoformat()}
        for name in ("channel", "language"):
            if getattr(self, name):
                query[name] = getattr(self, name)
        if self.branch_id is not None:
            query["branch"] = str(self.branch_id)
        if self.device_id is not None:
            query["device"] = str(self.device_id)
        query["turns"] = str(self.within_turns)
        for name in ("queue", "campaign"):
            if getattr(self, name):
                query[name] = getattr(self, name)
        return query


def day_bounds(day: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def _step_map() -> dict[tuple[str, str], list[tuple[str, str]]]:
    found: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for scenario, flow, code, behaviour, kind in FlowStep.objects.values_list(
        "flow__scenario", "flow__code", "code", "behaviour", "kind"
    ).order_by("flow__code", "position"):
        found[(scenario, code)].append((flow, behaviour or kind))
    return found


def session_facts(sessions: QuerySet[DialogueSession]) -> list[SessionFacts]:
    """What each session recorded, in four queries whatever the number of sessions."""
    steps = _step_map()
    facts: dict[Any, SessionFacts] = {}
    for row in sessions.values(
        "id",
        "flow__code",
        "flow__scenario",
        "status",
        "channel",
        "language",
        "created_at",
        "current_step",
        "device_id",
        "device__branch_id",
    ):
        facts[row["id"]] = SessionFacts(
            id=row["id"],
            flow=row["flow__code"],
            scenario=row["flow__scenario"],
            status=row["status"],
            channel=row["channel"],
            language=row["language"],
            created_at=row["created_at"],
            current_step=row["current_step"],
            device_id=row["device_id"],
            branch_id=row["device__branch_id"],
        )
    if not facts:
        return []
    ids = sessions.values("id")
    for session_id, scenario, step, outcome, turn, detail in (
        FunnelEvent.objects.filter(session_id__in=ids)
        .order_by("session_id", "created_at", "id")
        .values_list("session_id", "scenario", "step", "outcome", "turn_number", "detail")
    ):
        owner = facts[session_id]
        candidates = steps.get((scenario, step)) or [(scenario, step)]
        flow, behaviour = next((c for c in candidates if c[0] == owner.flow), candidates[0])
        owner.events.append(
            EventFact(
                scenario=scenario,
                flow=flow,
                step=step,
                behaviour=behaviour,
                outcome=outcome,
                turn_number=turn,
                detail=detail if isinstance(detail, dict) else {},
            )
        )
    for session_id, reason in (
        Takeover.objects.filter(session_id__in=ids)
        .order_by("requested_at")
        .values_list("session_id", "reason")
    ):
        facts[session_id].takeover_reasons.append(reason)
    for session_id, sentiment, intent in (
        Turn.objects.filter(session_id__in=ids, role=Turn.Role.CUSTOMER)
        .order_by("session_id", "seq")
        .values_list("session_id", "sentiment", "intent")
    ):
        facts[session_id].sentiments.append(sentiment)
        facts[session_id].intents.append(intent)
    return list(facts.values())


RollupKey = tuple[str, str, bool, str, str, int | None, int | None]


def rollup_figures(facts: list[SessionFacts]) -> dict[RollupKey, Figure]:
    """Sum every session's contributions per (KPI, key, channel, language, device, branch),
    and per (KPI, key) over all of them (`total`): the rows of a day's roll-up."""
    sums: dict[RollupKey, Figure] = defaultdict(Figure)
    for session in facts:
        for code, made in kpi_defs.contributions(session).items():
            for contribution in made:
                dimensions = (
                    session.channel,
                    session.language,
                    session.device_id,
                    session.branch_id,
                )
                sums[(code, contribution.key, False, *dimensions)].add_contribution(contribution)
                sums[(code, contribution.key, True, "", "", None, None)].add_contribution(
                    contribution
                )
    return sums


def _sessions(filters: Filters, days: list[date] | None = None) -> QuerySet[DialogueSession]:
    sessions = DialogueSession.objects.all()
    if days is not None:
        # Consecutive days as one range: a year never rolled up is one condition, not 365.
        window = Q()
        for first, last in _runs(days):
            start, _end = day_bounds(first)
            _start, end = day_bounds(last)
            window |= Q(created_at__gte=start, created_at__lt=end)
        sessions = sessions.filter(window) if days else sessions.none()
    else:
        start, _end = day_bounds(filters.since)
        _start, end = day_bounds(filters.until)
        sessions = sessions.filter(created_at__gte=start, created_at__lt=end)
    if filters.channel:
        sessions = sessions.filter(channel=filters.channel)
    if filters.language:
        sessions = sessions.filter(language=filters.language)
    if filters.device_id is not None:
        sessions = sessions.filter(device_id=filters.device_id)
    if filters.branch_id is not None:
        sessions = sessions.filter(device__branch_id=filters.branch_id)
    return sessions


def _runs(days: list[date]) -> list[tuple[date, date]]:
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _live_days(filters: Filters) -> list[date]:
    today = timezone.localdate()
    days = [day for day in filters.days() if day <= today]
    rolled = set(
        RollupDay.objects.filter(day__gte=filters.since, day__lte=filters.until).values_list(
            "day", flat=True
        )
    )
    return [day for day in days if day not in rolled or day == today]


def _rollups(filters: Filters, kpis: list[str]) -> QuerySet[DailyRollup]:
    dimensioned = bool(
        filters.channel
        or filters.language
        or filters.device_id is not None
        or filters.branch_id is not None
    )
    rows = DailyRollup.objects.filter(
        total=not dimensioned, kpi__in=kpis, day__gte=filters.since, day__lte=filters.until
    )
    # Today is always computed live (events keep arriving), even if a roll-up ran earlier.
    rows = rows.exclude(day=timezone.localdate())
    if filters.channel:
        rows = rows.filter(channel=filters.channel)
    if filters.language:
        rows = rows.filter(language=filters.language)
    if filters.device_id is not None:
        rows = rows.filter(device_id=filters.device_id)
    if filters.branch_id is not None:
        rows = rows.filter(branch_id=filters.branch_id)
    return rows


def _needs_histogram(definition: KpiDef) -> bool:
    return definition.measure in (kpi_defs.MEDIAN, kpi_defs.WITHIN)


SUMS = {
    "n": Sum("numerator"),
    "d": Sum("denominator"),
    "e": Sum("events"),
    "vs": Sum("value_sum"),
    "vc": Sum("value_count"),
}


def _live_facts(filters: Filters) -> list[SessionFacts]:
    """The sessions of the range's days that are not rolled up (today at least), with what
    they recorded."""
    live_days = _live_days(filters)
    return session_facts(_sessions(filters, live_days)) if live_days else []


def kpi_figures(
    definitions: list[KpiDef], filters: Filters, live: list[SessionFacts] | None = None
) -> dict[str, dict[str, Figure]]:
    """{kpi code: {breakdown key: Figure}} over the filters' range."""
    result: dict[str, dict[str, Figure]] = {d.code: defaultdict(Figure) for d in definitions}
    codes = [d.code for d in definitions]
    rows = _rollups(filters, codes)
    summed: Iterable[Any] = rows.values("kpi", "key").annotate(**SUMS)
    for row in summed:
        result[row["kpi"]][row["key"]].add(row["n"], row["d"], row["e"], row["vs"], row["vc"], {})
    histogram_codes = [d.code for d in definitions if _needs_histogram(d)]
    if histogram_codes:
        for code, key, histogram in rows.filter(kpi__in=histogram_codes).values_list(
            "kpi", "key", "histogram"
        ):
            result[code][key].add(0, 0, 0, 0.0, 0, histogram)
    if live is None:
        live = _live_facts(filters)
    if live:
        wanted = set(codes)
        for session in live:
            for definition in definitions:
                if definition.code not in wanted:
                    continue
                for contribution in definition.evaluate(session):
                    result[definition.code][contribution.key].add_contribution(contribution)
    return {code: dict(figures) for code, figures in result.items()}


def _value(definition: KpiDef, figure: Figure, filters: Filters) -> float | None:
    return figure.result(definition.measure, filters.within_turns)


def page_report(page_code: str, filters: Filters) -> dict[str, Any]:
    """A page's KPIs: each one's name, definition, measure, value and basis (and breakdown)."""
    page = kpi_defs.page(page_code)
    live = _live_facts(filters)  # read once for the figures, the count and the chart
    counted = kpi_defs.page_sessions(page)
    figures = kpi_figures([*page.kpis, counted], filters, live)
    report: list[dict[str, Any]] = []
    for definition in page.kpis:
        by_key = figures.get(definition.code, {})
        if definition.measure == kpi_defs.BREAKDOWN:
            sessions = by_key.get("", Figure()).denominator
            rows: list[dict[str, Any]] = []
            for key, figure in by_key.items():
                if not key:
                    continue
                whole = figure.denominator if definition.breakdown_of == "key" else sessions
                rows.append(
                    {
                        "key": key,
                        "numerator": figure.numerator,
                        "denominator": whole,
                        "value": figure.numerator / whole if whole else None,
                    }
                )
            rows.sort(key=lambda row: (-row["numerator"], row["key"]))
            report.append(
                {
                    "code": definition.code,
                    "name": str(definition.name),
                    "definition": str(definition.definition),
                    "measure": definition.measure,
                    "value": None,
                    "numerator": sum(r["numerator"] for r in rows),
                    "denominator": sessions,
                    "breakdown": rows[:20],
                }
            )
            continue
        figure = by_key.get("", Figure())
        report.append(
            {
                "code": definition.code,
                "name": str(definition.name),
                "definition": str(definition.definition),
                "measure": definition.measure,
                "value": _value(definition, figure, filters),
                "numerator": figure.numerator,
                "denominator": figure.denominator,
                "breakdown": [],
            }
        )
    return {
        "page": page.code,
        "title": str(page.title),
        "filters": filters.as_query(),
        "sessions": figures[counted.code].get("", Figure()).denominator,
        "kpis": report,
        "trend": page_series(page.code, page.trend, filters, live) if page.trend else None,
    }


def _session_count(filters: Filters, page: kpi_defs.Page) -> int:
    """Sessions with an event at a step of the page's flows (every session: across)."""
    sessions = kpi_defs.page_sessions(page)
    return kpi_figures([sessions], filters)[sessions.code].get("", Figure()).denominator


def page_series(
    page_code: str, kpi_code: str, filters: Filters, live: list[SessionFacts] | None = None
) -> dict[str, Any]:
    """One KPI day by day over the range (the page's chart)."""
    definition = kpi_defs.kpi(kpi_code)
    if not kpi_code.startswith(f"{page_code}."):
        raise KeyError(kpi_code)
    per_day: dict[date, Figure] = defaultdict(Figure)
    rows = _rollups(filters, [kpi_code]).filter(key="")
    per_day_sums: Iterable[Any] = rows.values("day").annotate(**SUMS)
    for row in per_day_sums:
        per_day[row["day"]].add(row["n"], row["d"], row["e"], row["vs"], row["vc"], {})
    if _needs_histogram(definition):
        for day, histogram in rows.values_list("day", "histogram"):
            per_day[day].add(0, 0, 0, 0.0, 0, histogram)
    if live is None:
        live = _live_facts(filters)
    if live:
        for session in live:
            day = timezone.localtime(session.created_at).date()
            for contribution in definition.evaluate(session):
                if not contribution.key:
                    per_day[day].add_contribution(contribution)
    points = []
    for day in filters.days():
        figure = per_day.get(day)
        points.append(
            {
                "day": day.isoformat(),
                "value": _value(definition, figure, filters) if figure else None,
                "numerator": figure.numerator if figure else 0,
                "denominator": figure.denominator if figure else 0,
            }
        )
    return {
        "kpi": definition.code,
        "name": str(definition.name),
        "measure": definition.measure,
        "points": points,
    }


def sessions_behind(
    kpi_code: str, filters: Filters, *, key: str = "", part: str = "numerator"
) -> list[Any]:
    """The sessions (newest first, at most DRILL_DOWN_LIMIT) counted in a KPI's numerator (or
    denominator) over the range: what a number on the page is made of."""
    definition = kpi_defs.kpi(kpi_code)
    sessions = _sessions(filters)
    found = []
    for session in sorted(session_facts(sessions), key=lambda s: s.created_at, reverse=True):
        for contribution in definition.evaluate(session):
            if contribution.key != key:
                continue
            if (contribution.numerator if part == "numerator" else contribution.denominator) > 0:
                found.append(session.id)
                break
        if len(found) >= DRILL_DOWN_LIMIT:
            break
    return found


def filter_choices() -> dict[str, list[tuple[str, str]]]:
    """The values the dashboard's filters offer: the channels, languages and devices there are
    (devices through the session's relation: the domain does not import the channel app)."""
    device_model: Any = DialogueSession._meta.get_field("device").related_model
    branch_names: dict[int, str] = {}
    device_names: dict[int, str] = {}
    for device_id, name, branch_id, branch_code in device_model.objects.values_list(
        "id", "name", "branch_id", "branch__code"
    ):
        device_names[device_id] = name
        if branch_id is not None:
            branch_names[branch_id] = branch_code
    return {
        "channel": [(c, c) for c in session_channels()],
        "delivery_channel": [(c, c) for c in sorted(DELIVERY_CHANNELS)],
        "queue": list(RoutingQueue.objects.order_by("code").values_list("code", "name")),
        "campaign": list(Campaign.objects.order_by("code").values_list("code", "name")),
        "language": [(code, str(name)) for code, name in settings.LANGUAGES],
        "branch": sorted(((str(k), v) for k, v in branch_names.items()), key=lambda x: x[1]),
        "device": sorted(((str(k), v) for k, v in device_names.items()), key=lambda x: x[1]),
    }


class FilterError(ValueError):
    """A dashboard filter that cannot be read; the message names it."""


def _int(params: Any, name: str) -> int | None:
    raw = params.get(name) or ""
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise FilterError(f"{name} must be a whole number, not {raw!r}") from None


def parse_filters(params: Any, *, default_days: int = 30) -> Filters:
    """The filters of a dashboard request (GET parameters); FilterError for bad input."""
    today = timezone.localdate()
    try:
        until = date.fromisoformat(params.get("until")) if params.get("until") else today
        since = (
            date.fromisoformat(params.get("since"))
            if params.get("since")
            else until - timedelta(days=default_days - 1)
        )
    except ValueError:
        raise FilterError("since and until must be dates like 2026-11-01") from None
    if since > until:
        raise FilterError("since is after until")
    if (until - since).days >= MAX_RANGE_DAYS:
        raise FilterError(f"the range is limited to {MAX_RANGE_DAYS} days")
    turns = _int(params, "turns")
    if turns is None:
        turns = int(settings.ANALYTICS_WITHIN_TURNS)
    if not 1 <= turns <= 100:
        raise FilterError("turns must be between 1 and 100")
    channel = str(params.get("channel") or "")
    language = str(params.get("language") or "")
    if len(channel) > 20 or len(language) > 10:
        raise FilterError("unknown channel or language")
    queue = str(params.get("queue") or "")
    campaign = str(params.get("campaign") or "")
    if len(queue) > 40 or len(campaign) > 40:
        raise FilterError("unknown queue or campaign")
    return Filters(
        since=since,
        until=until,
        channel=channel,
        language=language,
        branch_id=_int(params, "branch"),
        device_id=_int(params, "device"),
        within_turns=turns,
        queue=queue,
        campaign=campaign,
    )


STUDIO_PAGE = "video_studio"


# Pages computed live from their own records (not sessions' KPI roll-ups); their numbers drill
# down to the admin lists of those records, not to sessions.
CONTACT_PAGE = "contact_centre"
OUTBOUND_PAGE = "outbound"
RECORD_PAGES = (STUDIO_PAGE, CONTACT_PAGE, OUTBOUND_PAGE)


def page_codes() -> list[str]:
    return [page.code for page in kpi_defs.pages()] + list(RECORD_PAGES)


def studio_report(filters: Filters) -> dict[str, Any]:
    """The video studio's KPIs (content.studio), over the range; they are not conversations,
    so the channel, branch, device and language filters do not apply."""
    start, _end = day_bounds(filters.since)
    _start, end = day_bounds(filters.until)
    figures = studio_kpis(since=start, until=end)
    rows: list[dict[str, Any]] = []
    for code, name, definition, part, whole in (
        (
            "video_studio.script_adoption",
            _("Script adoption rate"),
            _("Approved scripts / scripts generated from a topic or template (in the range)."),
            ("script_adoption_rate", "approved"),
            ("script_adoption_rate", "generated"),
        ),
        (
            "video_studio.content_adoption",
            _("Content adoption rate"),
            _("Rendered videos published on at least one target / rendered videos."),
            ("content_adoption_rate", "published"),
            ("content_adoption_rate", "rendered"),
        ),
        (
            "video_studio.third_party_sync",
            _("Third-party sync success rate"),
            _("Finished publications to third-party targets that succeeded / finished ones."),
            ("third_party_sync_success_rate", "succeeded"),
            ("third_party_sync_success_rate", "finished"),
        ),
    ):
        numerator = int(figures[part[0]][part[1]])
        denominator = int(figures[whole[0]][whole[1]])
        rows.append(
            {
                "code": code,
                "name": name,
                "definition": definition,
                "measure": kpi_defs.RATIO,
                "value": numerator / denominator if denominator else None,
                "numerator": numerator,
                "denominator": denominator,
                "breakdown": [],
            }
        )
    for code, name, field_name in (
        (
            "video_studio.script_generations",
            _("Script generations per hot topic"),
            "script_generations",
        ),
        (
            "video_studio.content_generations",
            _("Content generations per hot topic"),
            "content_generations",
        ),
    ):
        topics = figures[f"{field_name}_per_hot_topic"]
        rows.append(
            {
                "code": code,
                "name": name,
                "definition": _(
                    "Generated versions (or rendered videos) of each of the topic pool's hot "
                    "topics."
                ),
                "measure": kpi_defs.BREAKDOWN,
                "value": None,
                "numerator": sum(int(t[field_name]) for t in topics),
                "denominator": len(topics),
                "breakdown": [
                    {
                        "key": str(t["title"])[:80],
                        "numerator": int(t[field_name]),
                        "denominator": None,
                        "value": None,
                    }
                    for t in topics
                ],
            }
        )
    return {
        "page": STUDIO_PAGE,
        "title": _("Video studio"),
        "filters": filters.as_query(),
        "sessions": None,
        "kpis": rows,
        "trend": None,
    }


def page_session_counts(page_codes: list[str], filters: Filters) -> dict[str, int]:
    """Each page's session count over the filters, in one read of the roll-ups."""
    counted = {code: kpi_defs.page_sessions(kpi_defs.page(code)) for code in page_codes}
    figures = kpi_figures(list(counted.values()), filters)
    return {
        code: figures[definition.code].get("", Figure()).denominator
        for code, definition in counted.items()
    }
