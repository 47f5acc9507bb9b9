"""Admin building blocks the apps share."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class RecordInline(admin.TabularInline):
    """Rows that are a record of what happened (turns, attempts, reviews, routing events).

    Shown beside their parent, never added, edited or deleted from it: every listed field is
    read-only, so a subclass only names its model and fields.
    """

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return (*(self.fields or ()), *self.readonly_fields)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
