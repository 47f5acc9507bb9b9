"""Outbound campaigns: segments, consent, do-not-contact, frequency cap, quiet hours, script
flow, delivery through the app inbox, outcomes and the dashboard figures."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from scenarios.models import CardStatement, Customer, CustomerNotification
from scenarios.outbound.models import (
    Campaign,
    ContactAttempt,
    ContactConsent,
    DoNotContact,
    Segment,
)
from scenarios.outbound.selectors import campaign_figures
from scenarios.outbound.services import (
    OutboundError,
    attempt_outcome_record,
    attempt_reply,
    campaign_run,
    in_quiet_hours,
    segment_customers,
    validate_script,
)

pytestmark = pytest.mark.django_db

SCRIPT = {
    "start": "open",
    "steps": {
        "open": {
            "text": {
                "zh-hans": "{name}先生/女士，旅行季境外消费返现，回复1了解，回复退订不再收到。",
                "en": "Hello {name}, cash back abroad: reply 1 for details.",
            },
            "replies": {"1": "details", "不感兴趣": "reached"},
        },
        "details": {
            "text": {
                "zh-hans": "境外消费返现5%，回复 办理 立即开通。",
                "en": "5% back. Reply YES.",
            },
            "replies": {"办理": "converted", "yes": "converted", "考虑": "interested"},
        },
    },
}


def _daytime() -> datetime:
    local = timezone.localtime()
    return local.replace(hour=11, minute=0, second=0, microsecond=0)


def _campaign(rules: dict | None = None, **fields) -> Campaign:  # noqa: ANN003
    segment = Segment.objects.create(
        code="seg", name="seg", rules=rules or {"personas": ["traveller"]}
    )
    defaults = {
        "code": "travel",
        "name": "旅行季",
        "segment": segment,
        "status": "running",
        "script": SCRIPT,
        "starts_at": _daytime() - timedelta(days=1),
    }
    defaults.update(fields)
    return Campaign.objects.create(**defaults)


def _consent(*customers: Customer) -> None:
    for customer in customers:
        ContactConsent.objects.create(customer=customer, marketing=True)


def test_a_segment_picks_customers_by_persona_and_held_products() -> None:
    travellers = Segment(code="t", name="t", rules={"personas": ["traveller"]})
    picked = list(segment_customers(travellers))
    assert picked
    assert {c.segment for c in picked} == {"traveller"}
    product = picked[0].cards.first().product.code
    holders = Segment(code="h", name="h", rules={"holds_products": [product]})
    lacking = Segment(code="l", name="l", rules={"lacks_products": [product]})
    assert picked[0] in segment_customers(holders)
    assert picked[0] not in segment_customers(lacking)


def test_a_segment_of_statements_due_soon_leaves_out_those_paid() -> None:
    statement = CardStatement.objects.filter(paid_amount__lt=1).select_related("card").first()
    assert statement is not None
    today = statement.due_date - timedelta(days=3)
    due = Segment(code="d", name="d", rules={"due_within_days": 5})
    assert statement.card.customer in segment_customers(due, today)
    CardStatement.objects.filter(card__customer=statement.card.customer).update(paid_amount=10**9)
    assert statement.card.customer not in segment_customers(due, today)


def test_marketing_reaches_only_consenting_customers_through_the_app_inbox() -> None:
    campaign = _campaign()
    travellers = list(segment_customers(campaign.segment))
    _consent(travellers[0])
    report = campaign_run(campaign, _daytime())
    assert report.sent == 1
    assert report.skipped == {"no_consent": len(travellers) - 1}
    note = CustomerNotification.objects.get(customer=travellers[0], kind="campaign")
    assert travellers[0].full_name[:1] in note.body
    attempt = ContactAttempt.objects.get(customer=travellers[0])
    assert attempt.delivery_ref == f"inbox:{note.pk}"


def test_a_second_run_contacts_nobody_twice() -> None:
    campaign = _campaign()
    _consent(*segment_customers(campaign.segment))
    first = campaign_run(campaign, _daytime())
    second = campaign_run(campaign, _daytime())
    assert first.sent > 0
    assert (second.sent, second.skipped) == (0, {})


def test_the_do_not_contact_list_is_respected() -> None:
    campaign = _campaign()
    customers = list(segment_customers(campaign.segment))
    _consent(*customers)
    DoNotContact.objects.create(customer=customers[0], reason="complaint")
    campaign_run(campaign, _daytime())
    assert ContactAttempt.objects.get(customer=customers[0]).skip_reason == "do_not_contact"
    assert not CustomerNotification.objects.filter(customer=customers[0], kind="campaign").exists()


@override_settings(OUTBOUND_MAX_CONTACTS=1, OUTBOUND_CAP_DAYS=7)
def test_the_contact_frequency_cap_spans_campaigns() -> None:
    first = _campaign()
    customers = list(segment_customers(first.segment))
    _consent(*customers)
    campaign_run(first, _daytime())
    second = Campaign.objects.create(
        code="second",
        name="second",
        segment=first.segment,
        status="running",
        script=SCRIPT,
        starts_at=first.starts_at,
    )
    report = campaign_run(second, _daytime())
    assert report.sent == 0
    assert report.skipped == {"frequency_cap": len(customers)}


def test_service_campaigns_need_no_marketing_consent() -> None:
    campaign = _campaign(purpose="service")
    assert campaign_run(campaign, _daytime()).sent == segment_customers(campaign.segment).count()


def test_nothing_is_sent_in_quiet_hours() -> None:
    campaign = _campaign()
    _consent(*segment_customers(campaign.segment))
    night = _daytime().replace(hour=22)
    assert in_quiet_hours(campaign, night)
    assert in_quiet_hours(campaign, _daytime().replace(hour=7))
    report = campaign_run(campaign, night)
    assert report.deferred_quiet_hours
    assert not ContactAttempt.objects.exists()


def test_a_run_in_quiet_hours_records_whom_it_held_back_once_per_customer() -> None:
    from scenarios.outbound.models import ContactHold

    campaign = _campaign(batch_size=2)
    _consent(*segment_customers(campaign.segment))
    night = _daytime().replace(hour=22)
    first = campaign_run(campaign, night)
    later = campaign_run(campaign, night + timedelta(minutes=30))
    assert (first.held_quiet_hours, later.held_quiet_hours) == (2, 2)
    holds = ContactHold.objects.filter(campaign=campaign).order_by("customer_id")
    # The same two customers (the batch), one row each however many runs held them back.
    assert [(h.reason, h.first_held_at, h.last_held_at) for h in holds] == [
        ("quiet_hours", night, night + timedelta(minutes=30))
    ] * 2
    assert not ContactAttempt.objects.exists()
    # In the morning they are contacted; their holds stay as the record of the delay.
    morning = campaign_run(campaign, _daytime() + timedelta(days=1))
    assert morning.sent == 2
    assert set(ContactAttempt.objects.values_list("customer_id", flat=True)) == set(
        holds.values_list("customer_id", flat=True)
    )


def test_a_draft_or_ended_campaign_sends_nothing() -> None:
    draft = _campaign(status="draft")
    _consent(*segment_customers(draft.segment))
    assert campaign_run(draft, _daytime()).sent == 0
    Campaign.objects.filter(pk=draft.pk).update(
        status="running", ends_at=_daytime() - timedelta(hours=1)
    )
    draft.refresh_from_db()
    assert campaign_run(draft, _daytime()).sent == 0


def test_a_script_that_leads_nowhere_is_refused() -> None:
    with pytest.raises(OutboundError):
        validate_script(
            {"start": "open", "steps": {"open": {"text": {"en": "x"}, "replies": {"1": "nowhere"}}}}
        )


def test_replies_follow_the_script_to_a_conversion() -> None:
    campaign = _campaign()
    customer = segment_customers(campaign.segment).first()
    _consent(customer)
    campaign_run(campaign, _daytime())
    attempt = ContactAttempt.objects.get(customer=customer)
    step = attempt_reply(attempt_id=attempt.pk, text="1")
    assert (step["outcome"], step["step"]) == ("reached", "details")
    assert "5%" in step["say"]
    assert attempt_reply(attempt_id=attempt.pk, text="我要办理")["outcome"] == "converted"
    attempt.refresh_from_db()
    assert attempt.outcome == "converted"


def test_opting_out_puts_the_customer_on_the_do_not_contact_list() -> None:
    campaign = _campaign()
    customer = segment_customers(campaign.segment).first()
    _consent(customer)
    campaign_run(campaign, _daytime())
    attempt = ContactAttempt.objects.get(customer=customer)
    assert attempt_reply(attempt_id=attempt.pk, text="退订")["outcome"] == "opted_out"
    assert DoNotContact.objects.filter(customer=customer, channel="").exists()


def test_outcomes_only_move_forward() -> None:
    campaign = _campaign()
    customer = segment_customers(campaign.segment).first()
    _consent(customer)
    campaign_run(campaign, _daytime())
    attempt = ContactAttempt.objects.get(customer=customer)
    attempt_outcome_record(attempt_id=attempt.pk, outcome="converted")
    assert attempt_outcome_record(attempt_id=attempt.pk, outcome="reached").outcome == "converted"
    with pytest.raises(OutboundError):
        attempt_outcome_record(attempt_id=attempt.pk, outcome="maybe")


def test_campaign_figures_count_sends_skips_and_outcomes() -> None:
    campaign = _campaign()
    customers = list(segment_customers(campaign.segment))
    assert len(customers) >= 3
    _consent(*customers[:3])
    campaign_run(campaign, _daytime())
    attempts = {a.customer_id: a for a in ContactAttempt.objects.filter(status="sent")}
    attempt_outcome_record(attempt_id=attempts[customers[0].pk].pk, outcome="converted")
    attempt_outcome_record(attempt_id=attempts[customers[1].pk].pk, outcome="opted_out")
    day = timezone.localdate(_daytime())
    [row] = campaign_figures(day, day)
    assert (row["sent"], row["converted"], row["interested"], row["opted_out"]) == (3, 1, 1, 1)
    assert row["reached"] == 2
    unconsented = len(customers) - 3
    assert row["skipped"] == ({"no_consent": unconsented} if unconsented else {})
    assert row["conversion_rate"] == round(1 / 3, 4)


def test_midnight_spanning_quiet_hours_and_same_day_ones_both_work() -> None:
    campaign = Campaign(quiet_from=time(12, 0), quiet_until=time(13, 0))
    assert in_quiet_hours(campaign, _daytime().replace(hour=12, minute=30))
    assert not in_quiet_hours(campaign, _daytime())
