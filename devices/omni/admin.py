from django.contrib import admin

from devices.omni.models import ChannelIdentity, WebChatSite, WeChatAccount


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
