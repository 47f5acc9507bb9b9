"""How a message reaches a customer: channels behind one small interface.

A channel takes a rendered message and returns its delivery reference (a `Queued` one when
it only queued the message and reports the delivery later). `app_inbox` stores the
message in the customer's in-app inbox (`CustomerNotification`, what the app lists under
消息 / Messages) and emits `CustomerNotified`, which the channel apps show in any of the
customer's open app or avatar sessions. An SMS or
WeChat gateway is another class registered here; reminders name their channel, they never print.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from django.db import transaction

from scenarios import events
from scenarios.models import Customer, CustomerNotification


class NotificationError(Exception):
    """The channel could not take the message (unknown channel, gateway refused it)."""


class Queued(str):
    """A delivery reference for a message the channel has only queued, not yet delivered.

    A channel with a durable outbox (WeChat's) returns one: the caller records the message as
    waiting, and the channel reports the delivery or its failure later under the `reference`
    it was given (for a campaign, `scenarios.outbound.services.contact_delivery_record`). A
    plain `str` means the channel took the message for good.
    """


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
    ) -> str: ...


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
    ) -> str:
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
        return f"inbox:{note.pk}"
