"""Time the analytics dashboards over a year of events.

Generates `--days` days of sessions with their funnel events, customer turns and takeovers in
bulk (a seeded generator: the same figures every run), rolls every day up, then requests each
dashboard page, export and API call `--repeat` times as an operations user and prints p50/p95
per page. Everything runs in one transaction that is rolled back: the database is left as it
was. Target: p95 <= 300 ms per page.
"""

from __future__ import annotations

import random
import statistics
import time as clock
import uuid
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.test import Client
from django.utils import timezone

from scenarios.analytics.services import rollup_range
from scenarios.models import DialogueSession, Flow, FunnelEvent, Takeover, Turn

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
            ("export xlsx, a year", f"/admin/analytics/branch_hall/export.xlsx?{year}"),
            ("API page, a year", f"/api/analytics/pages/across/?{year}"),
            (
                "API series, a year",
                f"/api/analytics/pages/credit_card/series/?{year}&kpi=credit_card.completion",
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
