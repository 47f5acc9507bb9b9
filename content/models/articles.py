"""Knowledge pages edited in Wagtail and answered from by every scenario.

Each page lives in a Wagtail locale (zh-Hans or en) and belongs to a collection whose audience
decides who may be answered from it: customer channels see only public collections.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404
from django.utils.html import escape, strip_tags
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList, TabbedInterface
from wagtail.api import APIField
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from content.blocks import ITEM_BLOCKS, QUESTION_BLOCKS, STEP_BLOCKS
from content.catalogue import card_facts, card_for, card_select_choices
from content.citations import REVISION_ROUTE, revision_url
from content.models.collections import CHANNELS, Audience, KnowledgeCollection
from content.panels import QuestionHitsPanel

# Wagtail derives a template name per page class; all article types share one layout.
ARTICLE_TEMPLATE = "content/article_page.html"


class KnowledgeIndexPage(Page):
    """The root of one language's knowledge base."""

    intro = models.TextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = [
        "content.FaqPage",
        "content.ProcessGuidePage",
        "content.RegulationPage",
        "content.CampaignPage",
        "content.AntiFraudNoticePage",
        "content.ProductPage",
    ]
    template = "content/index_page.html"

    class Meta:
        verbose_name = _("knowledge index")


def paragraphs_to_html(text: str) -> str:
    """Plain text with blank-line paragraphs, as rich-text HTML."""
    return "".join(f"<p>{escape(p.strip())}</p>" for p in re.split(r"\n\s*\n", text) if p.strip())


def article_edit_handler(content_panels: list) -> TabbedInterface:
    """Wagtail's usual tabs plus one showing which questions were answered from the page."""
    return TabbedInterface(
        [
            ObjectList(content_panels, heading=_("Content")),
            ObjectList(Page.promote_panels, heading=_("Promote")),
            ObjectList(Page.settings_panels, heading=_("Settings")),
            ObjectList([QuestionHitsPanel()], heading=_("Questions asked")),
        ]
    )


class KnowledgeArticle(RoutablePageMixin, Page):
    """Fields every knowledge page shares; concrete types add their own."""

    summary = models.TextField(_("summary"), help_text=_("One or two sentences shown in answers."))
    audience = models.CharField(
        _("audience"), max_length=12, choices=Audience.choices, default=Audience.PUBLIC
    )
    collection = models.ForeignKey(
        KnowledgeCollection,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("collection"),
    )
    topics = ArrayField(
        models.CharField(max_length=30),
        default=list,
        blank=True,
        verbose_name=_("topics"),
        help_text=_("Comma-separated topic tags, e.g. credit-card, fees."),
    )
    # The catalogue's code of the card the page is about (content.catalogue): knowledge names
    # a card, it does not hold a key into the scenarios' tables.
    product_code = models.CharField(_("card product"), max_length=40, blank=True, default="")
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    questions = StreamField(
        QUESTION_BLOCKS,
        blank=True,
        verbose_name=_("question variants"),
        max_num=12,
    )

    common_panels = [
        FieldPanel("summary"),
        MultiFieldPanel(
            [
                FieldPanel("audience"),
                FieldPanel("collection"),
                FieldPanel("topics"),
                # The list is read from the catalogue each time the editor opens (callable
                # choices on the widget, not the model: checks and migrations never query it).
                FieldPanel("product_code", widget=forms.Select(choices=card_select_choices)),
                FieldPanel("valid_from"),
                FieldPanel("valid_until"),
            ],
            heading=_("Who and when"),
        ),
        FieldPanel("questions"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.FilterField("audience"),
    ]
    api_fields = [
        APIField("summary"),
        APIField("audience"),
        APIField("topics"),
        APIField("questions"),
    ]
    parent_page_types = ["content.KnowledgeIndexPage"]
    subpage_types: list[str] = []
    template = ARTICLE_TEMPLATE
    # Editors create one of the concrete types below; the base table keeps shared fields
    # queryable in one place for retrieval and filters.
    is_creatable = False

    class Meta:
        verbose_name = _("knowledge article")

    def serve(self, request, *args, **kwargs):  # noqa: ANN001, ANN201 - Wagtail's signature
        from content.selectors import user_can_read_article

        # 404, not 403: an internal or restricted page's existence is itself not public.
        if not user_can_read_article(getattr(request, "user", None), self):
            raise Http404
        return super().serve(request, *args, **kwargs)

    @path(f"{REVISION_ROUTE}/<int:revision_id>/", name="revision")
    def revision(self, request, revision_id: int):  # noqa: ANN001, ANN201 - a routable view
        from content.views import article_revision

        return article_revision(request, self, revision_id)

    def clean(self) -> None:
        super().clean()
        # Retrieval and page access both go by the page's audience; a page that is more open
        # than its collection would leak the collection's content to the wrong readers.
        if self.collection_id and self.audience != self.collection.audience:
            raise ValidationError(
                {
                    "audience": _(
                        "The audience must match the collection's audience (%(audience)s)."
                    )
                    % {"audience": self.collection.get_audience_display()}
                }
            )
        if self.product_code and card_for(self.product_code) is None:
            raise ValidationError({"product_code": _("There is no such card in the catalogue.")})

    def citation_url(self, revision_id: int | None = None) -> str:
        return revision_url(self.get_url() or "", revision_id or self.live_revision_id)

    @property
    def is_expired(self) -> bool:
        from django.utils import timezone

        return self.valid_until is not None and self.valid_until < timezone.localdate()

    def question_variants(self) -> list[str]:
        return [block.value for block in self.questions if block.block_type == "question"]

    def body_text(self) -> str:
        """The page's own content as plain text, for indexing and extractive answers."""
        return ""

    def knowledge_text(self) -> str:
        parts = [self.title, self.summary, self.body_text()]
        return "\n\n".join(p for p in parts if p)


class FaqPage(KnowledgeArticle):
    template = ARTICLE_TEMPLATE
    answer = models.TextField(
        _("curated answer"), help_text=_("Returned to customers exactly as written.")
    )
    content_panels = [*Page.content_panels, *KnowledgeArticle.common_panels, FieldPanel("answer")]
    edit_handler = article_edit_handler(content_panels)
    search_fields = [*KnowledgeArticle.search_fields, index.SearchField("answer")]
    api_fields = [*KnowledgeArticle.api_fields, APIField("answer")]

    class Meta:
        verbose_name = _("FAQ")
        verbose_name_plural = _("FAQs")

    def body_text(self) -> str:
        return self.answer


class ProcessGuidePage(KnowledgeArticle):
    template = ARTICLE_TEMPLATE
    overview = models.TextField(_("overview"), blank=True)
    steps = StreamField(STEP_BLOCKS, verbose_name=_("steps"), min_num=1, max_num=20)
    materials = StreamField(ITEM_BLOCKS, blank=True, verbose_name=_("materials to bring"))
    channels = ArrayField(
        models.CharField(max_length=10, choices=CHANNELS),
        default=list,
        blank=True,
        verbose_name=_("channels"),
    )
    timeline = models.CharField(_("how long it takes"), max_length=300, blank=True)

    content_panels = [
        *Page.content_panels,
        *KnowledgeArticle.common_panels,
        FieldPanel("overview"),
        FieldPanel("steps"),
        FieldPanel("materials"),
        FieldPanel("channels"),
        FieldPanel("timeline"),
    ]
    edit_handler = article_edit_handler(content_panels)
    search_fields = [*KnowledgeArticle.search_fields, index.SearchField("overview")]
    api_fields = [*KnowledgeArticle.api_fields, APIField("steps"), APIField("materials")]

    class Meta:
        verbose_name = _("process guide")

    def body_text(self) -> str:
        lines = [self.overview]
        for number, block in enumerate(self.steps, start=1):
            lines.append(f"{number}. {block.value['title']}: {block.value['detail']}")
        items = [block.value for block in self.materials]
        if items:
            lines.append("; ".join(items))
        if self.timeline:
            lines.append(self.timeline)
        return "\n".join(line for line in lines if line)


class RegulationPage(KnowledgeArticle):
    template = ARTICLE_TEMPLATE
    source = models.CharField(
        _("source"), max_length=300, help_text=_("Issuer and document number.")
    )
    body = RichTextField(_("body"))

    content_panels = [
        *Page.content_panels,
        *KnowledgeArticle.common_panels,
        FieldPanel("source"),
        FieldPanel("body"),
    ]
    edit_handler = article_edit_handler(content_panels)
    search_fields = [*KnowledgeArticle.search_fields, index.SearchField("body")]
    api_fields = [*KnowledgeArticle.api_fields, APIField("source"), APIField("body")]

    class Meta:
        verbose_name = _("regulation or compliance note")

    def body_text(self) -> str:
        return "\n".join(filter(None, [self.source, strip_tags(self.body)]))


class CampaignPage(KnowledgeArticle):
    template = ARTICLE_TEMPLATE
    eligibility = models.TextField(_("eligibility"), blank=True)
    body = RichTextField(_("body"))

    content_panels = [
        *Page.content_panels,
        *KnowledgeArticle.common_panels,
        FieldPanel("eligibility"),
        FieldPanel("body"),
    ]
    edit_handler = article_edit_handler(content_panels)
    search_fields = [*KnowledgeArticle.search_fields, index.SearchField("body")]
    api_fields = [*KnowledgeArticle.api_fields, APIField("eligibility"), APIField("body")]

    class Meta:
        verbose_name = _("campaign")

    def body_text(self) -> str:
        return "\n".join(filter(None, [strip_tags(self.body), self.eligibility]))


class AntiFraudNoticePage(KnowledgeArticle):
    template = ARTICLE_TEMPLATE
    body = RichTextField(_("body"))
    warning_signs = StreamField(ITEM_BLOCKS, blank=True, verbose_name=_("warning signs"))
    what_to_do = StreamField(ITEM_BLOCKS, blank=True, verbose_name=_("what to do"))

    content_panels = [
        *Page.content_panels,
        *KnowledgeArticle.common_panels,
        FieldPanel("body"),
        FieldPanel("warning_signs"),
        FieldPanel("what_to_do"),
    ]
    edit_handler = article_edit_handler(content_panels)
    search_fields = [*KnowledgeArticle.search_fields, index.SearchField("body")]
    api_fields = [*KnowledgeArticle.api_fields, APIField("body"), APIField("warning_signs")]

    class Meta:
        verbose_name = _("anti-fraud notice")

    def body_text(self) -> str:
        signs = [block.value for block in self.warning_signs]
        actions = [block.value for block in self.what_to_do]
        return "\n".join(
            filter(None, [strip_tags(self.body), "; ".join(signs), "; ".join(actions)])
        )


class ProductPage(KnowledgeArticle):
    """A card product as the knowledge base presents it, tied to its row in the card catalogue.

    Fees, limits and benefits are read from the catalogue (the source of truth operations keep
    in the admin), so the page and the answers given from it never disagree with it.
    """

    template = ARTICLE_TEMPLATE
    body = RichTextField(_("body"))

    content_panels = [*Page.content_panels, *KnowledgeArticle.common_panels, FieldPanel("body")]
    edit_handler = article_edit_handler(content_panels)
    search_fields = [*KnowledgeArticle.search_fields, index.SearchField("body")]
    api_fields = [*KnowledgeArticle.api_fields, APIField("body")]

    class Meta:
        verbose_name = _("product page")

    def clean(self) -> None:
        super().clean()
        if card_for(self.product_code) is None:
            raise ValidationError(
                {"product_code": _("A product page must be linked to a card in the catalogue.")}
            )

    def body_text(self) -> str:
        return "\n".join(filter(None, [strip_tags(self.body), *self.catalogue_facts()]))

    def catalogue_facts(self) -> list[str]:
        """The catalogue's figures for this card, as sentences in the page's language."""
        product = card_for(self.product_code)
        if product is None:
            return []
        return card_facts(product, self.locale.language_code)


ARTICLE_TYPES: dict[str, type[KnowledgeArticle]] = {
    "faq": FaqPage,
    "guide": ProcessGuidePage,
    "regulation": RegulationPage,
    "campaign": CampaignPage,
    "antifraud": AntiFraudNoticePage,
    "product": ProductPage,
}
