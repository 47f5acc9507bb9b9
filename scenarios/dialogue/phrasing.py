"""The LLM's only part in a flow reply: rephrasing it, when a real model is configured.

Flow replies are composed from data (the steps' zh/en prompts, the catalogue, the customer's
transactions), so they are already grounded and complete; the offline product shows them as they
are and runs the same journey. With `ANTHROPIC_API_KEY` set, the model may reword a reply so it
reads naturally, through the AI core's "rephrase" task. The rewording is kept only if every
number of the original survives unchanged (amounts, rates, dates, counts, step numbers), nothing
new appears, and the output guard lets it through; otherwise the original is shown.
"""

from __future__ import annotations

import logging
import re
from collections import Counter

from django.conf import settings

from scenarios.dialogue.base import TurnResult

log = logging.getLogger(__name__)

# Numbers as a reader sees them: "1,000.00" and "1000" are the same amount; "0.05%" keeps its %.
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?%?")
MAX_DRAFT_CHARS = 4000


def numbers(text: str) -> Counter[str]:
    found: Counter[str] = Counter()
    for raw in NUMBER.findall(text):
        value = raw.replace(",", "")
        if "." in value and not value.endswith("%"):
            value = value.rstrip("0").rstrip(".") or "0"
        found[value] += 1
    return found


def facts_preserved(original: str, candidate: str) -> bool:
    """Every number of the original appears in the candidate as often, and no other number."""
    return bool(candidate.strip()) and numbers(original) == numbers(candidate)


def rephrase(reply: str, *, language: str) -> str:
    if not settings.ANTHROPIC_API_KEY or not reply.strip() or len(reply) > MAX_DRAFT_CHARS:
        return reply
    from bank_ai.ai.guards import check_output
    from bank_ai.ai.llm import GenerationRequest, LLMError
    from bank_ai.ai.runtime import get_llm

    try:
        completed = get_llm().generate(
            GenerationRequest(task="rephrase", language=language, draft=reply, max_tokens=800)
        )
    except LLMError as exc:
        log.warning("rephrase failed, the original reply is kept: %s", exc)
        return reply
    candidate = completed.text.strip()
    if completed.provider != "anthropic" or not facts_preserved(reply, candidate):
        return reply
    guarded = check_output(candidate, language=language)
    if not guarded.allowed or guarded.decisions:
        return reply
    return candidate


def polish(result: TurnResult, language: str) -> TurnResult:
    """Rephrase a grounded flow reply in place (knowledge answers were generated already)."""
    if result.rephrase:
        result.reply = rephrase(result.reply, language=language)
    return result
