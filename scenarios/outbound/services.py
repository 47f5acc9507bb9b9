"""Outbound campaign actions: pick the segment, respect the rules, deliver, record outcomes.

Delivery goes through `scenarios.notifications` channels: `app_inbox` here in the domain,
WeChat and voice calls registered by the channel layer (`devices.omni`). A campaign run is
idempotent per customer (one attempt per campaign and customer), so the schedule may run it
as often as it likes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from scenarios.models import CardStatement, Customer
from scenarios.notifications import (
    NotificationError,
    channel_for,
    delivery_status_after,
)
from scenarios.outbound.models import (
    Campaign,
    ContactAttempt,
    ContactConsent,
    ContactHold,
    DoNotContact,
    Segment,
)

OUTCOME_ORDER = ["", "reached", "interested", "converted"]
# The reference a campaign contact is sent under (and reported back under by its channel).
REFERENCE = re.compile(r"outbound:(\d+)")
OPT_OUT_WORDS = ("退订", "不要再", "unsubscribe", "stop")


class OutboundError(Exception):
    """A campaign action that cannot happen (bad script, unknown outcome, closed attempt)."""


def segment_customers(segment: Segment, today: Any = None) -> QuerySet[Customer]:
    """The customers a segment's rules pick today (see `Segment` for the rule keys)."""
    rules: dict[str, Any] = segment.rules or {}
    today = today or timezone.localdate()
    customers = Customer.objects.all()
    if rules.get("personas"):
        customers = customers.filter(segment__in=rules["personas"])
    if rules.get("income_bands"):
        customers = customers.filter(income_band__in=rules["income_bands"])
    if rules.get("languages"):
        customers = customers.filter(preferred_language__in=rules["languages"])
    if rules.get("holds_products"):
        customers = customers.filter(
            cards__product__code__in=rules["holds_products"], cards__status__in=["issued", "active"]
        )
    if rules.get("lacks_products"):
        customers = customers.exclude(cards__product__code__in=rules["lacks_products"])
    if rules.get("due_within_days") is not None:
        days = int(rules["due_within_days"])
        due = CardStatement.objects.filter(
            due_date__gte=today, due_date__lte=today + timedelta(days=days)
        ).exclude(paid_amount__gte=F("minimum_payment"))
        customers = customers.filter(cards__statements__in=due)
    return customers.distinct().order_by("pk")


def validate_script(script: dict[str, Any]) -> None:
    steps = script.get("steps") if isinstance(script, dict) else None
    if not isinstance(steps, dict) or script.get("start") not in steps:
        raise OutboundError("the script needs 'steps' and a 'start' that is one of them")
    outcomes = set(ContactAttempt.Outcome.values) - {""}
    for code, step in steps.items():
        if not isinstance(step, dict) or not isinstance(step.get("text"), dict):
            raise OutboundError(f"step {code!r} needs a 'text' per language")
        for reply, target in (step.get("replies") or {}).items():
            if target not in steps and target not in outcomes:
                raise OutboundError(f"step {code!r}: reply {reply!r} leads nowhere ({target!r})")


def in_quiet_hours(campaign: Campaign, moment: datetime) -> bool:
    local = timezone.localtime(moment).time()
    start, end = campaign.quiet_from, campaign.quiet_until
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end  # over midnight, e.g. 21:00–09:00


def _cap() -> tuple[int, int]:
    return (
        int(getattr(settings, "OUTBOUND_MAX_CONTACTS", 2)),
        int(getattr(settings, "OUTBOUND_CAP_DAYS", 7)),
    )


def skip_reason(campaign: Campaign, customer: Customer, now: datetime) -> str:
    """Why `customer` must not be contacted by `campaign` now, or "" when they may be."""
    blocked = (
        DoNotContact.objects.filter(customer=customer)
        .filter(Q(channel="") | Q(channel=campaign.channel))
        .filter(Q(until__isnull=True) | Q(until__gt=now))
    )
    if blocked.exists():
        return "do_not_contact"
    consent = ContactConsent.objects.filter(customer=customer).first()
    marketing = campaign.purpose == Campaign.Purpose.MARKETING
    if marketing and (consent is None or not consent.marketing):
        return "no_consent"
    if consent is not None and consent.channels and campaign.channel not in consent.channels:
        return "channel_not_consented"
    limit, days = _cap()
    # A contact waiting in a channel's outbox is on its way: it counts as much as a sent one.
    recent = ContactAttempt.objects.filter(
        customer=customer,
        status__in=[ContactAttempt.Status.SENT, ContactAttempt.Status.QUEUED],
        created_at__gte=now - timedelta(days=days),
    ).count()
    if recent >= limit:
        return "frequency_cap"
    return ""


def render_step(campaign: Campaign, step_code: str, customer: Customer) -> str:
    step = campaign.script["steps"][step_code]
    texts: dict[str, str] = step["text"]
    language = customer.preferred_language
    text = texts.get(language) or texts.get("zh-hans") or next(iter(texts.values()))
    surname = customer.full_name[:1] if not customer.full_name.isascii() else customer.full_name
    return text.replace("{name}", surname).replace("{campaign}", campaign.name)


@dataclass
class RunReport:
    sent: int = 0
    queued: int = 0  # handed to a channel that reports the delivery later (WeChat's outbox)
    failed: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    deferred_quiet_hours: bool = False
    held_quiet_hours: int = 0
    already_done: int = 0


def campaign_run(campaign: Campaign, now: datetime | None = None) -> RunReport:
    """Contact the segment's customers not yet contacted by this campaign, up to a batch.

    Nothing is sent in quiet hours, outside the campaign's dates or unless it is running.
    Each customer gets exactly one attempt row (sent, queued by a channel that reports the
    delivery later, skipped with its reason, or failed).
    """
    now = now or timezone.now()
    report = RunReport()
    if campaign.status != Campaign.Status.RUNNING:
        return report
    if now < campaign.starts_at or (campaign.ends_at and now >= campaign.ends_at):
        return report
    done = ContactAttempt.objects.filter(campaign=campaign).values("customer_id")
    todo = segment_customers(campaign.segment, timezone.localdate(now)).exclude(pk__in=done)
    if in_quiet_hours(campaign, now):
        report.deferred_quiet_hours = True
        report.held_quiet_hours = contact_holds_record(
            campaign=campaign,
            customer_ids=list(todo.values_list("pk", flat=True)[: campaign.batch_size]),
            reason=ContactHold.Reason.QUIET_HOURS,
            now=now,
        )
        return report
    validate_script(campaign.script)
    for customer in todo[: campaign.batch_size]:
        _contact(campaign, customer, now, report)
    return report


@transaction.atomic
def contact_holds_record(
    *, campaign: Campaign, customer_ids: list[Any], reason: str, now: datetime
) -> int:
    """Note who a run held back and why: a new row per campaign, customer and reason, else
    only `last_held_at` moves (the schedule runs many times a night). Returns how many."""
    ContactHold.objects.bulk_create(
        [
            ContactHold(
                campaign=campaign,
                customer_id=customer_id,
                reason=reason,
                first_held_at=now,
                last_held_at=now,
            )
            for customer_id in customer_ids
        ],
        update_conflicts=True,
        unique_fields=["campaign", "customer", "reason"],
        update_fields=["last_held_at"],
    )
    return len(customer_ids)


def _contact(campaign: Campaign, customer: Customer, now: datetime, report: RunReport) -> None:
    try:
        with transaction.atomic():
            reason = skip_reason(campaign, customer, now)
            if reason:
                ContactAttempt.objects.create(
                    campaign=campaign,
                    customer=customer,
                    channel=campaign.channel,
                    status=ContactAttempt.Status.SKIPPED,
                    skip_reason=reason,
                    created_at=now,
                )
                report.skipped[reason] = report.skipped.get(reason, 0) + 1
                return
            start = campaign.script["start"]
            attempt = ContactAttempt.objects.create(
                campaign=campaign,
                customer=customer,
                channel=campaign.channel,
                status=ContactAttempt.Status.SENT,
                step=start,
                created_at=now,
            )
            try:
                with transaction.atomic():
                    delivery = channel_for(campaign.channel).send(
                        customer=customer,
                        kind="campaign",
                        language=customer.preferred_language,
                        title=campaign.name[:120],
                        body=render_step(campaign, start, customer),
                        reference=f"outbound:{attempt.pk}",
                    )
            except NotificationError as exc:
                attempt.status, attempt.error = ContactAttempt.Status.FAILED, str(exc)[:300]
                attempt.save(update_fields=["status", "error"])
                report.failed += 1
                return
            attempt.delivery_ref = delivery.ref[:80]
            if delivery.queued:
                # Not delivered yet: the channel reports back (contact_delivery_record).
                attempt.status = ContactAttempt.Status.QUEUED
                report.queued += 1
            else:
                report.sent += 1
            attempt.save(update_fields=["delivery_ref", "status"])
    except IntegrityError:
        report.already_done += 1  # another run contacted them in the meantime


@transaction.atomic
def contact_delivery_record(
    *, reference: str, delivered: bool | None, delivery_ref: str = "", error: str = ""
) -> ContactAttempt | None:
    """A channel that queued a campaign contact reports what became of it.

    `delivered`: True when the channel delivered it (`sent`, `delivery_ref` then names the
    delivery, e.g. WeChat's msgid), False when it gave up (`failed`, with `error`), None when
    it is trying again (staff sent a given-up message again: `queued` until the next report).
    Only moves that tell the truth are made: a contact the customer already answered was
    delivered whatever the channel says later, and a delivery staff forced after a give-up
    makes a failed contact sent. A reference that is not a campaign contact's is none of this
    domain's business: None, nothing changed.
    """
    match = REFERENCE.fullmatch(reference or "")
    if match is None:
        return None
    attempt = ContactAttempt.objects.select_for_update().filter(pk=int(match.group(1))).first()
    if attempt is None:
        return None
    after = delivery_status_after(attempt.status, delivered)
    if after is not None:
        attempt.status = after
        attempt.error = error[:300] if after == ContactAttempt.Status.FAILED else ""
    # A reply may have proved the delivery first (`sent` already): the report still names it.
    if delivered is True and delivery_ref:
        attempt.delivery_ref = delivery_ref[:80]
    if after is not None or (delivered is True and delivery_ref):
        attempt.save(update_fields=["status", "error", "delivery_ref"])
    return attempt


def contact_delivery_heard(
    *, reference: str, delivered: bool | None, delivery_ref: str, error: str
) -> bool:
    """`contact_delivery_record` as a `scenarios.notifications` delivery listener."""
    found = contact_delivery_record(
        reference=reference, delivered=delivered, delivery_ref=delivery_ref, error=error
    )
    return found is not None


@transaction.atomic
def attempt_outcome_record(*, attempt_id: int, outcome: str, note: str = "") -> ContactAttempt:
    """Record what came of a contact; outcomes only move forward, and opting out puts the
    customer on the do-not-contact list for every channel."""
    if outcome not in ContactAttempt.Outcome.values or not outcome:
        raise OutboundError(f"unknown outcome {outcome!r}")
    attempt = ContactAttempt.objects.select_for_update().filter(pk=attempt_id).first()
    if attempt is None:
        raise OutboundError(f"no contact attempt {attempt_id}")
    if attempt.status != ContactAttempt.Status.SENT:
        raise OutboundError("only a delivered contact has an outcome")
    if attempt.outcome == ContactAttempt.Outcome.OPTED_OUT:
        return attempt
    if outcome == ContactAttempt.Outcome.OPTED_OUT:
        DoNotContact.objects.create(
            customer=attempt.customer,
            reason=(note or f"opted out of {attempt.campaign.code}")[:200],
        )
    elif OUTCOME_ORDER.index(outcome) <= OUTCOME_ORDER.index(attempt.outcome):
        return attempt
    attempt.outcome, attempt.outcome_at = outcome, timezone.now()
    attempt.save(update_fields=["outcome", "outcome_at"])
    return attempt


@transaction.atomic
def attempt_reply(*, attempt_id: int, text: str) -> dict[str, Any]:
    """The customer answered the script (an inbox reply, WeChat text, keypad digits).

    Follows the current step's `replies`; a reply that names no step or outcome repeats the
    step. Any reply means the customer was reached; opt-out words always opt out. A reply to
    a contact still waiting in a channel's outbox proves it was delivered: it counts as sent
    (the channel's later report only adds its delivery reference).
    """
    attempt = (
        ContactAttempt.objects.select_for_update()
        .select_related("campaign", "customer")
        .filter(pk=attempt_id)
        .first()
    )
    if attempt is not None and attempt.status == ContactAttempt.Status.QUEUED:
        attempt.status = ContactAttempt.Status.SENT
        attempt.save(update_fields=["status"])
    if attempt is None or attempt.status != ContactAttempt.Status.SENT:
        raise OutboundError(f"no delivered contact attempt {attempt_id}")
    answer = (text or "").strip()
    lowered = answer.lower()
    if any(word in lowered for word in OPT_OUT_WORDS):
        attempt_outcome_record(attempt_id=attempt.pk, outcome="opted_out", note=answer[:200])
        return {"outcome": "opted_out", "step": attempt.step, "say": ""}
    attempt_outcome_record(attempt_id=attempt.pk, outcome="reached")
    steps = attempt.campaign.script.get("steps", {})
    replies: dict[str, str] = (steps.get(attempt.step) or {}).get("replies") or {}
    target = replies.get(answer) or next(
        (goal for key, goal in replies.items() if key and key.lower() in lowered), None
    )
    if target is None:
        return {
            "outcome": "reached",
            "step": attempt.step,
            "say": render_step(attempt.campaign, attempt.step, attempt.customer),
        }
    if target in steps:
        attempt.step = target
        attempt.save(update_fields=["step"])
        return {
            "outcome": "reached",
            "step": target,
            "say": render_step(attempt.campaign, target, attempt.customer),
        }
    attempt_outcome_record(attempt_id=attempt.pk, outcome=target)
    return {"outcome": target, "step": attempt.step, "say": ""}


def campaigns_run_due(now: datetime | None = None) -> dict[str, Any]:
    """Every running campaign, once (the django-q2 schedule calls this)."""
    now = now or timezone.now()
    reports: dict[str, Any] = {}
    for campaign in Campaign.objects.filter(status=Campaign.Status.RUNNING).select_related(
        "segment"
    ):
        report = campaign_run(campaign, now)
        reports[campaign.code] = report.__dict__
        if campaign.ends_at and now >= campaign.ends_at:
            Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.FINISHED)
    return reports


def next_allowed_time(campaign: Campaign, moment: datetime) -> datetime:
    """The first moment after `moment` outside quiet hours (for showing when a run resumes)."""
    if not in_quiet_hours(campaign, moment):
        return moment
    local = timezone.localtime(moment)
    resume = local.replace(
        hour=campaign.quiet_until.hour, minute=campaign.quiet_until.minute, second=0, microsecond=0
    )
    if resume <= local:
        resume += timedelta(days=1)
    return resume
