"""The one seam every customer channel goes through: adapters, `Inbound` and `converse`.

A channel adapter (the avatar socket, the session API, WeChat, the web-chat widget, the voice
gateway) does three thin things: `authenticate` the caller (a device token, a platform
signature, a widget key), turn what arrived into an `Inbound` (who, which conversation, the
text or UI event, the language), and render the domain's `TurnResult` in its own wire format
(socket frames, REST JSON, WeChat XML, widget JSON). `converse` is the shared middle: it starts
the conversation or runs the turn or event in it through the dialogue engine, which stores the
customer's turn before anything is acknowledged.

The contract lives in the domain so that the session API (this app) and the channel layer's
adapters (devices) share it without the domain importing a channel; channel adapters register
themselves here at start-up (`adapter_register`), the way delivery channels do in
`scenarios.notifications`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from scenarios import dialogue
from scenarios.dialogue import DialogueError, TurnResult
from scenarios.models import DialogueSession


@dataclass(frozen=True)
class Inbound:
    """A customer's message (or a device's UI event) as any channel hands it to the domain.

    `channel` is what the session records as its channel (`wechat`, `webchat`, or a device
    kind such as `kiosk` for the avatar socket and the session API). `external_id` is the
    platform's id of the person (an openid, a web visitor); empty for device channels.
    `session_id` is the conversation it continues; None starts one (with `scenario`).
    """

    channel: str
    external_id: str = ""
    text: str = ""
    language: str = "zh-hans"
    session_id: Any = field(default=None, kw_only=True)
    scenario: str = field(default="", kw_only=True)
    step: str = field(default="", kw_only=True)
    # A UI event (a confirmed guide step, a submitted form) instead of text.
    event: str = field(default="", kw_only=True)
    data: Mapping[str, Any] = field(default_factory=dict, kw_only=True)
    source: str = field(default="text", kw_only=True)  # text, asr, menu
    customer: Any = field(default=None, kw_only=True)
    device: Any = field(default=None, kw_only=True)
    user: Any = field(default=None, kw_only=True)
    # The channel's own context the adapter needs to render its answer (a WeChat message's
    # sender and account, a socket frame's id); the domain never reads it.
    meta: Mapping[str, Any] = field(default_factory=dict, kw_only=True)

    @property
    def starts(self) -> bool:
        return self.session_id is None


@runtime_checkable
class ChannelAdapter(Protocol):
    """What every channel implements; `channel` is its name in the registry."""

    channel: str

    def authenticate(self, request: Any) -> Any:
        """The principal the request comes from (device, user, platform account, widget
        site); raises the channel's own error for a bad signature, key or token."""
        ...

    def inbound(self, request: Any, principal: Any) -> Inbound | None:
        """The customer's message in the request, or None for what carries none."""
        ...

    def outbound(self, inbound: Inbound, session_id: Any, result: Any) -> Any:
        """The channel's wire format of the domain's answer (a `TurnResult` for a dialogue;
        a campaign script's step for the voice gateway, whose calls run a script)."""
        ...


ADAPTERS: dict[str, ChannelAdapter] = {}


def adapter_register(adapter: ChannelAdapter) -> ChannelAdapter:
    if not isinstance(adapter, ChannelAdapter) or not adapter.channel:
        raise TypeError(f"{adapter!r} does not implement ChannelAdapter")
    ADAPTERS[adapter.channel] = adapter
    return adapter


def adapter_for(channel: str) -> ChannelAdapter:
    try:
        return ADAPTERS[channel]
    except KeyError:
        raise LookupError(f"no channel adapter registered for {channel!r}") from None


DeltaSink = Callable[[str], None]


def converse(
    inbound: Inbound, *, on_delta: DeltaSink | None = None
) -> tuple[DialogueSession | None, TurnResult]:
    """Start the inbound's conversation, or run its turn or event in it.

    Returns the session when one was started (with its greeting as the result) and None for a
    turn or event in `inbound.session_id`; raises DialogueError when the engine refuses.
    """
    if inbound.starts:
        if not inbound.scenario:
            raise DialogueError("a new conversation needs a scenario")
        session, greeting = dialogue.session_start(
            scenario=inbound.scenario,
            channel=inbound.channel,
            language=inbound.language,
            device=inbound.device,
            user=inbound.user,
            customer=inbound.customer,
        )
        return session, greeting
    if inbound.event:
        return None, dialogue.session_event(
            session_id=inbound.session_id,
            name=inbound.event,
            step=inbound.step,
            data=dict(inbound.data),
            on_delta=on_delta,
        )
    return None, dialogue.session_turn(
        session_id=inbound.session_id, text=inbound.text, step=inbound.step, on_delta=on_delta
    )
