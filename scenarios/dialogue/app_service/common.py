"""What the app service behaviours share: reading the customer's words, the flows' texts,
knowledge look-ups and citations."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bank_ai.ai.masking import mask_pii
from bank_ai.ai.text import parse_number
from bank_ai.i18n import pick
from scenarios.dialogue.base import DialogueError
from scenarios.dialogue.engine import StepContext

NEXT = re.compile(
    r"^(好了|好的|完成|做完|弄好|下一步|继续|搞定|可以了|ok(ay)?\b|done\b|next\b|finished\b|"
    r"continue\b|got it\b|ready\b)",
    re.IGNORECASE,
)
BACK = re.compile(r"上一步|返回上|回到上|\b(back|previous step|go back)\b", re.IGNORECASE)
STOP = re.compile(r"不办了|算了|以后再说|先不|\b(stop|cancel|quit|later)\b", re.IGNORECASE)
SKIP_RATING = re.compile(
    r"不用了?|不评|跳过|算了|\b(skip|no thanks|no, thanks|later)\b", re.IGNORECASE
)
RESOLVED = re.compile(r"解决了|可以了|明白了|知道了|\b(solved|that helps|got it)\b", re.I)
UNRESOLVED = re.compile(r"没解决|还是不行|没用|不行|\b(didn't help|not solved|still)\b", re.I)
_SCORE_DIGIT = re.compile(
    r"(?<![\d.])([1-5])(?![\d.])\s*(分|星|颗星|/\s*5|stars?|points?)?", re.IGNORECASE
)
_SCORE_HANZI = re.compile(r"([一二三四五两])\s*(分|星|颗星)")
_SCORE_WORD = re.compile(r"\b(one|two|three|four|five)\b(\s*stars?)?", re.IGNORECASE)
# In order: the longer phrase first ("非常不满意" before "不满意" before "满意").
_SCORE_PHRASES = (
    (re.compile(r"非常不满意|很不满意|极差|太差|terrible|awful|very (dis|un)satisfied", re.I), 1),
    (re.compile(r"不满意|不太满意|不好|差|poor|bad|(dis|un)satisfied", re.I), 2),
    (re.compile(r"一般|还行|凑合|so-so|average|okay|\bok\b|fair", re.I), 3),
    (
        re.compile(
            r"非常满意|很满意|特别满意|太棒|excellent|perfect|very (satisfied|good)|great", re.I
        ),
        5,
    ),
    (re.compile(r"满意|不错|挺好|很好|good|satisfied|helpful", re.I), 4),
)
MAX_COMMENT_CHARS = 500


def text(ctx: StepContext, key: str, step: Any = None, **values: Any) -> str:
    """A customer-facing text of the flow: `config["texts"][key]` of the step, in zh and en.

    Texts are data (editable with the flow in the admin); a missing one is a flow error.
    """
    step = step or ctx.step
    texts = step.config.get("texts", {})
    if key not in texts:
        raise DialogueError(f"step {step} has no text {key!r} in its settings")
    template = pick(texts[key], ctx.language)
    return template.format(**values) if values else template


def join(items: list[str], language: str) -> str:
    return ("、" if language == "zh-hans" else "; ").join(items)


@dataclass(frozen=True)
class Candidate:
    key: str
    title: str
    similarity: float

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "similarity": round(self.similarity, 3)}


def retrieve(ctx: StepContext, words: str, page_types: tuple[str, ...] | None, k: int = 8):  # noqa: ANN201
    """Passages for the customer's words: public knowledge only, in the session's language."""
    from bank_ai.ai.retrieval import RetrievalFilters
    from bank_ai.ai.runtime import get_retriever

    return get_retriever().search(
        mask_pii(words).text,
        filters=RetrievalFilters(languages=(ctx.language,), page_types=page_types),
        k=k,
    )


def guide_page(slug: str, language: str):  # noqa: ANN201 - a live ProcessGuidePage or None
    from content.models import ProcessGuidePage

    pages = ProcessGuidePage.objects.live().filter(slug=slug, audience="public")
    return (
        pages.filter(locale__language_code=language).first()
        or pages.filter(locale__language_code="zh-hans").first()
    )


def page_source(page: Any, number: int = 1) -> dict[str, Any]:
    """A citation of a page's live revision, shaped like the AI engine's sources."""
    from content.citations import revision_url

    url = page.get_url() or ""
    return {
        "n": number,
        "title": page.title,
        "url": revision_url(url, page.live_revision_id),
        "page_url": url,
        "snippet": page.summary[:300],
        "page_id": page.pk,
        "revision_id": page.live_revision_id,
    }


def parse_rating(words: str) -> tuple[int | None, str]:
    """(score 1–5 or None, the rest of the words as a comment)."""
    for pattern, reader in (
        (_SCORE_DIGIT, lambda m: int(m.group(1))),
        (_SCORE_HANZI, lambda m: parse_number(m.group(1))),
        (_SCORE_WORD, lambda m: parse_number(m.group(1))),
    ):
        match = pattern.search(words)
        if match:
            comment = (words[: match.start()] + words[match.end() :]).strip(" ，,。.!！;；:：-")
            return reader(match), comment
    for pattern, score in _SCORE_PHRASES:
        if pattern.search(words):
            return score, words.strip()
    return None, words.strip()


def masked_comment(comment: str) -> str:
    return mask_pii(comment).text[:MAX_COMMENT_CHARS]
