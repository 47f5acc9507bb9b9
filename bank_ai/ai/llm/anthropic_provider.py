"""Claude via the official ``anthropic`` SDK, streamed token by token.

Retries are done here rather than by the SDK (which is built with ``max_retries=0``) because
the SDK cannot know the one rule that matters to a customer watching an answer appear:
a request may be retried only while *nothing* has been shown yet. Once a text delta has
been yielded, any failure becomes :class:`StreamInterrupted` carrying the partial text.
"""

from __future__ import annotations

import email.utils
import importlib
import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import anthropic

from bank_ai.ai.llm.base import (
    Completed,
    GenerationRequest,
    LLMProvider,
    ProviderError,
    ProviderUnavailable,
    StreamInterrupted,
    TextDelta,
    Usage,
)
from bank_ai.ai.llm.prompts import build_prompt

logger = logging.getLogger(__name__)

# 408 request timeout, 429 rate limited, 5xx server errors (529 = overloaded).
_RETRYABLE_STATUS = frozenset({408, 429})
# Error types the API can also send as an SSE `error` event on an HTTP 200 stream.
_RETRYABLE_ERROR_TYPES = frozenset(
    {"overloaded_error", "rate_limit_error", "api_error", "timeout_error"}
)


def _transport_error_types() -> tuple[type[BaseException], ...]:
    # Errors raised while *iterating* a stream come straight from the HTTP library, unwrapped.
    # SDK 2.x uses httpx2, older releases httpx; accept whichever is installed.
    found: list[type[BaseException]] = []
    for module_name in ("httpx2", "httpx"):
        try:
            found.append(importlib.import_module(module_name).TransportError)
        except (ImportError, AttributeError):
            continue
    return tuple(found)


_TRANSPORT_ERRORS = _transport_error_types()


def _retry_after_seconds(headers: Any) -> float | None:
    """Parse retry-after-ms / retry-after (seconds or HTTP date), as the API sends them."""
    if headers is None:
        return None
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(float(raw_ms) / 1000.0, 0.0)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(float(raw), 0.0)
    except ValueError:
        parsed = email.utils.parsedate_tz(raw)
        if parsed is None:
            return None
        return max(float(email.utils.mktime_tz(parsed) - time.time()), 0.0)


@dataclass(frozen=True)
class _Failure:
    """A classified error from one attempt."""

    retryable: bool
    status: int | None
    retry_after: float | None
    why: str


class _TruncatedStream(Exception):
    """The body ended cleanly but before message_stop (e.g. a proxy cut it short)."""


def _classify(exc: BaseException) -> _Failure:
    if isinstance(exc, _TruncatedStream):
        return _Failure(True, None, None, str(exc))
    if isinstance(exc, anthropic.APIStatusError):
        status = exc.status_code
        error_type = getattr(exc, "type", None)
        # An SSE `error` event arrives on an HTTP 200 response: judge it by its error type.
        retryable = (
            status in _RETRYABLE_STATUS
            or status >= 500
            or (status < 400 and error_type in _RETRYABLE_ERROR_TYPES)
        )
        headers = exc.response.headers if status >= 400 else None
        why = f"HTTP {status} {error_type or ''}".strip()
        return _Failure(retryable, status, _retry_after_seconds(headers), why)
    if isinstance(exc, anthropic.APITimeoutError):
        return _Failure(True, None, None, "timeout")
    if isinstance(exc, anthropic.APIConnectionError):
        # Connection refused/reset before any byte of answer: transient by nature.
        return _Failure(True, None, None, "connection error")
    if _TRANSPORT_ERRORS and isinstance(exc, _TRANSPORT_ERRORS):
        return _Failure(True, None, None, f"transport error: {type(exc).__name__}")
    return _Failure(False, None, None, f"{type(exc).__name__}: {exc}")


class AnthropicProvider(LLMProvider):
    name = "anthropic"

    def __init__(
        self,
        api_key: str,
        model: str,
        base_url: str | None = None,
        timeout: float = 15.0,
        max_retries: int = 2,
        *,
        max_retry_after_s: float = 10.0,
        initial_backoff_s: float = 0.5,
        max_backoff_s: float = 4.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        if not api_key:
            raise ValueError("AnthropicProvider needs an API key; use LocalProvider without one")
        self.model = model
        self.timeout = timeout
        self.max_retries = max(0, max_retries)
        # A retry-after longer than this is not worth making a customer wait for: fail fast
        # with ProviderUnavailable so the caller can fall back to the local engine.
        self.max_retry_after_s = max_retry_after_s
        self.initial_backoff_s = initial_backoff_s
        self.max_backoff_s = max_backoff_s
        self._sleep = sleep
        self._clock = clock
        self._client = anthropic.Anthropic(
            api_key=api_key,
            base_url=base_url,
            # `timeout` bounds connecting and each wait for the next chunk of the stream, so a
            # stalled stream fails instead of hanging a customer's chat forever.
            timeout=anthropic.Timeout(timeout, connect=min(timeout, 5.0)),
            max_retries=0,  # see module docstring: we retry ourselves, only before first text
        )

    def close(self) -> None:
        self._client.close()

    def _backoff(self, attempt: int, failure: _Failure) -> float | None:
        """Seconds to wait before retry number ``attempt + 1``, or None to give up now."""
        if failure.retry_after is not None:
            if failure.retry_after > self.max_retry_after_s:
                return None
            return failure.retry_after
        base = min(self.initial_backoff_s * (2**attempt), self.max_backoff_s)
        # Jitter spreads retries from many workers so they don't hit the API in lockstep.
        return base * random.uniform(0.5, 1.0)

    def stream(self, request: GenerationRequest) -> Iterator[TextDelta | Completed]:
        prompt = build_prompt(request)
        started = self._clock()
        attempts = self.max_retries + 1
        for attempt in range(attempts):
            parts: list[str] = []
            input_tokens = output_tokens = 0
            stop_reason: str | None = None
            model = self.model
            finished = False
            try:
                events = self._client.messages.create(
                    model=self.model,
                    max_tokens=request.max_tokens,
                    system=prompt.system,
                    messages=prompt.messages,  # type: ignore[arg-type]
                    stream=True,
                )
                with events:
                    for event in events:
                        kind = event.type
                        if kind == "message_start":
                            model = event.message.model or model
                            input_tokens = event.message.usage.input_tokens or 0
                            output_tokens = event.message.usage.output_tokens or 0
                        elif kind == "content_block_delta" and event.delta.type == "text_delta":
                            if event.delta.text:
                                parts.append(event.delta.text)
                                yield TextDelta(event.delta.text)
                        elif kind == "message_delta":
                            # message_delta usage is cumulative, so it replaces the start value.
                            output_tokens = event.usage.output_tokens or output_tokens
                            input_tokens = event.usage.input_tokens or input_tokens
                            stop_reason = event.delta.stop_reason or stop_reason
                        elif kind == "message_stop":
                            finished = True
                if not finished:
                    # The body ended cleanly but without message_stop: the answer is truncated.
                    raise _TruncatedStream("stream ended before message_stop")
            except Exception as exc:
                if parts:
                    partial = "".join(parts)
                    logger.warning(
                        "anthropic stream interrupted after %d chars: %s", len(partial), exc
                    )
                    raise StreamInterrupted(
                        partial, provider=self.name, message=f"stream interrupted: {exc}"
                    ) from exc
                failure = _classify(exc)
                if not failure.retryable:
                    raise ProviderError(
                        f"anthropic request failed: {failure.why}",
                        provider=self.name,
                        status_code=failure.status,
                    ) from exc
                delay = self._backoff(attempt, failure) if attempt + 1 < attempts else None
                if delay is None:
                    raise ProviderUnavailable(
                        f"anthropic unavailable after {attempt + 1} attempt(s): {failure.why}",
                        provider=self.name,
                        status_code=failure.status,
                        retry_after=failure.retry_after,
                    ) from exc
                logger.info(
                    "anthropic attempt %d failed (%s); retrying in %.2fs",
                    attempt + 1,
                    failure.why,
                    delay,
                )
                self._sleep(delay)
                continue

            text = "".join(parts)
            yield Completed(
                text=text,
                usage=Usage(input_tokens=input_tokens, output_tokens=output_tokens),
                latency_ms=(self._clock() - started) * 1000.0,
                provider=self.name,
                model=model,
                stop_reason=stop_reason,
            )
            return
