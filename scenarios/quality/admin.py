"""The rubric editor, the supervisors' review queue (lowest scores first) and agent scorecards."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from bank_ai.admin_inlines import RecordInline
from scenarios.quality import selectors, services
from scenarios.quality.forms import ReviewForm
from scenarios.quality.models import Criterion, Inspection, ScoreReview


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ["code", "label_zh", "label_en", "kind", "weight", "ask_llm", "is_active"]
    list_editable = ["weight", "ask_llm", "is_active"]
    list_filter = ["kind", "is_active"]
    fields = [
        "code",
        "kind",
        "label_zh",
        "label_en",
        "weight",
        "parameters",
        "ask_llm",
        "is_active",
        "position",
    ]


class ReviewInline(RecordInline):
    model = ScoreReview
    fields = ["created_at", "action", "actor_name", "previous_score", "new_score", "reason"]


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    """The review queue: lowest scores first; opening one shows the marked-up transcript."""

    list_display = [
        "score_badge",
        "scenario",
        "channel",
        "agent_name",
        "failed_criteria",
        "review_state",
        "method",
        "conversation_ended_at",
    ]
    list_display_links = ["score_badge"]
    list_filter = ["review_state", "scenario", "channel", "method", "agent"]
    search_fields = ["session__id", "agent__username"]
    ordering = ["score", "-conversation_ended_at"]
    date_hierarchy = "conversation_ended_at"
    list_select_related = ["agent"]
    change_form_template = "admin/quality/inspection/review.html"
    change_list_template = "admin/quality/inspection/change_list.html"

    @admin.display(description=_("score"), ordering="score")
    def score_badge(self, obj: Inspection) -> str:
        colour = "#ba2121" if obj.score < 60 else ("#b07400" if obj.score < 80 else "#2e7d32")
        return format_html('<strong style="color:{}">{}</strong>', colour, f"{obj.score:.0f}")

    @admin.display(description=_("agent"), ordering="agent__username")
    def agent_name(self, obj: Inspection) -> str:
        return obj.agent.get_username() if obj.agent else str(_("bot"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list:
        return [
            path(
                "scorecards/",
                self.admin_site.admin_view(self.scorecards_view),
                name="quality_inspection_scorecards",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        inspection = get_object_or_404(
            Inspection.objects.select_related("session", "agent"), pk=object_id
        )
        form = ReviewForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                if data["action"] == "appeal":
                    services.score_appeal(
                        inspection_id=inspection.pk, actor=request.user, reason=data["reason"]
                    )
                else:
                    services.score_override(
                        inspection_id=inspection.pk,
                        actor=request.user,
                        reason=data["reason"],
                        score=data["score"] if data["action"] == "override" else None,
                    )
            except services.ReviewError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, _("Review recorded."), messages.SUCCESS)
                return HttpResponseRedirect(request.path)
        lines, overall = selectors.transcript_with_findings(inspection)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Conversation review"),
            "inspection": inspection,
            "lines": lines,
            "overall": overall,
            "reviews": inspection.reviews.all(),
            "form": form,
            "may_review": services.may_review(request.user),
            "queue_url": reverse("admin:quality_inspection_changelist"),
        }
        return TemplateResponse(request, self.change_form_template, context)

    def scorecards_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        cards = selectors.scorecards()
        codes = sorted({code for card in cards for code in card.failures})
        rows = [
            {"card": card, "failures": [card.failures.get(code, 0) for code in codes]}
            for card in cards
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Agent scorecards"),
            "codes": codes,
            "rows": rows,
        }
        return TemplateResponse(request, "admin/quality/inspection/scorecards.html", context)


@admin.register(ScoreReview)
class ScoreReviewAdmin(admin.ModelAdmin):
    """The audit trail: read only (the database refuses changes anyway)."""

    list_display = [
        "created_at",
        "action",
        "actor_name",
        "inspection",
        "previous_score",
        "new_score",
        "reason",
    ]
    list_filter = ["action"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
