"""What the omnichannel adapters (WeChat, web chat, voice) add to the shared channel seam.

The adapter contract, `Inbound` and the shared `converse` live in the domain
(`scenarios.conversation`), so the avatar socket and the session API go through the same seam.
These channels have no session id of their own: the platform knows a person (an openid, a web
visitor), so `converse` here finds that identity's conversation first (continuing the linked
customer's open conversation from another channel), then runs the turn through the shared one.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from devices.omni.models import ChannelIdentity
from scenarios import conversation
from scenarios.conversation import ChannelAdapter, Inbound
from scenarios.dialogue import DialogueError, TurnResult
from scenarios.models import Customer, DialogueSession

__all__ = [
    "OMNI_CHANNELS",
    "ChannelAdapter",
    "Inbound",
    "converse",
    "identity_for",
    "identity_link",
    "reply_text",
]

# Sessions these adapters start; a linked customer's conversation moves freely between them.
OMNI_CHANNELS = ("wechat", "webchat")


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
        start = Inbound(
            inbound.channel,
            inbound.external_id,
            language=inbound.language or identity.language,
            scenario=scenario,
            customer=identity.customer,
        )
        session, _greeting = conversation.converse(start)
        assert session is not None  # noqa: S101 - a start always returns its session
    ChannelIdentity.objects.filter(pk=identity.pk).update(
        session=session, last_seen_at=timezone.now()
    )
    if not inbound.text.strip() and not inbound.event:
        raise DialogueError("the message is empty")
    _started, result = conversation.converse(replace(inbound, session_id=session.pk))
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
