"""Language-model providers behind one small interface (see base.py).

Use :func:`build_provider` to get the right one for the deployment: Claude with a local
fallback when an API key is configured, the offline local engine otherwise.

The Anthropic provider is imported lazily so the offline product (and its tests) never
needs the ``anthropic`` SDK to be importable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bank_ai.ai.llm.base import (
    Completed,
    GenerationRequest,
    LLMError,
    LLMProvider,
    Passage,
    ProviderError,
    ProviderUnavailable,
    StreamEvent,
    StreamInterrupted,
    TextDelta,
    Usage,
    collect,
    normalise_language,
)
from bank_ai.ai.llm.breaker import DEFAULT_HANDOFF_TEXT, CircuitBreaker, ResilientProvider
from bank_ai.ai.llm.local import LocalProvider

if TYPE_CHECKING:
    from bank_ai.ai.llm.anthropic_provider import AnthropicProvider

__all__ = [
    "DEFAULT_HANDOFF_TEXT",
    "AnthropicProvider",
    "CircuitBreaker",
    "Completed",
    "GenerationRequest",
    "LLMError",
    "LLMProvider",
    "LocalProvider",
    "Passage",
    "ProviderError",
    "ProviderUnavailable",
    "ResilientProvider",
    "StreamEvent",
    "StreamInterrupted",
    "TextDelta",
    "Usage",
    "build_provider",
    "collect",
    "normalise_language",
]


def __getattr__(name: str) -> Any:
    if name == "AnthropicProvider":
        from bank_ai.ai.llm.anthropic_provider import AnthropicProvider

        return AnthropicProvider
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def build_provider(
    *,
    anthropic_api_key: str | None,
    anthropic_model: str,
    anthropic_base_url: str | None,
    timeout: float,
    max_retries: int,
    breaker: CircuitBreaker | None = None,
) -> LLMProvider:
    """The provider for this deployment.

    Build it once per process and share it: the circuit breaker only helps if every request
    sees the same failure history.
    """
    local = LocalProvider()
    key = (anthropic_api_key or "").strip()
    if not key:
        return local
    from bank_ai.ai.llm.anthropic_provider import AnthropicProvider

    remote = AnthropicProvider(
        api_key=key,
        model=anthropic_model,
        base_url=anthropic_base_url or None,
        timeout=timeout,
        max_retries=max_retries,
    )
    return ResilientProvider(remote, local, breaker or CircuitBreaker())
