"""The channel-adapter interface every customer channel shares.

An adapter does three thin things: authenticate the caller (a platform signature, a widget
key, a device token), turn the inbound message into a call of the domain
(`scenarios.dialogue.session_start` / `session_turn`), and turn the `TurnResult` into its own
wire format (WeChat XML, widget JSON, avatar frames). `converse` is the shared middle: it finds
the identity's conversation (continuing the linked customer's open conversation from another
channel), runs the turn and returns the result; the adapter only parses and renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from devices.omni.models import ChannelIdentity
from scenarios import dialogue
from scenarios.dialogue import DialogueError, TurnResult
from scenarios.models import Customer, DialogueSession

# Sessions these adapters start; a linked customer's conversation moves freely between them.
OMNI_CHANNELS = ("wechat", "webchat")


@dataclass(frozen=True)
class Inbound:
    """A customer's message as any channel sees it."""

    channel: str
    external_id: str
    text: str
    language: str = "zh-hans"


class ChannelAdapter(Protocol):
    channel: str

    def authenticate(self, request: Any) -> Any:
        """The account/site/device the request comes from; raises on a bad signature or key."""
        ...

    def inbound(self, request: Any, principal: Any) -> Inbound | None:
        """The customer's message in the request, or None for events that carry none."""
        ...

    def outbound(self, inbound: Inbound, result: TurnResult) -> Any:
        """The channel's wire format of the domain's answer."""
        ...


def _stale_after() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "OMNI_SESSION_IDLE_MINUTES", 30)))


def identity_for(channel: str, external_id: str, language: str = "zh-hans") -> ChannelIdentity:
    identity, _ = ChannelIdentity.objects.get_or_create(
        channel=channel, external_id=external_id[:120], defaults={"language": language}
    )
    return identity


@transaction.atomic
def identity_link(*, identity: ChannelIdentity, customer: Customer) -> ChannelIdentity:
    """The bank has verified who this is: the identity's sessions belong to the customer."""
    identity = ChannelIdentity.objects.select_for_update().get(pk=identity.pk)
    identity.customer, identity.linked_at = customer, timezone.now()
    identity.save(update_fields=["customer", "linked_at"])
    if identity.session_id:
        DialogueSession.objects.filter(pk=identity.session_id, customer__isnull=True).update(
            customer=customer
        )
    return identity


def _open_session(identity: ChannelIdentity) -> DialogueSession | None:
    fresh = timezone.now() - _stale_after()
    open_states = [DialogueSession.Status.ACTIVE, DialogueSession.Status.HANDED_OVER]
    if identity.session_id:
        session = DialogueSession.objects.filter(
            pk=identity.session_id, status__in=open_states, updated_at__gte=fresh
        ).first()
        if session is not None:
            return session
    if identity.customer_id:
        # The same customer talking on another channel a moment ago: carry on there.
        return (
            DialogueSession.objects.filter(
                customer_id=identity.customer_id,
                channel__in=OMNI_CHANNELS,
                status__in=open_states,
                updated_at__gte=fresh,
            )
            .order_by("-updated_at")
            .first()
        )
    return None


def converse(
    inbound: Inbound, *, scenario: str, identity: ChannelIdentity | None = None
) -> tuple[DialogueSession, TurnResult]:
    """Run the customer's message through the dialogue engine, in the identity's conversation."""
    identity = identity or identity_for(inbound.channel, inbound.external_id, inbound.language)
    session = _open_session(identity)
    if session is None:
        session, _greeting = dialogue.session_start(
            scenario=scenario,
            channel=inbound.channel,
            language=inbound.language or identity.language,
            customer=identity.customer,
        )
    ChannelIdentity.objects.filter(pk=identity.pk).update(
        session=session, last_seen_at=timezone.now()
    )
    if not inbound.text.strip():
        raise DialogueError("the message is empty")
    result = dialogue.session_turn(session_id=session.pk, text=inbound.text)
    return session, result


def reply_text(result: TurnResult, language: str) -> str:
    """What a text-only channel shows of a result: the reply, or that a person is coming."""
    if result.reply:
        return result.reply
    for action in result.actions:
        if action.get("type") == "handoff" and action.get("state") == "waiting":
            with translation.override(language):
                return _("An agent will be with you shortly.")
    return ""
