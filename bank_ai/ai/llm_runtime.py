"""The LLM provider the settings select, built once per process."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.conf import settings


@lru_cache(maxsize=1)
def provider_description() -> dict[str, Any]:
    if settings.ANTHROPIC_API_KEY:
        return {"provider": "anthropic", "model": settings.ANTHROPIC_MODEL,
                "fallback": "local", "base_url": settings.ANTHROPIC_BASE_URL or "default"}
    return {"provider": "local", "model": "extractive-v1"}
