"""Time the analytics dashboards over a year of events.

Generates `--days` days of sessions with their funnel events, customer turns and takeovers in
bulk (a seeded generator: the same figures every run), `--handovers` hand-overs a day routed
through three queues (entries and routing events: answered, abandoned, overflowed, transferred)
with the agents' presence and handling periods (occupancy), and outbound campaigns contacting
`--customers` generated customers twice a month (contact attempts with outcomes, and a few held
back for quiet hours the night before), rolls every day up, then requests each dashboard page,
export and API call `--repeat` times as an operations user and prints p50/p95 per page.
Everything runs in one transaction that is rolled back: the database is left as it was.
Target: p95 <= 300 ms per page.
"""

from __future__ import annotations

import random
import statistics
import time as clock
import uuid
from datetime import datetime, time, timedelta, tzinfo
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.test import Client
from django.utils import timezone

from scenarios.agentrouting.models import (
    HandlingPeriod,
    PresencePeriod,
    QueueEntry,
    RoutingEvent,
    RoutingQueue,
)
from scenarios.analytics.services import rollup_range
from scenarios.models import Customer, DialogueSession, Flow, FunnelEvent, Takeover, Turn
from scenarios.outbound.models import Campaign, ContactAttempt, ContactHold, Segment

TARGET_P95_MS = 300.0

# What a session of each flow records, step by step; each step is passed with its chance.
JOURNEYS: dict[str, list[tuple[str, str, float]]] = {
    "credit_card": [
        ("ask_needs", "entered", 1.0),
        ("recommend", "recommended", 0.85),
        ("choose_card", "card_chosen", 0.7),
        ("documents", "entered", 0.8),
        ("documents", "precheck_passed", 0.75),
        ("value_added_services", "entered", 1.0),
        ("value_added_services", "services_skipped", 0.9),
        ("risk_disclosure", "entered", 1.0),
        ("risk_disclosure", "disclosure_acknowledged", 0.9),
        ("submit_application", "application_submitted", 0.95),
        ("application_status", "rated", 0.6),
    ],
    "card_quiz": [
        ("quiz_spend", "entered", 1.0),
        ("quiz_cards", "recommended", 0.8),
        ("quiz_choose", "card_chosen", 0.6),
        ("quiz_end", "completed", 0.9),
    ],
    "branch_hall": [
        ("ask_service", "entered", 1.0),
        ("ask_service", "service_matched", 0.9),
        ("confirm_service", "confirmed", 0.9),
        ("issue_ticket", "ticket_issued", 0.9),
        ("goodbye", "rated", 0.5),
    ],
    "super_teller": [
        ("locate", "need_located", 0.85),
        ("confirm_guide", "guide_started", 0.9),
        ("insert_card", "entered", 1.0),
        ("enter_pin", "entered", 0.9),
        ("done", "guide_completed", 0.85),
    ],
    "pre_sales": [
        ("describe_need", "located", 0.85),
        ("confirm_module", "confirmed", 0.9),
        ("guide", "entered", 0.9),
        ("satisfaction", "rated", 0.7),
        ("closing", "completed", 0.95),
    ],
    "after_sales": [
        ("describe_problem", "located", 0.85),
        ("answer", "answered", 0.95),
        ("answer", "resolved", 0.7),
        ("satisfaction", "rated", 0.7),
        ("closing", "completed", 0.95),
    ],
}
CHANNELS = {
    "credit_card": ["app", "web"],
    "card_quiz": ["kiosk", "hall_screen"],
    "branch_hall": ["kiosk", "hall_screen"],
    "super_teller": ["vtm"],
    "pre_sales": ["app"],
    "after_sales": ["app", "web"],
}
INTENTS = ["card_apply", "fee_waiver", "lost_card", "balance", "transfer", "fx", "loan", ""]
SENTIMENTS = ["neutral", "neutral", "neutral", "positive", "negative", "angry"]


class Command(BaseCommand):
    help = "Time the analytics dashboards over a year of generated events (rolled back)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument("--per-day", type=int, default=120, help="sessions a day")
        parser.add_argument("--repeat", type=int, default=15, help="requests per page")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--handovers", type=int, default=40, help="routed hand-overs a day")
        parser.add_argument(
            "--customers", type=int, default=2000, help="customers each campaign targets"
        )

    def handle(self, *args: object, **options: object) -> None:
        days, per_day = int(options["days"]), int(options["per_day"])  # type: ignore[call-overload]
        repeat = int(options["repeat"])  # type: ignore[call-overload]
        if not 1 <= days <= 800 or not 1 <= per_day <= 5000 or not 1 <= repeat <= 500:
            raise CommandError("--days 1–800, --per-day 1–5000, --repeat 1–500")
        flows = {flow.code: flow for flow in Flow.objects.filter(code__in=list(JOURNEYS))}
        missing = set(JOURNEYS) - set(flows)
        if missing:
            raise CommandError(f"flows missing (run seed_demo first): {', '.join(sorted(missing))}")
        with transaction.atomic():
            started = clock.perf_counter()
            sessions, events = self.generate(flows, days, per_day, random.Random(options["seed"]))
            generated = clock.perf_counter() - started
            self.stdout.write(
                f"generated {sessions} sessions, {events} funnel events over {days} days "
                f"in {generated:.1f} s"
            )
            started = clock.perf_counter()
            rng = random.Random(f"{options['seed']}-contact")
            entries, routing_events = self.generate_routing(
                flows["after_sales"],
                days,
                int(options["handovers"]),
                rng,  # type: ignore[call-overload]
            )
            attempts = self.generate_attempts(days, int(options["customers"]), rng)  # type: ignore[call-overload]
            self.stdout.write(
                f"generated {entries} queue entries, {routing_events} routing events, "
                f"{attempts} contact attempts in {clock.perf_counter() - started:.1f} s"
            )
            today = timezone.localdate()
            started = clock.perf_counter()
            rows = rollup_range(today - timedelta(days=days), today - timedelta(days=1))
            self.stdout.write(
                f"rolled up {days} days into {rows} rows in {clock.perf_counter() - started:.1f} s"
            )
            self.time_pages(days, repeat)
            transaction.set_rollback(True)

    def generate(
        self, flows: dict[str, Flow], days: int, per_day: int, rng: random.Random
    ) -> tuple[int, int]:
        zone = timezone.get_current_timezone()
        today = timezone.localdate()
        sessions: list[DialogueSession] = []
        events: list[FunnelEvent] = []
        turns: list[Turn] = []
        takeovers: list[Takeover] = []
        codes = list(JOURNEYS)
        for back in range(days, 0, -1):
            day = today - timedelta(days=back)
            for _ in range(per_day):
                code = rng.choice(codes)
                flow = flows[code]
                started = datetime.combine(day, time(8), tzinfo=zone) + timedelta(
                    minutes=rng.uniform(0, 12 * 60)
                )
                session = DialogueSession(
                    id=uuid.uuid4(),
                    flow=flow,
                    channel=rng.choice(CHANNELS[code]),
                    language=rng.choice(["zh-hans", "zh-hans", "en"]),
                    status=DialogueSession.Status.COMPLETED,
                    current_step="",
                    created_at=started,
                )
                turn = 0
                for step, outcome, chance in JOURNEYS[code]:
                    if rng.random() > chance:
                        session.status = rng.choice(
                            [DialogueSession.Status.ACTIVE, DialogueSession.Status.ABANDONED]
                        )
                        break
                    turn += 1
                    session.current_step = step
                    detail: dict[str, object] = {}
                    if outcome == "rated":
                        detail = {"score": rng.choice([2, 3, 4, 4, 5, 5])}
                    elif outcome == "guide_started":
                        detail = {"guide": rng.choice(["vtm_transfer", "vtm_card_loss"])}
                    elif outcome == "located":
                        detail = {"key": rng.choice(["credit_card_apply", "fx_buy", "autopay"])}
                    elif outcome == "completed" and code in ("pre_sales", "after_sales"):
                        detail = {"handling_seconds": rng.randint(40, 600)}
                    elif outcome == "answered":
                        detail = {"answer_kind": rng.choice(["curated", "generated", "not_found"])}
                    events.append(
                        FunnelEvent(
                            session=session,
                            scenario=flow.scenario,
                            step=step,
                            outcome=outcome,
                            turn_number=turn,
                            channel=session.channel,
                            detail=detail,
                            created_at=started + timedelta(seconds=20 * turn),
                        )
                    )
                    turns.append(
                        Turn(
                            session=session,
                            seq=turn,
                            role=Turn.Role.CUSTOMER,
                            text="…",
                            step=step,
                            intent=rng.choice(INTENTS),
                            sentiment=rng.choice(SENTIMENTS),
                            created_at=started + timedelta(seconds=20 * turn),
                        )
                    )
                session.turn_count = turn
                if rng.random() < 0.06:
                    session.status = DialogueSession.Status.HANDED_OVER
                    takeovers.append(
                        Takeover(
                            session=session,
                            state=Takeover.State.ENDED,
                            reason=rng.choice(["asked_for_person", "anger", "repeated_failure"]),
                            requested_at=started + timedelta(minutes=3),
                        )
                    )
                sessions.append(session)
        DialogueSession.objects.bulk_create(sessions, batch_size=5000)
        FunnelEvent.objects.bulk_create(events, batch_size=5000)
        Turn.objects.bulk_create(turns, batch_size=5000)
        Takeover.objects.bulk_create(takeovers, batch_size=5000)
        return len(sessions), len(events)

    def generate_routing(
        self, flow: Flow, days: int, per_day: int, rng: random.Random
    ) -> tuple[int, int]:
        """Hand-overs through three queues, each one's events as the routing writes them."""
        zone = timezone.get_current_timezone()
        today = timezone.localdate()
        tag = uuid.uuid4().hex[:6]
        vip = RoutingQueue.objects.create(code=f"bench-vip-{tag}", name="VIP", sla_seconds=30)
        queues = [
            RoutingQueue.objects.create(
                code=f"bench-general-{tag}",
                name="General",
                sla_seconds=60,
                overflow_after_seconds=120,
                overflow_to=vip,
            ),
            RoutingQueue.objects.create(code=f"bench-cards-{tag}", name="Cards", sla_seconds=45),
            vip,
        ]
        user_model = get_user_model()
        agents = [
            user_model.objects.create_user(username=f"bench-agent-{tag}-{n}") for n in range(6)
        ]
        sessions: list[DialogueSession] = []
        takeovers: list[Takeover] = []
        plans: list[tuple[RoutingQueue, datetime, int, str, bool, bool]] = []
        for back in range(days, 0, -1):
            day = today - timedelta(days=back)
            for _ in range(per_day):
                started = datetime.combine(day, time(8), tzinfo=zone) + timedelta(
                    minutes=rng.uniform(0, 12 * 60)
                )
                session = DialogueSession(
                    id=uuid.uuid4(),
                    flow=flow,
                    channel=rng.choice(["app", "web"]),
                    language=rng.choice(["zh-hans", "zh-hans", "en"]),
                    status=DialogueSession.Status.COMPLETED,
                    created_at=started,
                )
                sessions.append(session)
                takeovers.append(
                    Takeover(
                        session=session,
                        state=Takeover.State.ENDED,
                        reason="asked_for_person",
                        requested_at=started,
                    )
                )
                wait = int(
                    rng.choice([rng.uniform(3, 40), rng.uniform(30, 100), rng.uniform(90, 300)])
                )
                plans.append(
                    (
                        rng.choice(queues),
                        started,
                        wait,
                        rng.choice(["answered"] * 8 + ["abandoned"]),
                        rng.random() < 0.1,  # transferred
                        rng.random() < 0.5,  # overflows when it waits past the time
                    )
                )
        DialogueSession.objects.bulk_create(sessions, batch_size=5000)
        Takeover.objects.bulk_create(takeovers, batch_size=5000)
        entries: list[QueueEntry] = []
        for (queue, started, wait, end, _t, overflow), takeover in zip(
            plans, takeovers, strict=True
        ):
            moved = overflow and queue.overflow_to is not None and wait > 120
            entries.append(
                QueueEntry(
                    takeover=takeover,
                    session=takeover.session,
                    queue=queue.overflow_to if moved else queue,
                    state=QueueEntry.State.DONE
                    if end == "answered"
                    else QueueEntry.State.ABANDONED,
                    entered_at=started,
                    queued_at=started,
                    overflows=1 if moved else 0,
                )
            )
        QueueEntry.objects.bulk_create(entries, batch_size=5000)
        events: list[RoutingEvent] = []
        handling: list[HandlingPeriod] = []
        for entry, (queue, started, wait, end, transferred, _o) in zip(entries, plans, strict=True):
            agent = rng.choice(agents)
            steps: list[tuple[str, int, RoutingQueue, dict[str, object]]] = [
                ("queued", 0, queue, {})
            ]
            if entry.overflows:
                steps.append(("overflowed", 120, queue, {"to": entry.queue.code}))
            steps.append((end, wait, entry.queue, {}))
            if end == "answered" and transferred:
                steps.append(("transferred", wait + 60, entry.queue, {}))
            if end == "answered":
                steps.append(("done", wait + 300, entry.queue, {}))
                handed_on = wait + (60 if transferred else 300)
                handling.append(
                    HandlingPeriod(
                        agent=agent,
                        entry=entry,
                        started_at=started + timedelta(seconds=wait),
                        ended_at=started + timedelta(seconds=handed_on),
                    )
                )
            events.extend(
                RoutingEvent(
                    entry=entry,
                    queue=where,
                    kind=kind,
                    agent=agent if kind in ("answered", "transferred", "done") else None,
                    waited_seconds=seconds,
                    detail=detail,
                    at=started + timedelta(seconds=seconds),
                )
                for kind, seconds, where, detail in steps
            )
        RoutingEvent.objects.bulk_create(events, batch_size=5000)
        HandlingPeriod.objects.bulk_create(handling, batch_size=5000)
        PresencePeriod.objects.bulk_create(self.shifts(agents, days, zone), batch_size=5000)
        return len(entries), len(events)

    def shifts(self, agents: list[Any], days: int, zone: tzinfo) -> list[PresencePeriod]:
        """Each agent's day for occupancy: online 08:00-13:00, away for lunch, online again
        14:00-20:30; the last agent works late (16:00 to 00:30 the next day: across midnight)."""
        today = timezone.localdate()
        periods: list[PresencePeriod] = []
        for back in range(days, 0, -1):
            midnight = datetime.combine(today - timedelta(days=back), time(0), tzinfo=zone)
            for number, agent in enumerate(agents):
                spans = [("online", 8, 13), ("away", 13, 14), ("online", 14, 20.5)]
                if number == len(agents) - 1:
                    spans = [("online", 16, 24.5)]
                periods.extend(
                    PresencePeriod(
                        agent=agent,
                        presence=presence,
                        started_at=midnight + timedelta(hours=begin),
                        ended_at=midnight + timedelta(hours=end),
                    )
                    for presence, begin, end in spans
                )
        return periods

    def generate_attempts(self, days: int, customers: int, rng: random.Random) -> int:
        """Two campaigns a month, each contacting every generated customer once."""
        zone = timezone.get_current_timezone()
        today = timezone.localdate()
        tag = uuid.uuid4().hex[:6]
        people = Customer.objects.bulk_create(
            [
                Customer(
                    customer_no=f"B{tag}{n:06d}",
                    full_name="Bench",
                    preferred_language=rng.choice(["zh-hans", "en"]),
                    birth_year=1980,
                    id_last4="0000",
                    mobile_masked="138****0000",
                    income_band="100k_250k",
                    created_at=timezone.now(),
                )
                for n in range(customers)
            ],
            batch_size=5000,
        )
        segment = Segment.objects.create(code=f"bench-{tag}", name="bench")
        attempts: list[ContactAttempt] = []
        holds: list[ContactHold] = []
        for number, back in enumerate(range(days, 0, -15)):
            day = today - timedelta(days=back)
            channel = ["app_inbox", "wechat", "voice"][number % 3]
            campaign = Campaign.objects.create(
                code=f"bench-{tag}-{number}",
                name=f"Bench {number}",
                segment=segment,
                channel=channel,
                status=Campaign.Status.FINISHED,
                script={"start": "open", "steps": {"open": {"text": {"en": "hi"}}}},
            )
            for person in people:
                at = datetime.combine(day, time(10), tzinfo=zone) + timedelta(
                    minutes=rng.uniform(0, 9 * 60)
                )
                roll = rng.random()
                status, reason, outcome = "sent", "", ""
                if roll < 0.08:
                    status, reason = (
                        "skipped",
                        rng.choice(["do_not_contact", "no_consent", "frequency_cap"]),
                    )
                elif roll < 0.12:
                    status = "failed"
                else:
                    outcome = rng.choice(
                        ["", "", "", "reached", "interested", "converted", "opted_out"]
                    )
                attempts.append(
                    ContactAttempt(
                        campaign=campaign,
                        customer=person,
                        channel=channel,
                        status=status,
                        skip_reason=reason,
                        outcome=outcome,
                        created_at=at,
                    )
                )
            # A run the night before met quiet hours and held back a few of them.
            holds.extend(
                ContactHold(
                    campaign=campaign,
                    customer=person,
                    reason=ContactHold.Reason.QUIET_HOURS,
                    first_held_at=datetime.combine(day, time(22), tzinfo=zone)
                    - timedelta(days=1, minutes=rng.uniform(0, 90)),
                    last_held_at=datetime.combine(day, time(7), tzinfo=zone),
                )
                for person in people
                if rng.random() < 0.05
            )
        ContactAttempt.objects.bulk_create(attempts, batch_size=5000)
        ContactHold.objects.bulk_create(holds, batch_size=5000)
        return len(attempts)

    def time_pages(self, days: int, repeat: int) -> None:
        user_model = get_user_model()
        user = user_model.objects.create_user(username=f"bench-{uuid.uuid4().hex[:8]}")
        user.is_staff = True
        user.save()
        operations = Group.objects.filter(name="operations").first()
        if operations is None:
            raise CommandError("the operations group is missing: run sync_roles (or seed_demo)")
        user.groups.add(operations)
        hosts = [h for h in settings.ALLOWED_HOSTS if h and "*" not in h]
        client = Client(HTTP_HOST=(hosts[0].lstrip(".") if hosts else "localhost"))
        client.force_login(user)
        year = f"since={timezone.localdate() - timedelta(days=days)}&until={timezone.localdate()}"
        month = f"since={timezone.localdate() - timedelta(days=29)}&until={timezone.localdate()}"
        pages = [
            ("index, 30 days", f"/admin/analytics/?{month}"),
            ("index, a year", f"/admin/analytics/?{year}"),
            *(
                (f"{page}, a year", f"/admin/analytics/{page}/?{year}")
                for page in ("credit_card", "branch_hall", "super_teller", "app_service")
            ),
            ("credit_card, a year, web", f"/admin/analytics/credit_card/?{year}&channel=web"),
            ("video_studio, a year", f"/admin/analytics/video_studio/?{year}"),
            ("contact_centre, a year", f"/admin/analytics/contact_centre/?{year}"),
            ("contact_centre, a year, app", f"/admin/analytics/contact_centre/?{year}&channel=app"),
            ("outbound, a year", f"/admin/analytics/outbound/?{year}"),
            ("API contact_centre, a year", f"/api/analytics/pages/contact_centre/?{year}"),
            ("export outbound xlsx, a year", f"/admin/analytics/outbound/export.xlsx?{year}"),
            ("export xlsx, a year", f"/admin/analytics/branch_hall/export.xlsx?{year}"),
            ("API page, a year", f"/api/analytics/pages/across/?{year}"),
            (
                "API series, a year",
                f"/api/analytics/pages/credit_card/series/?{year}&kpi=credit_card.completion",
            ),
            (
                "API series occupancy, a year",
                f"/api/analytics/pages/contact_centre/series/?{year}&kpi=contact_centre.occupancy",
            ),
            (
                "API series held back, a year",
                f"/api/analytics/pages/outbound/series/?{year}&kpi=outbound.held_back",
            ),
            (
                "outbound, a year, held chart",
                f"/admin/analytics/outbound/?{year}&chart=outbound.held_back",
            ),
        ]
        header = f"{'page':<30} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  target p95 <= 300"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for name, url in pages:
            timings = []
            for _ in range(repeat):
                started = clock.perf_counter()
                response = client.get(url)
                timings.append((clock.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise CommandError(f"{url}: HTTP {response.status_code}")
            timings.sort()
            p50 = statistics.median(timings)
            p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
            verdict = "ok" if p95 <= TARGET_P95_MS else "SLOW"
            self.stdout.write(f"{name:<30} {p50:>8.0f} {p95:>8.0f} {timings[-1]:>8.0f}  {verdict}")
