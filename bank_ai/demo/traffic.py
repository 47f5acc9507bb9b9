"""Simulated customer traffic: scripted conversations of every scenario, run through the real
dialogue engine, then dated back to the day they stand for.

Each conversation is a customer with a script (what they say at each step, in Chinese or
English) and a temperament (how likely they are to stop, correct themselves, ask a side
question, want a person, rate the session). The engine answers as it answers anyone; the
customer reads the step it is at and says the next line, so the funnel events, turns, tickets
and takeovers are the engine's own. Afterwards every timestamp the conversation wrote is moved
back to a time on the simulated day.

Idempotent per day: a day that has simulated sessions (marked in their memory) is skipped.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from bank_ai.demo import contact, contact_traffic
from devices.models import Device
from scenarios import dialogue
from scenarios.analytics.services import rollup_range
from scenarios.applications import application_document_upload
from scenarios.branches.models import Ticket, TicketSequence
from scenarios.dialogue import DialogueError, TurnResult
from scenarios.models import (
    CardApplication,
    DialogueSession,
    FunnelEvent,
    Takeover,
    Turn,
)
from scenarios.services import RatingError, session_rate
from scenarios.takeover import TakeoverError, agent_say, takeover_end, takeover_start

MARK = "simulated_traffic"
MAX_TURNS = 24
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class Customer:
    rng: random.Random
    language: str
    stop_chance: float  # at each step with a choice, the chance to walk away
    rates: bool
    wants_person: bool
    said: list[str] = field(default_factory=list)

    @property
    def zh(self) -> bool:
        return self.language == "zh-hans"

    def pick(self, zh: list[str], en: list[str]) -> str:
        return self.rng.choice(zh if self.zh else en)

    def stops(self, factor: float = 1.0) -> bool:
        return self.rng.random() < self.stop_chance * factor


YES = (["好的", "对", "是的", "可以"], ["yes", "yes please", "ok", "sure"])
DONE = (["好了", "完成了", "下一步"], ["done", "ok, done", "next"])
PERSON = (
    ["我要转人工", "找个人工客服"],
    ["I want to talk to a person", "let me speak to an agent"],
)


# ----------------------------------------------------------------------- the scripts


def _credit_card_line(customer: Customer, step: str, result: TurnResult) -> str | None:
    c = customer
    lines: dict[str, Callable[[], str | None]] = {
        "ask_needs": lambda: c.pick(
            [
                "我经常出国旅游，也喜欢吃美食",
                "平时网购比较多",
                "想要一张加油打折的卡",
                "我刚工作，想办第一张信用卡",
            ],
            [
                "I travel a lot for business and eat out",
                "I shop online a lot",
                "I want a card for fuel discounts",
                "I just started working and want my first card",
            ],
        ),
        "quiz_spend": lambda: c.pick(
            ["我经常出国旅游", "网购多", "吃饭多"], ["travel", "online shopping", "dining"]
        ),
        "ask_income": lambda: c.pick(
            ["年收入大概25万", "年收入10万左右", "年收入60万"],
            ["I earn about 250k a year", "about 100k a year", "I earn about 600k a year"],
        ),
        "quiz_income": lambda: c.pick(
            ["年收入20万", "年收入50万"], ["I earn about 200k a year", "I earn about 500k a year"]
        ),
        "ask_fee": lambda: c.pick(
            ["年费无所谓", "最好免年费"], ["I don't mind the fee", "no annual fee please"]
        ),
        "quiz_fee": lambda: c.pick(["不要年费", "无所谓"], ["no fee", "I don't mind"]),
        "confirm_needs": lambda: c.pick(*YES),
        "quiz_result": lambda: c.pick(*YES),
        "choose_card": lambda: (
            None if c.stops() else c.pick(["第一张", "第二张"], ["the first one", "the second one"])
        ),
        "quiz_choose": lambda: (
            None if c.stops() else c.pick(["第一张", "第一个"], ["the first one"])
        ),
        "card_details": lambda: (
            None
            if c.stops()
            else c.pick(["好的", "我要申请"], ["great, let's apply", "yes, apply"])
        ),
        "quiz_details": lambda: c.pick(["谢谢", "好的"], ["thanks", "ok"]),
        "value_added_services": lambda: (
            None if c.stops() else c.pick(["第一个", "都不要"], ["none, thanks", "the first one"])
        ),
        "risk_disclosure": lambda: (
            None if c.stops() else c.pick(["我已阅读并同意"], ["I have read and agree"])
        ),
        "submit_application": lambda: c.pick(["确认提交"], ["yes, submit it"]),
        "application_status": lambda: None if c.stops(3) else c.pick(["好的"], ["yes please"]),
        "app_open": lambda: c.pick(*DONE),
        "app_activate": lambda: (
            c.pick(*DONE) if c.rng.random() < 0.8 else c.pick(["找不到"], ["I can't find it"])
        ),
        "app_verify": lambda: c.pick(*DONE),
        "app_pin": lambda: c.pick(*DONE),
    }
    line = lines.get(step)
    return line() if line else None


def _hall_line(customer: Customer, step: str, result: TurnResult) -> str | None:
    c = customer
    if step == "ask_service":
        if any(a.get("type") == "show_options" for a in result.actions):
            return c.pick(["第一个", "第二个"], ["the first one", "the second one"])
        return c.pick(
            [
                "我要取钱",
                "我想开户",
                "我要换外币",
                "我想办贷款",
                "想了解一下理财",
                "办业务",
                "信用卡丢了",
            ],
            [
                "I want to withdraw cash",
                "I'd like to open an account",
                "I want to exchange some euros",
                "I need a loan",
                "I need to deposit",
                "I lost my credit card",
            ],
        )
    if step == "confirm_service":
        if c.rng.random() < 0.12:
            return c.pick(["不是，我要换外币", "不对"], ["no, I want to exchange money", "no"])
        return c.pick(*YES)
    if step == "issue_ticket":
        if c.rng.random() < 0.4 and "asked" not in c.said:
            c.said.append("asked")
            return c.pick(
                ["需要带什么材料？", "要等多久？"],
                ["What do I need to bring?", "How long is the wait?"],
            )
        return c.pick(["没有了，谢谢", "谢谢"], ["no, thanks", "that's all, thanks"])
    return None


TELLER_ASKS = (
    ["我的银行卡丢了", "我要打印流水", "我要给朋友转账", "密码忘了", "预留手机号换了，想改一下"],
    [
        "I'd like to print my account statement",
        "I forgot my PIN",
        "I lost my card",
        "I want to transfer money to a friend",
    ],
)


def _teller_line(customer: Customer, step: str, result: TurnResult) -> str | None:
    if step == "locate":
        return customer.pick(*TELLER_ASKS)
    if step == "confirm_guide":
        return customer.pick(*YES)
    return None


def _pre_sales_line(customer: Customer, step: str, result: TurnResult) -> str | None:
    c = customer
    lines = {
        "describe_need": lambda: c.pick(
            ["我想在手机上办一张信用卡", "我想开通自动还款", "我想买外币", "我想申请账单分期"],
            [
                "I want to apply for a credit card in the app",
                "I need to buy some US dollars for my trip",
                "buy foreign currency",
                "set up automatic repayment",
            ],
        ),
        "confirm_module": lambda: c.pick(*YES),
        "requirements": lambda: (
            None if c.stops() else c.pick(["好的，开始吧"], ["ok, let's start"])
        ),
        "guide": lambda: None if c.stops(0.5) else c.pick(*DONE),
        "satisfaction": lambda: c.pick(["5分，步骤很清楚", "4分", "3分"], ["5", "4 - fine", "3"]),
    }
    line = lines.get(step)
    return line() if line else None


def _after_sales_line(customer: Customer, step: str, result: TurnResult) -> str | None:
    c = customer
    lines = {
        "describe_problem": lambda: c.pick(
            ["我的银行卡丢了怎么办", "App登录不上去", "信用卡密码忘了"],
            ["I forgot my card PIN", "I can't log in to the app", "I lost my card"],
        ),
        "confirm_problem": lambda: c.pick(*YES),
        "answer": lambda: (
            c.pick(["解决了，谢谢"], ["solved, thanks"])
            if c.rng.random() < 0.75
            else c.pick(["没解决"], ["no, it still doesn't work"])
        ),
        "satisfaction": lambda: c.pick(["5分", "4分", "2分"], ["5", "4", "2 - confusing"]),
    }
    line = lines.get(step)
    return line() if line else None


@dataclass(frozen=True)
class Plan:
    scenario: str  # the flow started
    channels: tuple[tuple[str, str], ...]  # (channel, device name or "" for none)
    weight: int
    line: Callable[[Customer, str, TurnResult], str | None]


def _plans(devices: dict[str, list[str]]) -> list[Plan]:
    hall = tuple(("kiosk", name) for name in devices["kiosk"]) + tuple(
        ("hall_screen", name) for name in devices["hall_screen"]
    )
    return [
        Plan("credit_card", (("app", "demo-app"), ("web", "demo-web")), 4, _credit_card_line),
        Plan("card_quiz", hall, 2, _credit_card_line),
        Plan("branch_hall", hall, 5, _hall_line),
        Plan("super_teller", tuple(("vtm", name) for name in devices["vtm"]), 3, _teller_line),
        Plan("pre_sales", (("app", "demo-app"),), 3, _pre_sales_line),
        Plan("after_sales", (("app", "demo-app"), ("web", "demo-web")), 3, _after_sales_line),
    ]


# ----------------------------------------------------------------------- one conversation


def _converse(
    plan: Plan, customer: Customer, device: Device | None, channel: str, agent: Any
) -> DialogueSession | None:
    try:
        session, result = dialogue.session_start(
            scenario=plan.scenario, channel=channel, language=customer.language, device=device
        )
    except DialogueError:
        return None
    DialogueSession.objects.filter(pk=session.pk).update(memory={**session.memory, MARK: True})
    for _turn in range(MAX_TURNS):
        if result.status != DialogueSession.Status.ACTIVE:
            break
        if customer.wants_person and customer.rng.random() < 0.25:
            result = dialogue.session_turn(session_id=session.pk, text=customer.pick(*PERSON))
            break
        try:
            next_result = _next(plan, customer, session, result)
        except (DialogueError, RatingError, ValueError):
            break
        if next_result is None:
            break
        result = next_result
    _settle_takeover(session, agent, customer)
    session.refresh_from_db()
    if customer.rates and session.status != DialogueSession.Status.HANDED_OVER:
        with contextlib.suppress(RatingError):  # rated in the conversation already
            session_rate(session=session, score=customer.rng.choice([3, 4, 4, 5, 5, 5, 2]))
    return session


def _next(
    plan: Plan, customer: Customer, session: DialogueSession, result: TurnResult
) -> TurnResult | None:
    guide = next((a for a in result.actions if a.get("type") == "guide_step"), None)
    if guide is not None and plan.scenario == "super_teller":
        if customer.stops(0.6):
            return None
        name = "step.failed" if customer.rng.random() < 0.07 else "step.confirmed"
        return dialogue.session_event(session_id=session.pk, name=name, step=guide["step"])
    if result.step == "documents" and plan.scenario == "credit_card":
        return _upload_documents(customer, session, result)
    line = plan.line(customer, result.step, result)
    if line is None:
        return None
    return dialogue.session_turn(session_id=session.pk, text=line)


def _upload_documents(
    customer: Customer, session: DialogueSession, result: TurnResult
) -> TurnResult | None:
    if customer.stops(2):
        return None
    request = next((a for a in result.actions if a.get("type") == "request_documents"), None)
    if request is None:
        return None
    session.refresh_from_db()
    for document in request["documents"]:
        if document["required"]:
            application_document_upload(
                session=session,
                kind=document["kind"],
                upload=SimpleUploadedFile("scan.png", PNG, "image/png"),
                valid_until=date(2035, 6, 30),
            )
    session.refresh_from_db()
    return dialogue.session_event(
        session_id=session.pk, name="documents_uploaded", step="documents"
    )


def _settle_takeover(session: DialogueSession, agent: Any, customer: Customer) -> None:
    """An agent picks up a requested takeover, answers and hands back: no simulated session
    is left waiting in the agent console's queue."""
    open_takeover = Takeover.objects.filter(session=session).exclude(state="ended").first()
    if open_takeover is None or agent is None:
        return
    # With routing queues, only the agent the session was offered to may take it.
    agent = contact_traffic.routed_agent(session, agent)
    try:
        takeover_start(session_id=session.pk, agent=agent)
        agent_say(
            session_id=session.pk,
            agent=agent,
            text="您好，我是人工客服，已经为您处理好了。"
            if customer.zh
            else "Hello, I have sorted it out for you.",
        )
        takeover_end(session_id=session.pk, agent=agent)
    except TakeoverError:
        pass


# ----------------------------------------------------------------------- dating it back


def _backdate(session: DialogueSession, moment: datetime) -> None:
    shift = timezone.now() - moment
    DialogueSession.objects.filter(pk=session.pk).update(created_at=moment)
    Turn.objects.filter(session=session).update(created_at=F("created_at") - shift)
    FunnelEvent.objects.filter(session=session).update(created_at=F("created_at") - shift)
    contact_traffic.shift_routing(session, shift)
    takeovers = Takeover.objects.filter(session=session)
    takeovers.update(
        requested_at=F("requested_at") - shift,
        taken_at=F("taken_at") - shift,
        ended_at=F("ended_at") - shift,
    )
    # The takeover audit is append-only (a trigger refuses updates): it keeps the real times.
    CardApplication.objects.filter(session=session).update(
        created_at=F("created_at") - shift,
        submitted_at=F("submitted_at") - shift,
        services_decided_at=F("services_decided_at") - shift,
    )
    local_day = timezone.localtime(moment).date()
    for ticket in Ticket.objects.filter(session_id=session.pk):
        # Served that day: a simulated customer never waits in today's queue.
        try:
            with transaction.atomic():
                Ticket.objects.filter(pk=ticket.pk).update(
                    day=local_day,
                    issued_at=F("issued_at") - shift,
                    status=Ticket.Status.SERVED,
                    called_at=moment + timedelta(minutes=6),
                    finished_at=moment + timedelta(minutes=12),
                )
        except IntegrityError:
            Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.CANCELLED)


# ----------------------------------------------------------------------- the days


def simulated_days() -> set[date]:
    return {
        timezone.localtime(created).date()
        for created in DialogueSession.objects.filter(**{f"memory__{MARK}": True}).values_list(
            "created_at", flat=True
        )
    }


@dataclass
class TrafficReport:
    days: list[date] = field(default_factory=list)
    skipped: list[date] = field(default_factory=list)
    sessions: int = 0
    rollup_rows: int = 0


def _devices() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {"kiosk": [], "hall_screen": [], "vtm": []}
    for name, kind in Device.objects.filter(kind__in=list(found)).values_list("name", "kind"):
        found[kind].append(name)
    for kind, names in found.items():
        names.sort()
        if not names:
            raise LookupError(f"no {kind} device: seed the demo bank first")
    return found


def simulate_traffic(
    *,
    days: int = 30,
    per_day: int = 12,
    seed: int = 20261204,
    end: date | None = None,
    log: Callable[[str], None] = print,
    contact_centre: bool = True,
) -> TrafficReport:
    """Simulate `per_day` (± a third) conversations on each of the `days` days before `end`
    (default today, exclusive), skipping days simulated before; then roll those days up.

    With `contact_centre`, the demo's routing queues, agents and campaigns are seeded first
    (`bank_ai.demo.contact`) and each day also has a few hand-overs routed through the queues
    and a campaign run with replies (`bank_ai.demo.contact_traffic`)."""
    last = (end or timezone.localdate()) - timedelta(days=1)
    wanted = [last - timedelta(days=n) for n in range(days - 1, -1, -1)]
    done = simulated_days()
    report = TrafficReport()
    devices = _devices()
    plans = _plans(devices)
    agent = get_user_model().objects.filter(username="agent").first()
    by_name = {device.name: device for device in Device.objects.all()}
    today = timezone.localdate()
    sequences = {row.pk: row.last_number for row in TicketSequence.objects.filter(day=today)}
    if contact_centre and any(day not in done for day in wanted):
        contact.seed(log)
    for day in wanted:
        if day in done:
            report.skipped.append(day)
            continue
        # One generator per day: a day's traffic does not depend on which other days ran.
        rng = random.Random(f"{seed}-{day.isoformat()}")
        count = max(1, round(per_day * rng.uniform(0.67, 1.33)), min(per_day, len(plans)))
        starts = sorted(rng.uniform(8.5, 20.5) for _ in range(count))
        # Every scenario once a day when the day has room for it, the rest by weight.
        chosen = rng.sample(plans, k=min(count, len(plans)))
        chosen += rng.choices(plans, weights=[p.weight for p in plans], k=count - len(chosen))
        rng.shuffle(chosen)
        for hour, plan in zip(starts, chosen, strict=True):
            channel, device_name = rng.choice(plan.channels)
            customer = Customer(
                rng=rng,
                language="en" if rng.random() < 0.3 else "zh-hans",
                stop_chance=rng.choice([0.05, 0.1, 0.15, 0.25]),
                rates=rng.random() < 0.6,
                wants_person=rng.random() < 0.08,
            )
            moment = datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())
            moment += timedelta(hours=hour)
            session = _converse(plan, customer, by_name.get(device_name), channel, agent)
            if session is not None:
                _backdate(session, moment)
                report.sessions += 1
        if contact_centre:
            report.sessions += _contact_day(day, seed, by_name.get("demo-app"))
        report.days.append(day)
        log(f"{day}: {count} conversations")
    _restore_sequences(today, sequences)
    if contact_centre and report.days:
        contact_traffic.rest_second_agents()
    if report.days:
        report.rollup_rows = rollup_range(min(report.days), max(report.days))
    return report


def _contact_day(day: date, seed: int, device: Device | None) -> int:
    """The day's hand-overs through the routing queues and campaign runs (its own generator,
    so the conversations above are the same with or without it); the sessions made."""
    rng = random.Random(f"{seed}-{day.isoformat()}-contact")
    start = datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())
    moments = sorted(
        start + timedelta(hours=rng.uniform(9, 20.5)) for _ in range(rng.randint(3, 7))
    )
    made = contact_traffic.simulate_handovers(rng, moments, device, MARK, _backdate)
    contact_traffic.simulate_campaigns(rng, start + timedelta(hours=rng.uniform(10, 19)))
    return made


def _restore_sequences(today: date, before: dict[int, int]) -> None:
    """Today's ticket numbers as they were: the simulated tickets moved to their own days."""
    for sequence in TicketSequence.objects.filter(day=today):
        if sequence.pk in before:
            TicketSequence.objects.filter(pk=sequence.pk).update(last_number=before[sequence.pk])
        elif not Ticket.objects.filter(branch_service=sequence.branch_service, day=today).exists():
            sequence.delete()
