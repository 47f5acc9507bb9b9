"""Channel adapters' own data: platform accounts, widget sites, and who is who across channels.

A `ChannelIdentity` is one person as a platform knows them (a WeChat openid, a web-chat
visitor). When the bank links it to a `Customer` (after its own login or a signed customer
token), every channel's sessions of that identity carry the customer, so the agent sees one
history and a conversation started on one channel continues on another.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _secret() -> str:
    return secrets.token_urlsafe(24)


class WeChatAccount(models.Model):
    """A WeChat Official Account the bank runs (服务号)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    app_id = models.CharField(_("AppID"), max_length=40)
    app_secret = models.CharField(_("AppSecret"), max_length=80)
    # The token configured in the WeChat console for the message callback's signature.
    token = models.CharField(_("callback token"), max_length=64)
    api_base = models.URLField(_("API base URL"), default="https://api.weixin.qq.com")
    scenario = models.SlugField(_("scenario"), max_length=40, default="super_teller")
    # Menu click events: {"EVENT_KEY": {"text": "...what the customer would have typed"}}.
    menu = models.JSONField(_("menu events"), default=dict, blank=True)
    welcome = models.TextField(_("welcome message"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("WeChat official account")
        verbose_name_plural = _("WeChat official accounts")

    def __str__(self) -> str:
        return self.code


class WebChatSite(models.Model):
    """A web page that embeds the chat widget; `key` is public, `secret` signs customer tokens."""

    name = models.CharField(_("name"), max_length=80)
    key = models.CharField(_("public key"), max_length=40, unique=True, default=_secret)
    secret = models.CharField(_("signing secret"), max_length=64, default=_secret)
    allowed_origins = models.JSONField(_("allowed origins"), default=list, blank=True)
    scenario = models.SlugField(_("scenario"), max_length=40, default="super_teller")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("web chat site")
        verbose_name_plural = _("web chat sites")

    def __str__(self) -> str:
        return self.name


class ChannelIdentity(models.Model):
    channel = models.CharField(_("channel"), max_length=20)  # wechat, webchat, voice
    external_id = models.CharField(_("platform id"), max_length=120)
    customer = models.ForeignKey(
        "scenarios.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="channel_identities",
        verbose_name=_("customer"),
    )
    # The conversation this identity is in now (a new one starts when it ends or goes stale).
    session = models.ForeignKey(
        "scenarios.DialogueSession",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    created_at = models.DateTimeField(_("first seen"), default=timezone.now)
    linked_at = models.DateTimeField(_("linked to the customer"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now)

    class Meta:
        verbose_name = _("channel identity")
        verbose_name_plural = _("channel identities")
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"], name="omni_identity_unique")
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.external_id}"


class WeChatMessage(models.Model):
    """A message WeChat delivered to the callback, stored before anything is answered.

    It is the callback's record of the 5-second rule: the turn runs while the callback waits
    up to `WECHAT_PASSIVE_REPLY_SECONDS`; an answer ready in time goes back as the passive
    reply, a later one through the customer-service message API. WeChat retries a message it
    got no answer to (same MsgId): the unique key makes the retry find this row instead of
    running a second turn.
    """

    class State(models.TextChoices):
        RECEIVED = "received", _("received")  # the turn is running, the callback waits
        ANSWERED = "answered", _("answered")  # in time: the waiting callback replies with it
        PASSIVE = "passive", _("replied passively")
        LATE = "late", _("too late for a passive reply")  # the callback answered "success"
        SENT = "sent", _("sent through the customer-service API")
        FAILED = "failed", _("delivery failed")

    account = models.ForeignKey(WeChatAccount, on_delete=models.CASCADE, related_name="messages")
    # MsgId, or sender + CreateTime + event for events (which have no MsgId).
    msg_key = models.CharField(_("message key"), max_length=120)
    openid = models.CharField(_("sender"), max_length=120)
    text = models.TextField(_("text"))
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.RECEIVED
    )
    reply = models.TextField(_("reply"), blank=True)
    session = models.ForeignKey(
        "scenarios.DialogueSession",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    error = models.CharField(_("error"), max_length=300, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    # When its turn was last started (the callback, or the sweep after a process died).
    tried_at = models.DateTimeField(_("last tried"), default=timezone.now)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)

    class Meta:
        verbose_name = _("WeChat message")
        verbose_name_plural = _("WeChat messages")
        constraints = [
            models.UniqueConstraint(fields=["account", "msg_key"], name="omni_wechat_msg_once")
        ]

    def __str__(self) -> str:
        return f"{self.account_id}:{self.msg_key}"


class WeChatOutbound(models.Model):
    """A customer-service message to a follower, kept until WeChat accepts it or it is given up.

    Late replies (the 5-second rule), an agent's words and campaign messages go out through WeChat's
    customer-service message API, which can fail (network, "system busy", an expired access
    token). The row is the durable record: a failed send waits `next_attempt_at` (a django-q2
    one-off schedule tries it then), and is given up after `WECHAT_SEND_MAX_ATTEMPTS`, or at
    once when WeChat refuses the follower for good, with the reason kept here. A send is
    claimed (`pending` -> `sending`) before the API is called, so it never goes out twice.
    """

    class Kind(models.TextChoices):
        REPLY = "reply", _("late reply to a message")
        AGENT = "agent", _("agent's words")
        CAMPAIGN = "campaign", _("campaign message")
        REMINDER = "reminder", _("repayment reminder")

    class State(models.TextChoices):
        PENDING = "pending", _("waiting to be sent")
        SENDING = "sending", _("being sent")
        SENT = "sent", _("sent")
        GAVE_UP = "gave_up", _("given up")

    class GiveUp(models.TextChoices):
        NONE = "", _("not given up")
        ATTEMPTS = "attempts", _("every attempt failed")
        REFUSED = "refused", _("WeChat refused the follower for good")
        UNKNOWN = "unknown", _("may have been delivered: not sent again")

    account = models.ForeignKey(WeChatAccount, on_delete=models.CASCADE, related_name="outbounds")
    openid = models.CharField(_("follower"), max_length=120)
    text = models.TextField(_("text"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # The message this replies to (at most one reply each: a second late delivery finds it).
    message = models.OneToOneField(
        WeChatMessage,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="outbound",
        verbose_name=_("in reply to"),
    )
    session = models.ForeignKey(
        "scenarios.DialogueSession",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # What the domain knows this message as (a campaign's `outbound:<attempt id>`, a reminder's
    # `reminder:<id>`): the outbox reports the delivery back under it
    # (scenarios.notifications.delivery_record).
    reference = models.CharField(_("what it delivers"), max_length=80, blank=True, db_index=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    # When the current attempt claimed it (a send stuck in `sending` ended with its process).
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    gave_up = models.CharField(
        _("given up because"), max_length=10, choices=GiveUp.choices, default="", blank=True
    )
    wechat_msgid = models.CharField(_("WeChat msgid"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("WeChat customer-service message")
        verbose_name_plural = _("WeChat customer-service messages")

    def __str__(self) -> str:
        return f"{self.account_id}:{self.openid} {self.state}"
