"""The editors' queue in the CMS: employees' thumbs-down and corrections of answers."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from staff_assistant.models import Feedback
from staff_assistant.selectors import feedback_question, feedback_queue
from staff_assistant.services import AssistantError, feedback_resolve

VIEW_PERMISSION = "staff_assistant.view_feedback"
CHANGE_PERMISSION = "staff_assistant.change_feedback"
TABS = (Feedback.Status.OPEN, Feedback.Status.RESOLVED, Feedback.Status.DISMISSED)


class FeedbackQueueView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "staff_assistant/admin/feedback_queue.html"
    page_title = gettext_lazy("Answer feedback")
    header_icon = "comment"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.has_perm(VIEW_PERMISSION):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        status = self.request.GET.get("status", Feedback.Status.OPEN)
        if status not in TABS:
            status = Feedback.Status.OPEN
        page = Paginator(feedback_queue(status=status), 25).get_page(self.request.GET.get("p"))
        for item in page.object_list:
            item.question = feedback_question(item)
            item.cited = [
                {**source, "edit_url": _edit_url(source.get("page_id"))}
                for source in item.message.sources
            ]
        context.update(
            items=page,
            status=status,
            tabs=[(value, Feedback.Status(value).label) for value in TABS],
            open_count=feedback_queue().count(),
            can_resolve=self.request.user.has_perm(CHANGE_PERMISSION),
        )
        return context


def _edit_url(page_id: int | None) -> str:
    return reverse("wagtailadmin_pages:edit", args=[page_id]) if page_id else ""


def queue(request: HttpRequest) -> HttpResponse:
    return FeedbackQueueView.as_view()(request)


@require_POST
def resolve(request: HttpRequest, feedback_id: int) -> HttpResponse:
    if not request.user.has_perm(CHANGE_PERMISSION):
        raise PermissionDenied
    try:
        feedback_resolve(
            feedback_id=feedback_id,
            editor=request.user,
            status=request.POST.get("status", ""),
            note=request.POST.get("note", ""),
        )
    except AssistantError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Feedback closed."))
    return redirect("staff_assistant_feedback_queue")
