"""Wagtail admin views for editors: try a question against the knowledge base, and see which
pages answers cite most."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from content.selectors import (
    CUSTOMER_SCOPE,
    KnowledgeScope,
    knowledge_scope_for_user,
    top_hit_pages,
)

MAX_QUESTION_CHARS = 2000
PAGE_TYPE_CHOICES = [
    ("", _("All page types")),
    ("faq", _("FAQs")),
    ("guide", _("Process guides")),
    ("product", _("Product pages")),
    ("campaign", _("Campaigns")),
    ("regulation", _("Regulations")),
    ("antifraud", _("Anti-fraud notices")),
]


class TryQuestionForm(forms.Form):
    question = forms.CharField(
        label=_("Question"),
        max_length=MAX_QUESTION_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=[("zh-hans", "简体中文"), ("en", "English")]
    )
    audience = forms.ChoiceField(
        label=_("Ask as"),
        choices=[
            ("customer", _("A customer (public pages only)")),
            ("staff", _("An employee (public and internal pages)")),
            ("me", _("Me (including restricted collections I may read)")),
        ],
        initial="customer",
    )
    page_type = forms.ChoiceField(label=_("Page type"), choices=PAGE_TYPE_CHOICES, required=False)

    def clean_question(self) -> str:
        question = self.cleaned_data["question"].strip()
        if not question:
            raise forms.ValidationError(_("Type a question."))
        return question


def _scope(choice: str, user: Any) -> KnowledgeScope:
    if choice == "customer":
        return CUSTOMER_SCOPE
    mine = knowledge_scope_for_user(user)
    if choice == "staff":
        # Internal pages only for those who may read them; never a restricted collection.
        return KnowledgeScope(mine.audiences, ())
    return mine


class TryQuestionView(WagtailAdminTemplateMixin, FormView):
    """Ask the same engine the channels use, as a customer, an employee or oneself.

    The answer is audited like any other (channel "cms") but does not count as a page hit.
    Retrieved passages are listed with their scores so an editor sees why a page won.
    """

    template_name = "content/admin/try_question.html"
    form_class = TryQuestionForm
    page_title = _("Try a question")
    header_icon = "help"

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_initial(self) -> dict[str, Any]:
        return {"language": "zh-hans", "audience": "customer"}

    def form_valid(self, form: TryQuestionForm) -> HttpResponse:
        from bank_ai.ai.engine import AskContext, ask
        from bank_ai.ai.masking import mask_pii
        from bank_ai.ai.retrieval import RetrievalFilters
        from bank_ai.ai.runtime import get_retriever

        data = form.cleaned_data
        scope = _scope(data["audience"], self.request.user)
        page_types = (data["page_type"],) if data["page_type"] else None
        answer = ask(
            data["question"],
            AskContext(
                language=data["language"],
                channel="cms",
                audiences=scope.audiences,
                extra_collections=scope.extra_collections,
                user=self.request.user,
                page_types=page_types,
            ),
        )
        passages = get_retriever().search(
            mask_pii(data["question"]).text,
            filters=RetrievalFilters(
                languages=(answer.language,),
                audiences=scope.audiences,
                extra_collections=scope.extra_collections,
                page_types=page_types,
            ),
            k=8,
        )
        sources = [
            {**source, "edit_url": _edit_url(source.get("page_id"))} for source in answer.sources
        ]
        context = self.get_context_data(
            form=form, answer=answer, sources=sources, passages=passages
        )
        return self.render_to_response(context)


def _edit_url(page_id: int | None) -> str:
    return reverse("wagtailadmin_pages:edit", args=[page_id]) if page_id else ""


class QuestionHitsReportView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "content/admin/hits_report.html"
    page_title = _("Knowledge hits")
    header_icon = "list-ol"
    PERIODS = {"7": 7, "30": 30, "all": None}

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        period = self.request.GET.get("period", "30")
        if period not in self.PERIODS:
            period = "30"
        days = self.PERIODS[period]
        since = timezone.now() - timedelta(days=days) if days else None
        rows = top_hit_pages(since=since, limit=100)
        for row in rows:
            row["edit_url"] = _edit_url(row["page_id"])
        context.update(rows=rows, period=period)
        return context


def try_question(request: HttpRequest) -> HttpResponse:
    return TryQuestionView.as_view()(request)


def hits_report(request: HttpRequest) -> HttpResponse:
    return QuestionHitsReportView.as_view()(request)
