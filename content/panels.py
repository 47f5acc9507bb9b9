"""A read-only Wagtail panel: the questions colleagues and customers were answered with from
this page, most frequent first."""

from __future__ import annotations

from typing import Any

from wagtail.admin.panels import Panel


class QuestionHitsPanel(Panel):
    def __init__(self, limit: int = 30, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.limit = limit

    def clone_kwargs(self) -> dict[str, Any]:
        kwargs = super().clone_kwargs()
        kwargs["limit"] = self.limit
        return kwargs

    @property
    def clean_name(self) -> str:
        return super().clean_name or "question_hits"

    class BoundPanel(Panel.BoundPanel):
        template_name = "content/panels/question_hits.html"

        def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
            from content.selectors import page_hit_summary, page_question_hits

            context = super().get_context_data(parent_context)
            page_id = getattr(self.instance, "pk", None)
            context["hits"] = page_question_hits(page_id, limit=self.panel.limit) if page_id else []
            context["summary"] = page_hit_summary(page_id) if page_id else None
            return context
