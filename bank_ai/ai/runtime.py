"""The AI components the settings select, built once per process.

Scenarios never import a concrete provider or model: they ask here, so a bank swaps the LLM, the
embedding model or the retriever by changing settings only.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from bank_ai.ai.llm import LLMProvider
    from bank_ai.ai.retrieval import Retriever


@lru_cache(maxsize=1)
def get_embedder():  # noqa: ANN201 - returns the configured Embedder implementation
    from bank_ai.ai.embeddings import RecentQueries
    from bank_ai.ai.embeddings import get_embedder as load

    # A turn embeds the customer's words for the intent, the curated match and the matcher:
    # computed once, reused by the others.
    return RecentQueries(load(settings.AI_EMBEDDER))


@lru_cache(maxsize=1)
def get_llm() -> LLMProvider:
    from bank_ai.ai.llm import build_provider

    return build_provider(
        anthropic_api_key=settings.ANTHROPIC_API_KEY or None,
        anthropic_model=settings.ANTHROPIC_MODEL,
        anthropic_base_url=settings.ANTHROPIC_BASE_URL,
        timeout=settings.LLM_TIMEOUT_SECONDS,
        max_retries=settings.LLM_MAX_RETRIES,
    )


@lru_cache(maxsize=1)
def get_retriever() -> Retriever:
    retriever_class = import_string(settings.AI_RETRIEVER)
    return retriever_class(embedder=get_embedder())


def provider_description() -> dict[str, Any]:
    if settings.ANTHROPIC_API_KEY:
        return {
            "provider": "anthropic",
            "model": settings.ANTHROPIC_MODEL,
            "fallback": "local",
            "base_url": settings.ANTHROPIC_BASE_URL or "default",
        }
    return {"provider": "local", "model": "extractive"}


def generation_is_remote() -> bool:
    """Does writing an answer go to a remote model (seconds, and may fail), not the local one?"""
    return bool(settings.ANTHROPIC_API_KEY)
