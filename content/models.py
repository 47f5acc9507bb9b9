"""Knowledge pages edited in Wagtail and answered from by every scenario.

Each page lives in a Wagtail locale (zh-Hans or en) and belongs to a collection whose audience
decides who may be answered from it: customer channels see only public collections.
"""

from __future__ import annotations

import re

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.http import Http404
from django.utils.html import escape, strip_tags
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.api import APIField
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index
from wagtail.snippets.models import register_snippet

from content.blocks import ITEM_BLOCKS, QUESTION_BLOCKS, STEP_BLOCKS

TOPIC_TAGS = [
    "credit-card",
    "debit-account",
    "app",
    "loan",
    "fx",
    "wealth",
    "branch",
    "vtm",
    "fees",
    "security",
    "activation",
    "repayment",
    "instalment",
    "application",
    "compliance",
    "aml",
    "privacy",
    "campaign",
    "anti-fraud",
    "complaints",
]
CHANNELS = [
    ("app", _("App")),
    ("branch", _("Branch")),
    ("vtm", _("VTM")),
    ("hotline", _("Hotline")),
    ("web", _("Web")),
]


# Wagtail derives a template name per page class; all article types share one layout.
ARTICLE_TEMPLATE = "content/article_page.html"


class Audience(models.TextChoices):
    PUBLIC = "public", _("Public (customers and staff)")
    INTERNAL = "internal", _("Internal (all staff)")
    RESTRICTED = "restricted", _("Restricted (permitted groups only)")


@register_snippet
class KnowledgeCollection(models.Model):
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=120)
    audience = models.CharField(_("audience"), max_length=12, choices=Audience.choices)
    description = models.TextField(_("description"), blank=True)

    panels = [
        FieldPanel("slug"),
        FieldPanel("name"),
        FieldPanel("audience"),
        FieldPanel("description"),
    ]

    class Meta:
        ordering = ["slug"]
        verbose_name = _("knowledge collection")
        verbose_name_plural = _("knowledge collections")
        permissions = [
            ("answer_from_collection", _("Can be answered from this collection")),
            ("ask_staff_assistant", _("Can ask the staff assistant")),
        ]

    def __str__(self) -> str:
        return self.name


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


class KnowledgeArticle(Page):
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
    product = models.ForeignKey(
        "scenarios.CardProduct",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("card product"),
    )
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
                FieldPanel("product"),
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
    template = ARTICLE_TEMPLATE
    body = RichTextField(_("body"))

    content_panels = [*Page.content_panels, *KnowledgeArticle.common_panels, FieldPanel("body")]
    search_fields = [*KnowledgeArticle.search_fields, index.SearchField("body")]
    api_fields = [*KnowledgeArticle.api_fields, APIField("body")]

    class Meta:
        verbose_name = _("product page")

    def body_text(self) -> str:
        return strip_tags(self.body)


ARTICLE_TYPES: dict[str, type[KnowledgeArticle]] = {
    "faq": FaqPage,
    "guide": ProcessGuidePage,
    "regulation": RegulationPage,
    "campaign": CampaignPage,
    "antifraud": AntiFraudNoticePage,
    "product": ProductPage,
}
