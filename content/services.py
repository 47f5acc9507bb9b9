"""Actions on the knowledge base that change state."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.db import connection
from django.utils import timezone

from bank_ai.ai.hooks import AnsweredQuestion

# Editors trying questions in the CMS are not readers: their questions are not hits.
CHANNELS_NOT_COUNTED = frozenset({"cms"})
_PUNCTUATION = re.compile(r"[\s\u3000]+|[?？!！.。,，;；:：、~～\"'“”‘’()（）\[\]【】]+")


def question_key(masked_question: str) -> str:
    """The wording used to group hits: case, width, spaces and punctuation do not count."""
    text = unicodedata.normalize("NFKC", masked_question).lower()
    return _PUNCTUATION.sub(" ", text).strip()[:300]


# One statement: the cited pages that still exist (and their cited revisions, if those still
# exist) are inserted as hits; deleted pages are skipped by the join.
_INSERT_HITS = """
    INSERT INTO content_questionhit (page_id, revision_id, audit_id, question, question_key,
                                     language, channel, answer_kind, citation, created_at)
    SELECT page.id, revision.id, %s, %s, %s, %s, %s, %s, cited.citation, %s
    FROM unnest(%s::integer[], %s::integer[], %s::integer[])
         WITH ORDINALITY AS cited(page_id, revision_id, citation, position)
    JOIN wagtailcore_page page ON page.id = cited.page_id
    LEFT JOIN wagtailcore_revision revision ON revision.id = cited.revision_id
    ORDER BY cited.position
"""


def question_hits_record(*, answered: AnsweredQuestion) -> int:
    """One hit per page an audited answer cited (pages deleted since are skipped); how many.

    Checked and written by one INSERT: a knowledge answer in a dialogue turn pays one
    statement for its hits.
    """
    if answered.channel in CHANNELS_NOT_COUNTED or not answered.sources:
        return 0
    cited: dict[int, dict[str, Any]] = {}
    for source in answered.sources:
        page_id = source.get("page_id")
        if page_id and page_id not in cited:
            cited[page_id] = source
    if not cited:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT_HITS,
            [
                answered.audit_id,
                answered.masked_question[:500],
                question_key(answered.masked_question),
                answered.language,
                answered.channel[:20],
                answered.answer_kind[:20],
                timezone.now(),
                list(cited),
                [source.get("revision_id") or None for source in cited.values()],
                [int(source.get("n") or 1) for source in cited.values()],
            ],
        )
        return cursor.rowcount


def record_answer_hits(answered: AnsweredQuestion) -> None:
    """The AI core's answer listener (registered in ContentConfig.ready)."""
    question_hits_record(answered=answered)
