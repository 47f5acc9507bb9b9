from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from devices.omni.models import (
    ChannelIdentity,
    WebChatSite,
    WeChatAccount,
    WeChatMessage,
    WeChatOutbound,
)
from devices.omni.outbox import wechat_outbound_resend, wechat_outbound_send


@admin.register(WeChatAccount)
class WeChatAccountAdmin(admin.ModelAdmin):
    list_display = ("code", "app_id", "scenario", "is_active")
    # An API address typed without a scheme is WeChat's (https), as Django 6 will assume.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(WebChatSite)
class WebChatSiteAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "scenario", "is_active")
    readonly_fields = ("key",)


@admin.register(ChannelIdentity)
class ChannelIdentityAdmin(admin.ModelAdmin):
    list_display = ("channel", "external_id", "customer", "linked_at", "last_seen_at")
    list_filter = ("channel",)
    search_fields = ("external_id", "customer__customer_no")
    raw_id_fields = ("customer", "session")


@admin.register(WeChatMessage)
class WeChatMessageAdmin(admin.ModelAdmin):
    """Where a late or failed reply shows (the 5-second rule, devices.omni.wechat)."""

    list_display = ("received_at", "account", "openid", "state", "attempts", "error")
    list_filter = ("state", "account")
    search_fields = ("openid", "msg_key")
    raw_id_fields = ("session",)


@admin.register(WeChatOutbound)
class WeChatOutboundAdmin(admin.ModelAdmin):
    """Late replies, agents' words and campaign messages on their way to WeChat: retries, and
    why one was given up (devices.omni.outbox). "Send again" on a campaign message moves its
    contact back to queued, and to sent once WeChat accepts it."""

    list_display = (
        "created_at",
        "account",
        "openid",
        "kind",
        "reference",
        "state",
        "attempts",
        "next_attempt_at",
        "gave_up",
        "last_error",
    )
    list_filter = ("state", "gave_up", "kind", "account")
    search_fields = ("openid", "text", "reference")
    raw_id_fields = ("message", "session")
    readonly_fields = (
        "account",
        "openid",
        "text",
        "kind",
        "reference",
        "message",
        "session",
        "state",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "last_error",
        "gave_up",
        "wechat_msgid",
        "created_at",
        "sent_at",
    )
    actions = ("send_again",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Send the given-up messages again"))
    def send_again(self, request: HttpRequest, queryset: QuerySet[WeChatOutbound]) -> None:
        resent = [o.pk for o in queryset if wechat_outbound_resend(outbound_id=o.pk)]
        states = [wechat_outbound_send(outbound_id=outbound_id) for outbound_id in resent]
        sent = states.count(WeChatOutbound.State.SENT)
        self.message_user(
            request,
            ngettext("%(count)d message sent again.", "%(count)d messages sent again.", sent)
            % {"count": sent},
            messages.SUCCESS,
        )
        # Staff must see what did not go out, not only what did.
        if len(resent) > sent:
            self.message_user(
                request,
                ngettext(
                    "%(count)d message failed again; see its state and last error.",
                    "%(count)d messages failed again; see their state and last error.",
                    len(resent) - sent,
                )
                % {"count": len(resent) - sent},
                messages.WARNING,
            )
        skipped = queryset.count() - len(resent)
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d selected message was not given up and was left as it is.",
                    "%(count)d selected messages were not given up and were left as they are.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
