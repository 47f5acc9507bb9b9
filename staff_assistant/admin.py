"""Read-only admin for compliance: employees' conversations with the assistant and feedback.

The record of what was asked and answered is evidence; nobody edits it here (editors close
feedback from the queue in the CMS).
"""

from __future__ import annotations

from django.contrib import admin

from bank_ai.admin_inlines import RecordInline
from staff_assistant.models import Conversation, Feedback, Message


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False


class MessageInline(RecordInline):
    model = Message
    fields = ["created_at", "role", "quick_filter", "kind", "text", "audit"]


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdmin):
    list_display = ["title", "user", "language", "created_at", "updated_at"]
    list_filter = ["language"]
    search_fields = ["title", "user__username"]
    date_hierarchy = "created_at"
    inlines = [MessageInline]


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "rating", "status", "resolved_by", "resolved_at"]
    list_filter = ["status", "rating"]
    search_fields = ["correction", "editor_note", "user__username"]
    raw_id_fields = ["message"]
