"""Where the AI core reads knowledge from, without knowing which app keeps it.

The AI core sits below the apps (see docs/architecture.md): it must not import `content`. The
knowledge app implements `KnowledgeSource` and registers it in its AppConfig.ready(); indexing,
the indexing tasks and the engine's citations read articles and citation links through it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol, runtime_checkable

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class KnowledgeDocument:
    """One live knowledge article as the AI core indexes it: plain data, no model instance."""

    page_id: int
    revision_id: int | None
    # What kind of article it is: faq, guide, regulation, campaign, antifraud, product, article.
    page_type: str
    language: str
    title: str
    # The article's full text (title, summary, body) as retrieval and answers quote it.
    text: str
    audience: str
    collection: str
    url: str
    product_code: str = ""
    topics: tuple[str, ...] = ()
    valid_from: date | None = None
    valid_until: date | None = None
    # FAQs only: the editor's curated answer and the other wordings of the question.
    answer: str = ""
    question_variants: tuple[str, ...] = field(default_factory=tuple)


@runtime_checkable
class KnowledgeSource(Protocol):
    """What the AI core needs from whoever keeps the knowledge articles."""

    def live_documents(self) -> Iterable[KnowledgeDocument]:
        """Every article that may be answered from today (live and not expired), by page id."""
        ...

    def live_document(self, page_id: int) -> KnowledgeDocument | None:
        """The article as it is live today, or None if it is unpublished, expired or gone."""
        ...

    def citation_url(self, page_url: str, revision_id: int | None) -> str:
        """The link an answer cites: the revision of the page the passage was indexed from."""
        ...


_source: KnowledgeSource | None = None


def register_knowledge_source(source: KnowledgeSource) -> KnowledgeSource:
    """Make `source` the one the AI core reads from (the last registration wins)."""
    if not isinstance(source, KnowledgeSource):
        raise TypeError(f"{source!r} does not implement KnowledgeSource")
    global _source
    _source = source
    return source


def knowledge_source() -> KnowledgeSource:
    if _source is None:
        raise ImproperlyConfigured(
            "No knowledge source is registered: the knowledge app (content) registers one in "
            "its AppConfig.ready(); is it in INSTALLED_APPS?"
        )
    return _source
