"""Circuit breaker and the provider that degrades gracefully: remote → local → human.

When the remote model is failing, every customer request would otherwise wait through
timeouts and retries before falling back. The breaker remembers the failures so, for
``reset_after_s``, requests go straight to the local engine; then one probe request tests
whether the remote model is back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Generator, Iterator, Mapping

from bank_ai.ai.llm.base import (
    Completed,
    GenerationRequest,
    Language,
    LLMProvider,
    StreamInterrupted,
    TextDelta,
    Usage,
)

logger = logging.getLogger(__name__)

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half_open"

DEFAULT_HANDOFF_TEXT: dict[Language, str] = {
    "zh-hans": "抱歉，我暂时无法回答，正在为您转接人工客服。",
    "en": "Sorry, I can't answer that right now — let me connect you to a colleague.",
}


class CircuitBreaker:
    """closed → (N consecutive failures) → open → (reset_after_s) → half-open → one probe.

    A successful probe closes the breaker; a failed one re-opens it for another
    ``reset_after_s``. Only one probe runs at a time; a probe that never reports back (its
    caller vanished) is given up after ``reset_after_s`` so the breaker can't get stuck.
    All methods are thread-safe.
    """

    def __init__(
        self,
        failure_threshold: int = 3,
        reset_after_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self.failure_threshold = failure_threshold
        self.reset_after_s = reset_after_s
        self._clock = clock
        self._lock = threading.Lock()
        self._state = CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probe_started_at: float | None = None

    @property
    def state(self) -> str:
        """The state a request arriving now would see (open turns half-open once due)."""
        with self._lock:
            if self._state == OPEN and self._clock() - self._opened_at >= self.reset_after_s:
                return HALF_OPEN
            return self._state

    @property
    def consecutive_failures(self) -> int:
        with self._lock:
            return self._failures

    def allow_request(self) -> bool:
        """May this request use the protected provider? In half-open, grants the one probe."""
        with self._lock:
            now = self._clock()
            if self._state == CLOSED:
                return True
            if self._state == OPEN:
                if now - self._opened_at < self.reset_after_s:
                    return False
                self._state = HALF_OPEN
                self._probe_started_at = None
            # HALF_OPEN: one probe at a time, unless the current one is long overdue.
            if self._probe_started_at is None or now - self._probe_started_at >= self.reset_after_s:
                self._probe_started_at = now
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            if self._state == OPEN:
                return  # a straggler from before the breaker opened proves nothing
            self._state = CLOSED
            self._failures = 0
            self._probe_started_at = None

    def record_failure(self) -> None:
        with self._lock:
            if self._state == OPEN:
                return  # already open; don't keep pushing the reset time back
            self._failures += 1
            if self._state == HALF_OPEN or self._failures >= self.failure_threshold:
                if self._state == CLOSED:
                    logger.warning("circuit opened after %d consecutive failures", self._failures)
                self._state = OPEN
                self._opened_at = self._clock()
                self._probe_started_at = None

    def release_probe(self) -> None:
        """The probe's caller went away without an outcome: let the next request probe."""
        with self._lock:
            if self._state == HALF_OPEN:
                self._probe_started_at = None


# The stream helpers are generators that *return* whether they served the request.
_Served = Generator[TextDelta | Completed, None, bool]


def _close(events: Iterator[object]) -> None:
    close = getattr(events, "close", None)
    if callable(close):
        close()


class ResilientProvider(LLMProvider):
    """Primary (remote) while the breaker allows, else the local fallback, else a handoff.

    Fallback only ever happens before the customer has seen any text. A failure after text
    was shown is raised as StreamInterrupted for the caller to tell the customer.
    """

    name = "resilient"

    def __init__(
        self,
        primary: LLMProvider,
        fallback: LLMProvider | None,
        breaker: CircuitBreaker | None = None,
        handoff_text: Mapping[str, str] | None = None,
        *,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.primary = primary
        self.fallback = fallback
        self.breaker = breaker or CircuitBreaker()
        self.handoff_text = {**DEFAULT_HANDOFF_TEXT, **(handoff_text or {})}
        self.model = primary.model
        self._clock = clock

    def stream(self, request: GenerationRequest) -> Iterator[TextDelta | Completed]:
        started = self._clock()
        if self.breaker.allow_request():
            served = yield from self._stream_primary(request)
            if served:
                return
        else:
            logger.info("circuit %s: skipping %s", self.breaker.state, self.primary.name)
        if self.fallback is not None:
            served = yield from self._stream_fallback(request)
            if served:
                return
        yield from self._handoff(request, started)

    def _stream_primary(self, request: GenerationRequest) -> _Served:
        parts: list[str] = []
        outcome_known = False
        events = self.primary.stream(request)
        try:
            for event in events:
                if isinstance(event, TextDelta):
                    parts.append(event.text)
                    yield event
                elif isinstance(event, Completed):
                    outcome_known = True
                    self.breaker.record_success()
                    yield event
                    return True
            raise RuntimeError(f"{self.primary.name} stream ended without Completed")
        except StreamInterrupted:
            outcome_known = True
            self.breaker.record_failure()
            raise
        except Exception as exc:  # any failure of the primary must degrade
            outcome_known = True
            self.breaker.record_failure()
            partial = "".join(parts)
            if partial:
                # The customer already saw text: falling back would show a second answer.
                raise StreamInterrupted(
                    partial, provider=self.primary.name, message=str(exc)
                ) from exc
            logger.warning("%s failed before any text (%s); falling back", self.primary.name, exc)
            return False
        finally:
            _close(events)  # release the HTTP connection now, not whenever GC runs
            if not outcome_known:
                # The consumer stopped reading (e.g. the customer closed the chat).
                self.breaker.release_probe()

    def _stream_fallback(self, request: GenerationRequest) -> _Served:
        assert self.fallback is not None
        parts: list[str] = []
        events = self.fallback.stream(request)
        try:
            for event in events:
                if isinstance(event, TextDelta):
                    parts.append(event.text)
                yield event
                if isinstance(event, Completed):
                    return True
            raise RuntimeError(f"{self.fallback.name} stream ended without Completed")
        except StreamInterrupted:
            raise
        except Exception as exc:  # last resort before the human handoff
            partial = "".join(parts)
            if partial:
                raise StreamInterrupted(
                    partial, provider=self.fallback.name, message=str(exc)
                ) from exc
            logger.error("fallback %s failed too (%s); handing off", self.fallback.name, exc)
            return False
        finally:
            _close(events)

    def _handoff(
        self, request: GenerationRequest, started: float
    ) -> Iterator[TextDelta | Completed]:
        text = self.handoff_text.get(request.lang) or DEFAULT_HANDOFF_TEXT[request.lang]
        yield TextDelta(text)
        yield Completed(
            text=text,
            usage=Usage(),
            latency_ms=(self._clock() - started) * 1000.0,
            provider="handoff",
            model="handoff",
            stop_reason="handoff",
        )
