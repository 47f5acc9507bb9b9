"""Actions on the knowledge base that change state."""

from __future__ import annotations

import re
import unicodedata

from django.db.models import Value
from wagtail.models import Page, Revision

from bank_ai.ai.hooks import AnsweredQuestion
from content.models import QuestionHit

# Editors trying questions in the CMS are not readers: their questions are not hits.
CHANNELS_NOT_COUNTED = frozenset({"cms"})
_PUNCTUATION = re.compile(r"[\s\u3000]+|[?？!！.。,，;；:：、~～\"'“”‘’()（）\[\]【】]+")


def question_key(masked_question: str) -> str:
    """The wording used to group hits: case, width, spaces and punctuation do not count."""
    text = unicodedata.normalize("NFKC", masked_question).lower()
    return _PUNCTUATION.sub(" ", text).strip()[:300]


def question_hits_record(*, answered: AnsweredQuestion) -> list[QuestionHit]:
    """One hit per page an audited answer cited (pages deleted since are skipped).

    One read of which cited pages and revisions still exist, then one INSERT: a knowledge
    answer in a dialogue turn pays two statements for its hits.
    """
    if answered.channel in CHANNELS_NOT_COUNTED or not answered.sources:
        return []
    cited = {}
    for source in answered.sources:
        page_id = source.get("page_id")
        if page_id and page_id not in cited:
            cited[page_id] = source
    if not cited:
        return []
    revision_ids = {s.get("revision_id") for s in cited.values() if s.get("revision_id")}
    pages = (
        Page.objects.filter(pk__in=cited)
        .order_by()
        .annotate(table=Value("page"))
        .values_list("table", "pk")
    )
    revisions = (
        Revision.objects.filter(pk__in=revision_ids)
        .order_by()
        .annotate(table=Value("revision"))
        .values_list("table", "pk")
    )
    existing = set(pages.union(revisions, all=True))
    existing_pages = {pk for table, pk in existing if table == "page"}
    existing_revisions = {pk for table, pk in existing if table == "revision"}
    key = question_key(answered.masked_question)
    hits = [
        QuestionHit(
            page_id=page_id,
            revision_id=source.get("revision_id")
            if source.get("revision_id") in existing_revisions
            else None,
            audit_id=answered.audit_id,
            question=answered.masked_question[:500],
            question_key=key,
            language=answered.language,
            channel=answered.channel[:20],
            answer_kind=answered.answer_kind[:20],
            citation=int(source.get("n") or 1),
        )
        for page_id, source in cited.items()
        if page_id in existing_pages
    ]
    return QuestionHit.objects.bulk_create(hits)


def record_answer_hits(answered: AnsweredQuestion) -> None:
    """The AI core's answer listener (registered in ContentConfig.ready)."""
    question_hits_record(answered=answered)
