from django.contrib import admin

from devices.omni.models import ChannelIdentity, WebChatSite, WeChatAccount, WeChatMessage


@admin.register(WeChatAccount)
class WeChatAccountAdmin(admin.ModelAdmin):
    list_display = ("code", "app_id", "scenario", "is_active")


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
