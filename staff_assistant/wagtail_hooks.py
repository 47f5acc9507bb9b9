"""The editors' queue of answer feedback, in the CMS menu."""

from __future__ import annotations

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from staff_assistant import admin_views


class FeedbackMenuItem(MenuItem):
    def is_shown(self, request: object) -> bool:
        return request.user.has_perm(admin_views.VIEW_PERMISSION)


@hooks.register("register_admin_urls")
def feedback_admin_urls() -> list:
    return [
        path("staff-feedback/", admin_views.queue, name="staff_assistant_feedback_queue"),
        path(
            "staff-feedback/<int:feedback_id>/resolve/",
            admin_views.resolve,
            name="staff_assistant_feedback_resolve",
        ),
    ]


@hooks.register("register_admin_menu_item")
def feedback_menu_item() -> MenuItem:
    return FeedbackMenuItem(
        _("Answer feedback"),
        reverse("staff_assistant_feedback_queue"),
        icon_name="comment",
        order=260,
    )
