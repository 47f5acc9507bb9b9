"""How a message reaches a customer: channels behind one small interface.

A channel takes a rendered message and returns a `Delivery`: its reference, and whether the
channel only queued the message and reports what became of it later. `app_inbox` stores the
message in the customer's in-app inbox (`CustomerNotification`, what the app lists under
消息 / Messages) and emits `CustomerNotified`, which the channel apps show in any of the
customer's open app or avatar sessions. An SMS or
WeChat gateway is another class registered here; reminders name their channel, they never print.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

from django.db import transaction

from scenarios import events
from scenarios.models import Customer, CustomerNotification


class NotificationError(Exception):
    """The channel could not take the message (unknown channel, gateway refused it)."""


@dataclass(frozen=True)
class Delivery:
    """What a channel did with a message: `ref` names it in the channel (an inbox row, a call,
    an outbox row).

    `queued` is True when the channel has only queued it (WeChat's durable outbox): the caller
    records the message as waiting, and the channel reports the delivery or its failure later
    under the `reference` it was given (`delivery_record`, heard by the campaign contacts and
    the repayment reminders). False means the channel took the message for good.
    """

    ref: str
    queued: bool = False


class DeliveryListener(Protocol):
    def __call__(
        self, *, reference: str, delivered: bool | None, delivery_ref: str, error: str
    ) -> bool: ...


_delivery_listeners: list[DeliveryListener] = []


def register_delivery_listener(listener: DeliveryListener) -> DeliveryListener:
    """A part of the domain that sends messages under references of its own (campaign
    contacts, repayment reminders) hears what became of the ones a channel only queued."""
    if listener not in _delivery_listeners:
        _delivery_listeners.append(listener)
    return listener


def delivery_record(
    *, reference: str, delivered: bool | None, delivery_ref: str = "", error: str = ""
) -> bool:
    """A channel reports what became of a message it queued: delivered (True, `delivery_ref`
    names the delivery), given up (False, with `error`) or being tried again (None). The
    listener that owns the reference records it; False when none does."""
    return any(
        listener(reference=reference, delivered=delivered, delivery_ref=delivery_ref, error=error)
        for listener in list(_delivery_listeners)
    )


def delivery_status_after(status: str, delivered: bool | None) -> str | None:
    """The state a queued message's record moves to on its channel's report, or None to stay:
    `queued` or `failed` -> `sent` when delivered (staff may force out a given-up one),
    `queued` -> `failed` when given up, `failed` -> `queued` when tried again. A record in any
    other state (scheduled, skipped, sent) keeps it: the report cannot unsay what happened."""
    if delivered is True and status in ("queued", "failed"):
        return "sent"
    if delivered is False and status == "queued":
        return "failed"
    if delivered is None and status == "failed":
        return "queued"
    return None


class NotificationChannel(Protocol):
    code: ClassVar[str]

    def send(
        self,
        *,
        customer: Customer,
        kind: str,
        language: str,
        title: str,
        body: str,
        reference: str,
    ) -> Delivery: ...


CHANNELS: dict[str, NotificationChannel] = {}


def register_channel(cls: type) -> type:
    CHANNELS[cls.code] = cls()
    return cls


def channel_for(code: str) -> NotificationChannel:
    try:
        return CHANNELS[code]
    except KeyError:
        raise NotificationError(f"no notification channel {code!r}") from None


@register_channel
class AppInboxChannel:
    code: ClassVar[str] = "app_inbox"

    @transaction.atomic
    def send(
        self,
        *,
        customer: Customer,
        kind: str,
        language: str,
        title: str,
        body: str,
        reference: str,
    ) -> Delivery:
        note = CustomerNotification.objects.create(
            customer=customer,
            kind=kind,
            language=language,
            title=title,
            body=body,
            reference=reference,
        )
        events.emit(
            events.CustomerNotified(
                customer_id=customer.pk,
                notification_id=note.pk,
                kind=kind,
                title=title,
                body=body,
            )
        )
        return Delivery(f"inbox:{note.pk}")
