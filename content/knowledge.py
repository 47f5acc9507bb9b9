"""The knowledge base as the AI core's `KnowledgeSource` (registered in ContentConfig.ready).

The AI core never imports this app; it receives articles as plain `KnowledgeDocument`s.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Q
from django.utils import timezone
from wagtail.query import PageQuerySet

from bank_ai.ai.knowledge import KnowledgeDocument
from content.citations import revision_url
from content.models import KnowledgeArticle

# The page types retrieval filters and reports by; any other article type is "article".
PAGE_TYPE_CODES = {
    "faqpage": "faq",
    "processguidepage": "guide",
    "regulationpage": "regulation",
    "campaignpage": "campaign",
    "antifraudnoticepage": "antifraud",
    "productpage": "product",
}


def _page_url(page: KnowledgeArticle) -> str:
    try:
        return page.get_url() or ""
    except Exception:  # noqa: BLE001 - a page outside any site still gets indexed
        return ""


def article_document(page: KnowledgeArticle) -> KnowledgeDocument:
    """A knowledge page (its specific type) as the AI core indexes it."""
    page = page.specific
    page_type = PAGE_TYPE_CODES.get(page.specific_class.__name__.lower(), "article")
    return KnowledgeDocument(
        page_id=page.pk,
        revision_id=page.live_revision_id,
        page_type=page_type,
        language=page.locale.language_code,
        title=page.title,
        text=page.knowledge_text(),
        audience=page.audience,
        collection=page.collection.slug if page.collection_id else "",
        url=_page_url(page),
        product_code=page.product_code,
        topics=tuple(page.topics or ()),
        valid_from=page.valid_from,
        valid_until=page.valid_until,
        answer=getattr(page, "answer", "") if page_type == "faq" else "",
        question_variants=tuple(page.question_variants()),
    )


def retrievable_articles() -> PageQuerySet:
    """Live articles whose validity has not ended: what customers may be answered from."""
    today = timezone.localdate()
    return KnowledgeArticle.objects.live().filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    )


class ArticleKnowledgeSource:
    """Wagtail knowledge articles, read for the AI core's indexing and citations."""

    def live_documents(self) -> Iterator[KnowledgeDocument]:
        pages = (
            retrievable_articles().specific().select_related("collection", "locale").order_by("pk")
        )
        for page in pages:
            yield article_document(page)

    def live_document(self, page_id: int) -> KnowledgeDocument | None:
        page = retrievable_articles().filter(pk=page_id).specific().first()
        return article_document(page) if page is not None else None

    def citation_url(self, page_url: str, revision_id: int | None) -> str:
        return revision_url(page_url, revision_id)
