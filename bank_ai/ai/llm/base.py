"""The small, provider-neutral interface every AI scenario talks to.

Scenarios build a :class:`GenerationRequest`, call ``provider.stream(request)`` and relay
:class:`TextDelta` events to the customer as they arrive; the last event is always a
:class:`Completed` carrying the full text plus usage/latency for the audit trail.

Pure Python on purpose (no Django imports) so it can be unit-tested standalone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal, Protocol, TypeAlias, get_args, runtime_checkable

Task = Literal["answer", "rephrase", "summarise", "chat"]
Language = Literal["zh-hans", "en"]
Role = Literal["user", "assistant"]

TASKS: frozenset[str] = frozenset(get_args(Task))
LANGUAGES: frozenset[str] = frozenset(get_args(Language))
ROLES: frozenset[str] = frozenset(get_args(Role))


def normalise_language(language: str) -> Language:
    """Map a request language onto one we have prompts and templates for.

    Django hands us codes such as ``zh-Hans``, ``zh-cn`` or ``en-gb``; anything Chinese is
    answered in Simplified Chinese, anything else in English, rather than failing a request.
    """
    code = (language or "").strip().lower().replace("_", "-")
    return "zh-hans" if code.startswith("zh") else "en"


@dataclass(frozen=True)
class Passage:
    """A retrieved knowledge-base chunk. Its 1-based position in the request is its citation."""

    source_id: str
    title: str
    url: str
    text: str
    score: float = 0.0


@dataclass(frozen=True)
class GenerationRequest:
    task: Task
    language: str  # "zh-hans" | "en"
    question: str = ""
    passages: tuple[Passage, ...] = ()
    draft: str = ""  # grounded text to rephrase
    # What the question is about in the bank's words (the recognised intent's name): an
    # extractive provider scores sentences with it too ("卡被偷了" shares no word with "被盗").
    focus: str = ""
    history: tuple[tuple[str, str], ...] = ()  # (role, text)
    system: str = ""
    max_tokens: int = 600

    def __post_init__(self) -> None:
        # Reject mistakes at construction time, where the stack trace points at the caller,
        # instead of deep inside a provider mid-stream.
        if self.task not in TASKS:
            raise ValueError(f"unknown task {self.task!r}; expected one of {sorted(TASKS)}")
        if self.max_tokens <= 0:
            raise ValueError("max_tokens must be positive")
        # Callers often pass lists; freeze them so the request stays hashable and immutable.
        object.__setattr__(self, "passages", tuple(self.passages))
        history = tuple((str(role), str(text)) for role, text in self.history)
        for role, _ in history:
            if role not in ROLES:
                raise ValueError(f"history role must be 'user' or 'assistant', not {role!r}")
        object.__setattr__(self, "history", history)

    @property
    def lang(self) -> Language:
        return normalise_language(self.language)


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True)
class TextDelta:
    """A piece of answer text, to be shown to the customer immediately."""

    text: str


@dataclass(frozen=True)
class Completed:
    """Always the last event of a successful stream."""

    text: str
    usage: Usage
    latency_ms: float
    provider: str  # "anthropic" | "local" | "handoff"
    model: str
    stop_reason: str | None = None


StreamEvent: TypeAlias = TextDelta | Completed


class LLMError(Exception):
    """Base of everything this package raises."""


class ProviderError(LLMError):
    """The provider failed before sending any text; the request may go elsewhere."""

    def __init__(self, message: str, *, provider: str = "", status_code: int | None = None):
        super().__init__(message)
        self.provider = provider
        self.status_code = status_code


class ProviderUnavailable(ProviderError):
    """A transient failure (rate limit, overload, 5xx, timeout) with no text sent yet.

    Safe to retry or to fall back to another provider.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        status_code: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message, provider=provider, status_code=status_code)
        self.retry_after = retry_after


class StreamInterrupted(LLMError):
    """The stream broke after some text reached the customer.

    Deliberately NOT a ProviderError: an ``except ProviderError`` fallback/retry must never
    swallow it, because re-generating would show the customer a second, different answer.
    The caller should tell the customer the answer was cut off.
    """

    def __init__(self, partial_text: str, *, provider: str = "", message: str = ""):
        super().__init__(message or f"stream interrupted after {len(partial_text)} chars")
        self.partial_text = partial_text
        self.provider = provider


@runtime_checkable
class LLMProvider(Protocol):
    """What a scenario needs from a model. Concrete providers subclass this to get generate()."""

    name: str
    model: str

    def stream(self, request: GenerationRequest) -> Iterator[TextDelta | Completed]:
        """Yield TextDelta events, then exactly one Completed; or raise an LLMError."""
        ...

    def generate(self, request: GenerationRequest) -> Completed:
        """Non-streaming convenience: run the stream to the end and return its Completed."""
        return collect(self.stream(request))


def collect(events: Iterable[TextDelta | Completed]) -> Completed:
    """Consume a stream and return its final event, checking the stream kept its contract."""
    completed: Completed | None = None
    for event in events:
        if isinstance(event, Completed):
            completed = event
    if completed is None:
        # A stream that ends without Completed is a provider bug; surface it loudly.
        raise ProviderError("stream ended without a Completed event")
    return completed
