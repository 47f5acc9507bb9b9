"""Knowledge pages in Wagtail: one tree per locale, zh-Hans and en linked as translations."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from guardian.shortcuts import assign_perm
from wagtail.models import Locale, Page, Site

from bank_ai.demo import DATA_DIRS
from content.models import (
    ARTICLE_TYPES,
    Audience,
    KnowledgeArticle,
    KnowledgeCollection,
    KnowledgeIndexPage,
    paragraphs_to_html,
)
from scenarios.models import CardProduct

KNOWLEDGE_FILES = ("knowledge_faq_guides.json", "knowledge_compliance.json")
# Stable translation keys make the seed idempotent and link each zh page to its en twin.
NAMESPACE = uuid.UUID("5b1f0c57-7d0e-4d55-9a34-6f1f8f0b2a11")

COLLECTIONS = {
    "customer-service": (
        "客户服务知识 / Customer service",
        Audience.PUBLIC,
        "Answers for customers in every channel.",
    ),
    "staff-handbook": (
        "员工手册 / Staff handbook",
        Audience.INTERNAL,
        "Internal processes and compliance notes for all employees.",
    ),
    "compliance-restricted": (
        "合规受限 / Compliance restricted",
        Audience.RESTRICTED,
        "Thresholds and authorities only compliance may be answered from.",
    ),
}
# Which groups may be answered from the non-public collections (django-guardian object perms).
COLLECTION_GROUPS = {
    "staff-handbook": (
        "employee",
        "operations",
        "knowledge editor",
        "compliance officer",
        "remote agent",
        "branch staff",
    ),
    "compliance-restricted": ("compliance officer",),
}
# Wagtail page permissions on both language trees: editors write and publish knowledge.
EDITOR_PAGE_PERMISSIONS = ("add_page", "change_page", "publish_page", "lock_page", "unlock_page")
INDEX_TITLES = {
    "zh-hans": ("海港银行知识库", "knowledge-base"),
    "en": ("Harbour Bank knowledge base", "knowledge-base"),
}


def _locales() -> dict[str, Locale]:
    return {
        code: Locale.objects.get_or_create(language_code=code)[0]
        for code, _name in settings.WAGTAIL_CONTENT_LANGUAGES
    }


def _collections() -> dict[str, KnowledgeCollection]:
    from django.contrib.auth.models import Group

    collections = {}
    for slug, (name, audience, description) in COLLECTIONS.items():
        collection, _ = KnowledgeCollection.objects.get_or_create(
            slug=slug, defaults={"name": name, "audience": audience, "description": description}
        )
        collections[slug] = collection
        for group_name in COLLECTION_GROUPS.get(slug, ()):
            group = Group.objects.filter(name=group_name).first()
            if group is not None:
                assign_perm("content.answer_from_collection", group, collection)
    return collections


def _index_pages(locales: dict[str, Locale]) -> dict[str, KnowledgeIndexPage]:
    root = Page.get_first_root_node()
    zh_index = KnowledgeIndexPage.objects.filter(locale=locales["zh-hans"]).first()
    if zh_index is None:
        title, slug = INDEX_TITLES["zh-hans"]
        zh_index = KnowledgeIndexPage(
            title=title,
            slug=slug,
            locale=locales["zh-hans"],
            intro="海港银行面向客户与员工的业务知识：常见问题、办理指南、合规提示、活动与反诈提醒。",
        )
        root.add_child(instance=zh_index)
        zh_index.save_revision().publish()
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost",
            port=80,
            root_page=zh_index,
            is_default_site=True,
            site_name=settings.WAGTAIL_SITE_NAME,
        )
    elif site.root_page_id != zh_index.pk:
        previous_root = site.root_page
        site.root_page = zh_index
        site.site_name = settings.WAGTAIL_SITE_NAME
        site.save()
        # Wagtail's own "Welcome" placeholder page is not part of the bank's site.
        if previous_root.depth == 2 and previous_root.specific_class is Page:
            previous_root.delete()
    en_index = KnowledgeIndexPage.objects.filter(locale=locales["en"]).first()
    if en_index is None:
        title, _slug = INDEX_TITLES["en"]
        en_index = zh_index.copy_for_translation(locales["en"])
        en_index.title = title
        en_index.intro = (
            "Harbour Bank's knowledge for customers and staff: FAQs, how-to guides, "
            "compliance notes, campaigns and anti-fraud notices."
        )
        en_index.save_revision().publish()
    return {"zh-hans": zh_index, "en": en_index}


def _editor_page_permissions(indexes: dict[str, KnowledgeIndexPage]) -> None:
    from django.contrib.auth.models import Group, Permission
    from wagtail.models import GroupPagePermission

    group = Group.objects.filter(name="knowledge editor").first()
    if group is None:
        return
    permissions = Permission.objects.filter(
        content_type__app_label="wagtailcore", codename__in=EDITOR_PAGE_PERMISSIONS
    )
    for index in indexes.values():
        for permission in permissions:
            GroupPagePermission.objects.get_or_create(
                group=group, page=index, permission=permission
            )


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _stream(values: list[str], block: str = "item") -> list[dict[str, Any]]:
    return [{"type": block, "value": value} for value in values if value]


def _build_page(
    record: dict[str, Any],
    text: dict[str, Any],
    collection: KnowledgeCollection,
    product_code: str,
) -> KnowledgeArticle:
    page_class = ARTICLE_TYPES[record["type"]]
    common = {
        "title": text["title"][:255],
        "slug": record["key"],
        "summary": text.get("summary", ""),
        "audience": record["audience"],
        "collection": collection,
        "topics": record.get("tags", []),
        "product_code": product_code,
        "valid_from": _date(record.get("valid_from")),
        "valid_until": _date(record.get("valid_until")),
        "questions": _stream(text.get("questions", []), "question"),
    }
    kind = record["type"]
    if kind == "faq":
        return page_class(**common, answer=text["answer"])
    if kind == "guide":
        return page_class(
            **common,
            overview=text.get("answer", ""),
            steps=[{"type": "step", "value": step} for step in text.get("steps", [])],
            materials=_stream(text.get("materials", [])),
            channels=text.get("channels", []),
            timeline=text.get("timeline", ""),
        )
    body = paragraphs_to_html(text.get("body", ""))
    if kind == "regulation":
        return page_class(**common, source=record.get("source", "")[:300], body=body)
    if kind == "campaign":
        return page_class(**common, eligibility=text.get("eligibility", ""), body=body)
    if kind == "antifraud":
        return page_class(
            **common,
            body=body,
            warning_signs=_stream(text.get("warning_signs", [])),
            what_to_do=_stream(text.get("what_to_do", [])),
        )
    return page_class(**common, body=body)


@transaction.atomic
def seed(log: Callable[[str], None]) -> dict[str, int]:
    locales = _locales()
    collections = _collections()
    indexes = _index_pages(locales)
    _editor_page_permissions(indexes)
    products = set(CardProduct.objects.values_list("code", flat=True))
    records: list[dict[str, Any]] = []
    for file_name in KNOWLEDGE_FILES:
        path = DATA_DIRS["content"] / file_name
        if path.exists():
            records.extend(json.loads(path.read_text(encoding="utf-8")))
    existing = set(KnowledgeArticle.objects.values_list("translation_key", "locale__language_code"))
    created = 0
    for record in records:
        translation_key = uuid.uuid5(NAMESPACE, record["key"])
        for language, index in indexes.items():
            if (translation_key, language) in existing:
                continue
            page = _build_page(
                record,
                record[language],
                collections[record["collection"]],
                code if (code := record.get("product") or "") in products else "",
            )
            page.translation_key = translation_key
            page.locale = locales[language]
            index.add_child(instance=page)
            page.save_revision().publish()
            created += 1
    total = KnowledgeArticle.objects.count()
    log(f"knowledge articles: {total} ({created} new) in {len(collections)} collections")
    return {"articles": total}
