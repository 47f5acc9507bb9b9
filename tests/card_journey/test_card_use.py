"""Card use for a customer the app has identified: bills, offers, instalments, repayment."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from scenarios.models import (
    CardStatement,
    CardTransaction,
    Customer,
    CustomerCard,
    RepaymentReminder,
)
from scenarios.periods import month_period, months_back
from scenarios.repayment import repayment_plans
from tests.card_journey.conftest import Channel, outcomes
from tests.factories import customer_with_card

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


def _customer(no: str = "C209900001") -> tuple[Customer, CustomerCard]:
    card = customer_with_card(
        customer_no=no,
        full_name="测试客户",
        language="zh-hans",
        income_band="150k-500k",
        product="dining-gold",
        last4="4242",
        credit_limit="50000",
        statement_day=10,
    )
    return card.customer, card


@pytest.fixture
def billed() -> tuple[Customer, CustomerCard, CardStatement]:
    """A statement due in two weeks, last month's spending and one big unbilled purchase."""
    customer, card = _customer()
    today = timezone.localdate()
    period_end = today - timedelta(days=6)
    statement = CardStatement.objects.create(
        card=card,
        period_start=period_end - timedelta(days=30),
        period_end=period_end,
        due_date=today + timedelta(days=14),
        new_balance=Decimal("10000.00"),
        minimum_payment=Decimal("1000.00"),
    )
    last_month = month_period(*_previous(today), today)
    CardTransaction.objects.bulk_create(
        [
            CardTransaction(
                card=card,
                posted_at=_at(last_month.start),
                amount=Decimal("600.00"),
                merchant="海底捞火锅",
                category="dining",
            ),
            CardTransaction(
                card=card,
                posted_at=_at(last_month.start + timedelta(days=3)),
                amount=Decimal("400.00"),
                merchant="京东 JD.com",
                category="online_shopping",
            ),
            CardTransaction(
                card=card,
                posted_at=_at(today, 8),
                amount=Decimal("5999.00"),
                merchant="Apple Store 在线",
                category="online_shopping",
            ),
        ]
    )
    return customer, card, statement


def _previous(today: date) -> tuple[int, int]:
    first = months_back(today, 1)
    return first.year, first.month


def _start(app: Channel, customer: Customer, language: str) -> str:
    started = app.start(language, scenario="card_use", customer_no=customer.customer_no)
    assert started["step"] == "use_menu"
    assert customer.full_name in started["reply"]
    return started["id"]


def test_last_months_spending_by_category_in_chinese(billed) -> None:  # noqa: ANN001
    customer, card, _ = billed
    app = Channel()
    session_id = _start(app, customer, "zh-hans")
    reply = app.say(session_id, "上个月各类消费占比是多少？")
    assert reply["step"] == "use_menu"  # answered, back at the menu
    assert "共消费1,000.00元（2笔）" in reply["reply"]
    assert "餐饮 60.0%（600.00元）" in reply["reply"]
    assert "网购 40.0%（400.00元）" in reply["reply"]
    chart = reply["actions"][0]
    assert chart["type"] == "show_chart"
    assert [row["share"] for row in chart["data"]] == ["0.6000", "0.4000"]
    assert ("card_use", "bill_analysis", "bill_analysed") in outcomes(session_id)


def test_a_named_month_in_english(billed) -> None:  # noqa: ANN001
    customer, card, _ = billed
    app = Channel()
    session_id = _start(app, customer, "en")
    asked = app.say(session_id, "show me my spending")
    assert asked["step"] == "bill_analysis"  # which period?
    year, month = _previous(timezone.localdate())
    reply = app.say(session_id, f"{date(year, month, 1):%B %Y}")
    assert "RMB 1,000.00 (2 purchases)" in reply["reply"]
    assert "dining 60.0% (RMB 600.00)" in reply["reply"]


def test_the_instalment_fee_is_exact(billed) -> None:  # noqa: ANN001
    customer, _, _ = billed
    app = Channel()
    session_id = _start(app, customer, "zh-hans")
    listing = app.say(session_id, "我想分期")
    assert listing["step"] == "instalment"
    assert "Apple Store 在线 5,999.00元" in listing["reply"]
    assert "本期账单" in listing["reply"]
    quote = app.say(session_id, "把5999那笔分12期")
    # 5,999.00 × 0.66% = 39.5934 → 39.59 a month, 475.08 in all; the 11 cents that 12 does
    # not divide go with the first instalment: 499.99 + 39.59 = 539.58, then 499.91 + 39.59.
    assert "每期手续费39.59元" in quote["reply"]
    assert "首期还539.58元，之后每期539.50元" in quote["reply"]
    assert "手续费合计475.08元，总计还款6,474.08元" in quote["reply"]
    action = quote["actions"][0]
    assert action["total_fee"] == "475.08"
    assert sum(Decimal(p["principal"]) for p in action["schedule"]) == Decimal("5999.00")
    statement = app.say(session_id, "账单分6期")
    # 10,000.00 × 0.70% = 70.00 a month, 420.00 in all.
    assert "账单10,000.00元分6期" in statement["reply"]
    assert "手续费合计420.00元" in statement["reply"]


def test_a_period_the_card_does_not_offer_is_explained(billed) -> None:  # noqa: ANN001
    customer, _, _ = billed
    app = Channel()
    session_id = _start(app, customer, "en")
    reply = app.say(session_id, "split the statement over 9 months")
    assert "3, 6, 12, 24" in reply["reply"]


def test_repayment_plans_spell_out_the_interest(billed) -> None:  # noqa: ANN001
    customer, _, _ = billed
    app = Channel()
    session_id = _start(app, customer, "en")
    reply = app.say(session_id, "what if I only pay the minimum?")
    text = reply["reply"]
    assert "RMB 10,000.00 to repay, minimum RMB 1,000.00" in text
    assert "Pay in full: RMB 10,000.00" in text
    assert "Pay the minimum: RMB 1,000.00" in text
    assert "remaining RMB 9,000.00" in text
    assert "0.05% a day" in text
    assert "18.25% a year" in text
    assert "late fee of 5% of the unpaid minimum applies (RMB 50.00 if nothing is paid)" in text
    plans = {plan["code"]: plan for plan in reply["actions"][0]["plans"]}
    assert set(plans) == {"full", "minimum", "instalment"}
    assert plans["full"]["interest"] == "0"


def test_minimum_payment_interest_runs_from_each_purchase_posting_date() -> None:
    customer, card = _customer("C209900002")
    statement = CardStatement.objects.create(
        card=card,
        period_start=date(2026, 10, 11),
        period_end=date(2026, 11, 10),
        due_date=date(2026, 11, 30),
        new_balance=Decimal("10000.00"),
        minimum_payment=Decimal("1000.00"),
    )
    for day, amount in (
        (date(2026, 10, 12), "4000.00"),
        (date(2026, 10, 25), "3000.00"),
        (date(2026, 11, 9), "3000.00"),
    ):
        CardTransaction.objects.create(
            card=card, posted_at=_at(day), amount=Decimal(amount), merchant="m", category="dining"
        )
    plans = repayment_plans(card, statement, instalment_periods=12)
    minimum = plans.plan("minimum")
    # 9,000 stays unpaid: the latest purchases first. Until the next statement (10 Dec):
    # 3,000 × 31 days + 3,000 × 46 days + 3,000 (of the 4,000) × 59 days = 408,000 day-yuan,
    # × 0.05% = 204.00.
    assert plans.next_statement_on == date(2026, 12, 10)
    assert [(i.unpaid, i.days) for i in minimum.interest_items] == [
        (Decimal("3000.00"), 31),
        (Decimal("3000.00"), 46),
        (Decimal("3000.00"), 59),
    ]
    assert minimum.interest == Decimal("204.00")
    assert plans.plan("full").interest == Decimal("0")
    instalment = plans.plan("instalment")
    assert instalment.fees == Decimal("792.00")  # 10,000 × 0.66% × 12
    assert plans.late_fee_if_nothing_paid == Decimal("50.00")


def test_a_partly_paid_statement_plans_only_what_is_left() -> None:
    customer, card = _customer("C209900003")
    statement = CardStatement.objects.create(
        card=card,
        period_start=date(2026, 10, 11),
        period_end=date(2026, 11, 10),
        due_date=date(2026, 11, 30),
        new_balance=Decimal("2000.00"),
        minimum_payment=Decimal("200.00"),
        paid_amount=Decimal("500.00"),
    )
    plans = repayment_plans(card, statement)
    assert plans.outstanding == Decimal("1500.00")
    assert plans.minimum_due == Decimal("0")
    # No purchases on record: the unpaid 1,500 counts from the start of the period (60 days).
    assert plans.plan("minimum").interest == Decimal("45.00")


def test_benefits_and_offers_follow_the_spending(billed) -> None:  # noqa: ANN001
    customer, card, _ = billed
    app = Channel()
    session_id = _start(app, customer, "zh-hans")
    reply = app.say(session_id, "有什么适合我的权益和优惠活动？")
    benefits = reply["actions"][0]["benefits"]
    assert benefits
    # A dining-heavy customer on the Dining Gold card is shown its dining benefits first.
    assert benefits[0]["category"] == "dining"
    assert "您在餐饮上消费" in reply["reply"]


def test_a_reminder_is_scheduled_through_the_dialogue(billed) -> None:  # noqa: ANN001
    from django_q.models import Schedule

    customer, card, statement = billed
    app = Channel()
    session_id = _start(app, customer, "zh-hans")
    asked = app.say(session_id, "设置还款提醒")
    assert asked["step"] == "reminder"
    reply = app.say(session_id, "提前3天")
    reminder = RepaymentReminder.objects.get(statement=statement)
    assert reminder.days_before == 3
    assert timezone.localtime(reminder.remind_at).date() == statement.due_date - timedelta(days=3)
    assert Schedule.objects.filter(name=reminder.schedule_name).exists()
    assert "10,000.00元" in reply["reply"]


def test_a_topic_in_the_middle_of_an_application_uses_the_customers_own_card(billed) -> None:  # noqa: ANN001
    customer, _, _ = billed
    app = Channel()
    started = app.start("zh-hans", customer_no=customer.customer_no)
    session_id = started["id"]
    app.say(session_id, "我经常出国旅游")
    detour = app.say(session_id, "帮我看看上个月账单")
    assert "共消费1,000.00元" in detour["reply"]
    assert app.state(session_id)["paused_flows"] == [{"flow": "credit_card", "step": "ask_income"}]
    back = app.say(session_id, "继续申请")
    assert back["step"] == "ask_income"
    assert app.state(session_id)["slots"]["scenarios"] == ["travel", "overseas"]


def test_an_anonymous_session_is_not_switched_to_card_use() -> None:
    app = Channel()
    session_id = app.start("zh-hans")["id"]
    app.say(session_id, "帮我看看上个月账单")
    state = app.state(session_id)
    assert state["scenario"] == "credit_card"
    assert state["paused_flows"] == []


def test_saying_thats_all_ends_the_session(billed) -> None:  # noqa: ANN001
    customer, _, _ = billed
    app = Channel()
    session_id = _start(app, customer, "en")
    assert app.say(session_id, "that's all")["status"] == "completed"
