"""CircuitBreaker and ResilientProvider: remote → local → human handoff."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from bank_ai.ai.llm import (
    DEFAULT_HANDOFF_TEXT,
    CircuitBreaker,
    Completed,
    GenerationRequest,
    LocalProvider,
    Passage,
    ProviderError,
    ProviderUnavailable,
    ResilientProvider,
    StreamInterrupted,
    TextDelta,
    Usage,
    build_provider,
)
from bank_ai.ai.llm.anthropic_provider import AnthropicProvider
from bank_ai.ai.llm.breaker import CLOSED, HALF_OPEN, OPEN
from tests.fakes.anthropic_server import FakeAnthropicServer, overloaded

REQUEST = GenerationRequest(
    task="answer",
    language="en",
    question="What is the annual fee?",
    passages=(Passage("kb-1", "Fees", "", "The annual fee is $20."),),
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class ScriptedProvider:
    """A primary whose behaviour per call is scripted: "ok", "unavailable", "error", "cut"."""

    def __init__(self, name: str, outcomes: list[str]) -> None:
        self.name = name
        self.model = f"{name}-model"
        self.outcomes = list(outcomes)
        self.calls = 0

    def stream(self, request: GenerationRequest) -> Iterator[TextDelta | Completed]:
        self.calls += 1
        outcome = self.outcomes.pop(0) if self.outcomes else "ok"
        if outcome == "unavailable":
            raise ProviderUnavailable("overloaded", provider=self.name)
        if outcome == "error":
            raise ProviderError("bad request", provider=self.name)
        yield TextDelta("Partial ")
        if outcome == "cut":
            raise StreamInterrupted("Partial ", provider=self.name)
        yield TextDelta("answer.")
        yield Completed("Partial answer.", Usage(1, 2), 1.0, self.name, self.model, "end_turn")

    def generate(self, request: GenerationRequest) -> Completed:
        raise NotImplementedError


def texts(events: Iterator[TextDelta | Completed]) -> tuple[str, Completed]:
    collected = list(events)
    completed = collected[-1]
    assert isinstance(completed, Completed)
    return "".join(e.text for e in collected if isinstance(e, TextDelta)), completed


def read_deltas(events: Iterator[TextDelta | Completed], into: list[str]) -> None:
    """Read a stream that is expected to break, keeping what the customer saw."""
    for event in events:
        assert isinstance(event, TextDelta)
        into.append(event.text)


def opened_breaker(clock: FakeClock) -> CircuitBreaker:
    breaker = CircuitBreaker(failure_threshold=2, reset_after_s=30, clock=clock)
    breaker.record_failure()
    breaker.record_failure()
    return breaker


# --- CircuitBreaker -------------------------------------------------------------------------


def test_breaker_opens_after_threshold_consecutive_failures() -> None:
    breaker = CircuitBreaker(failure_threshold=3, reset_after_s=30, clock=FakeClock())
    for _ in range(2):
        breaker.record_failure()
        assert breaker.state == CLOSED
        assert breaker.allow_request()
    breaker.record_failure()
    assert breaker.state == OPEN
    assert not breaker.allow_request()


def test_success_resets_the_consecutive_failure_count() -> None:
    breaker = CircuitBreaker(failure_threshold=2, clock=FakeClock())
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state == CLOSED


def test_breaker_turns_half_open_after_reset_time_and_grants_one_probe() -> None:
    clock = FakeClock()
    breaker = opened_breaker(clock)
    clock.advance(29.9)
    assert breaker.state == OPEN
    assert not breaker.allow_request()
    clock.advance(0.1)
    assert breaker.state == HALF_OPEN
    assert breaker.allow_request()  # the probe
    assert not breaker.allow_request()  # everyone else waits for its outcome


def test_successful_probe_closes_the_breaker() -> None:
    clock = FakeClock()
    breaker = opened_breaker(clock)
    clock.advance(30)
    assert breaker.allow_request()
    breaker.record_success()
    assert breaker.state == CLOSED
    assert breaker.allow_request()


def test_failed_probe_reopens_for_another_reset_period() -> None:
    clock = FakeClock()
    breaker = opened_breaker(clock)
    clock.advance(30)
    assert breaker.allow_request()
    breaker.record_failure()
    assert breaker.state == OPEN
    clock.advance(29)
    assert not breaker.allow_request()


def test_abandoned_probe_is_released_for_the_next_request() -> None:
    clock = FakeClock()
    breaker = opened_breaker(clock)
    clock.advance(30)
    assert breaker.allow_request()
    breaker.release_probe()
    assert breaker.allow_request()


def test_concurrent_failures_and_probes_are_counted_exactly() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=40, reset_after_s=30, clock=clock)
    barrier = threading.Barrier(8)

    def fail_many() -> None:
        barrier.wait()
        for _ in range(5):
            breaker.record_failure()

    threads = [threading.Thread(target=fail_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert breaker.state == OPEN  # 8 x 5 = exactly the threshold: no failure was lost
    clock.advance(30)
    granted: list[bool] = []
    barrier = threading.Barrier(8)

    def try_probe() -> None:
        barrier.wait()
        granted.append(breaker.allow_request())

    threads = [threading.Thread(target=try_probe) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert granted.count(True) == 1


# --- ResilientProvider ----------------------------------------------------------------------


def test_uses_the_primary_while_the_breaker_is_closed() -> None:
    primary = ScriptedProvider("remote", ["ok"])
    provider = ResilientProvider(primary, LocalProvider(), CircuitBreaker(clock=FakeClock()))
    text, completed = texts(provider.stream(REQUEST))
    assert (text, completed.provider) == ("Partial answer.", "remote")


@pytest.mark.parametrize("failure", ["unavailable", "error"])
def test_failure_before_any_text_falls_back_to_local(failure: str) -> None:
    primary = ScriptedProvider("remote", [failure])
    breaker = CircuitBreaker(clock=FakeClock())
    provider = ResilientProvider(primary, LocalProvider(), breaker)
    text, completed = texts(provider.stream(REQUEST))
    assert completed.provider == "local"
    assert "The annual fee is $20 [1]." in text
    assert breaker.consecutive_failures == 1


def test_open_breaker_skips_the_primary_entirely() -> None:
    clock = FakeClock()
    primary = ScriptedProvider("remote", ["unavailable"] * 2 + ["ok"])
    provider = ResilientProvider(primary, LocalProvider(), opened_breaker(clock))
    _, completed = texts(provider.stream(REQUEST))
    assert completed.provider == "local"
    assert primary.calls == 0


def test_breaker_opens_after_n_failures_then_requests_go_straight_to_local() -> None:
    primary = ScriptedProvider("remote", ["unavailable"] * 3 + ["ok"])
    breaker = CircuitBreaker(failure_threshold=3, reset_after_s=30, clock=FakeClock())
    provider = ResilientProvider(primary, LocalProvider(), breaker)
    for _ in range(5):
        _, completed = texts(provider.stream(REQUEST))
        assert completed.provider == "local"
    assert primary.calls == 3
    assert breaker.state == OPEN


def test_half_open_probe_success_returns_traffic_to_the_primary() -> None:
    clock = FakeClock()
    primary = ScriptedProvider("remote", ["ok", "ok"])
    breaker = opened_breaker(clock)
    provider = ResilientProvider(primary, LocalProvider(), breaker)
    clock.advance(30)
    _, probe = texts(provider.stream(REQUEST))
    _, after = texts(provider.stream(REQUEST))
    assert (probe.provider, after.provider, breaker.state) == ("remote", "remote", CLOSED)


def test_consumer_abandoning_a_probe_does_not_wedge_the_breaker() -> None:
    clock = FakeClock()
    breaker = opened_breaker(clock)
    provider = ResilientProvider(ScriptedProvider("remote", []), LocalProvider(), breaker)
    clock.advance(30)
    stream = provider.stream(REQUEST)
    next(stream)  # the customer left after the first delta
    stream.close()
    assert breaker.allow_request()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_handoff_text_when_primary_and_local_both_fail(language: str) -> None:
    request = GenerationRequest(task="answer", language=language, question="?")
    provider = ResilientProvider(
        ScriptedProvider("remote", ["unavailable"]),
        ScriptedProvider("local", ["error"]),
        CircuitBreaker(clock=FakeClock()),
    )
    text, completed = texts(provider.stream(request))
    assert text == completed.text == DEFAULT_HANDOFF_TEXT[language]
    assert completed.provider == "handoff"


def test_handoff_text_can_be_customised_per_language() -> None:
    provider = ResilientProvider(
        ScriptedProvider("remote", ["unavailable"]),
        ScriptedProvider("local", ["error"]),
        CircuitBreaker(clock=FakeClock()),
        handoff_text={"en": "Transferring you now."},
    )
    _, completed = texts(provider.stream(REQUEST))
    assert completed.text == "Transferring you now."


def test_stream_interrupted_propagates_without_fallback_and_counts_as_failure() -> None:
    primary = ScriptedProvider("remote", ["cut"])
    fallback = ScriptedProvider("local", [])
    breaker = CircuitBreaker(clock=FakeClock())
    provider = ResilientProvider(primary, fallback, breaker)
    seen: list[str] = []
    with pytest.raises(StreamInterrupted) as caught:
        read_deltas(provider.stream(REQUEST), seen)
    assert caught.value.partial_text == "Partial " == "".join(seen)
    assert fallback.calls == 0  # the customer must not see a second answer appended
    assert breaker.consecutive_failures == 1


def test_stream_interrupted_is_not_caught_as_a_provider_error() -> None:
    # Callers writing `except ProviderError: retry` must not silently retry a cut stream.
    assert not issubclass(StreamInterrupted, ProviderError)


# --- End to end with the real SDK and build_provider -----------------------------------------


def test_overloaded_remote_falls_back_to_local_through_the_real_sdk() -> None:
    with FakeAnthropicServer([overloaded()] * 3) as server:
        remote = AnthropicProvider(
            api_key=server.api_key,
            model="claude-test",
            base_url=server.base_url,
            timeout=1.0,
            max_retries=1,
            sleep=lambda _seconds: None,
        )
        provider = ResilientProvider(remote, LocalProvider(), CircuitBreaker(clock=FakeClock()))
        _, completed = texts(provider.stream(REQUEST))
        assert len(server.requests) == 2
    assert completed.provider == "local"


def test_build_provider_without_key_is_the_local_engine() -> None:
    provider = build_provider(
        anthropic_api_key="  ",
        anthropic_model="m",
        anthropic_base_url=None,
        timeout=5,
        max_retries=1,
    )
    assert isinstance(provider, LocalProvider)


def test_build_provider_with_key_is_resilient_anthropic_over_local() -> None:
    provider = build_provider(
        anthropic_api_key="sk-test",
        anthropic_model="claude-x",
        anthropic_base_url="http://127.0.0.1:9",
        timeout=5,
        max_retries=1,
    )
    assert isinstance(provider, ResilientProvider)
    assert isinstance(provider.primary, AnthropicProvider)
    assert isinstance(provider.fallback, LocalProvider)
    assert provider.model == "claude-x"
