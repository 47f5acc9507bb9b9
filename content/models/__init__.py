"""The knowledge base's models: collections, Wagtail page types and question hits."""

from content.citations import REVISION_ROUTE, revision_url
from content.models.articles import (
    ARTICLE_TEMPLATE,
    ARTICLE_TYPES,
    AntiFraudNoticePage,
    CampaignPage,
    FaqPage,
    KnowledgeArticle,
    KnowledgeIndexPage,
    ProcessGuidePage,
    ProductPage,
    RegulationPage,
    article_edit_handler,
    paragraphs_to_html,
)
from content.models.collections import CHANNELS, TOPIC_TAGS, Audience, KnowledgeCollection
from content.models.hits import QuestionHit

__all__ = [
    "ARTICLE_TEMPLATE",
    "ARTICLE_TYPES",
    "CHANNELS",
    "REVISION_ROUTE",
    "TOPIC_TAGS",
    "AntiFraudNoticePage",
    "Audience",
    "CampaignPage",
    "FaqPage",
    "KnowledgeArticle",
    "KnowledgeCollection",
    "KnowledgeIndexPage",
    "ProcessGuidePage",
    "ProductPage",
    "QuestionHit",
    "RegulationPage",
    "article_edit_handler",
    "paragraphs_to_html",
    "revision_url",
]
