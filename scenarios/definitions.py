"""Rows every turn reads and staff rarely change (flows and their steps, handover keywords, the
card catalogue, the business calendar), kept per process instead of being queried on every turn.

Validity is one token in the shared cache (Redis, or the database cache): any save or delete of
a watched model writes a new random token, at once and again when its transaction commits (a
process that reloaded in between would otherwise keep the old rows). A process compares its
token with the shared one at most every `DEFINITIONS_CHECK_SECONDS` (default 1 s), so an edit
reaches every process within about a second, and the process that made it at once; a turn
costs no query for any of it. Random tokens, not counters: a rolled-back change never comes
back as a token some process already holds.

Cached model instances are shared by every turn of the process: read them, never change them.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from scenarios.models import Flow, FlowStep

logger = logging.getLogger(__name__)

VERSION_KEY = "scenarios:definitions-token"
T = TypeVar("T")


@dataclass
class _Local:
    token: str | None = None
    checked_at: float = 0.0
    values: dict[str, Any] = field(default_factory=dict)


_local = _Local()
_lock = threading.Lock()


def _check_seconds() -> float:
    return float(getattr(settings, "DEFINITIONS_CHECK_SECONDS", 1.0))


def _shared_token() -> str:
    token = cache.get(VERSION_KEY)
    if token is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        token = cache.get(VERSION_KEY)
    return str(token)


def _current_values() -> dict[str, Any] | None:
    """This process's cached values if still valid (checking the shared token when due)."""
    now = time.monotonic()
    if _local.token is not None and now - _local.checked_at < _check_seconds():
        return _local.values
    try:
        token = _shared_token()
    except Exception:  # noqa: BLE001 - a cache outage must not stop turns: read the database
        logger.warning("definitions token unreadable; reading from the database", exc_info=True)
        forget_local()
        return None
    with _lock:
        if token != _local.token:
            _local.values = {}
            _local.token = token
        _local.checked_at = now
        return _local.values


def cached(name: str, load: Callable[[], T]) -> T:
    """The process's copy of `name`, loaded by `load()` when missing or changed."""
    values = _current_values()
    if values is None:
        return load()
    try:
        return values[name]
    except KeyError:
        value = load()
        values.setdefault(name, value)
        return value


def forget_local() -> None:
    """Drop this process's copies (the next read checks the shared token and reloads)."""
    with _lock:
        _local.token = None
        _local.values = {}


def _new_token() -> None:
    token = uuid.uuid4().hex
    try:
        # A savepoint: with the database cache a failed write (no cache table yet, as during a
        # first migrate) must not abort the caller's transaction.
        with transaction.atomic():
            cache.set(VERSION_KEY, token, timeout=None)
    except Exception:  # noqa: BLE001 - the change is saved; other processes catch up on recovery
        logger.exception("could not publish a definitions change")
        forget_local()
        return
    with _lock:
        _local.token = token
        _local.values = {}
        _local.checked_at = time.monotonic()


def watched_models() -> list[type[Any]]:
    """The models whose rows are cached here: a save or delete of any of them reloads all."""
    from scenarios.models import BusinessCalendarDay, CardBenefit, CardProduct, HandoffKeyword

    return [Flow, FlowStep, HandoffKeyword, CardProduct, CardBenefit, BusinessCalendarDay]


def definitions_changed(**kwargs: Any) -> None:
    """A watched row changed (signal receiver; also called after bulk updates)."""
    _new_token()
    transaction.on_commit(_new_token)


# ----------------------------------------------------------------------------- flows


@dataclass(frozen=True)
class FlowDefinition:
    """A flow and its steps in position order."""

    flow: Flow
    steps: tuple[FlowStep, ...]

    def step(self, code: str) -> FlowStep:
        for step in self.steps:
            if step.code == code:
                return step
        raise FlowStep.DoesNotExist(f"flow {self.flow.code!r} has no step {code!r}")

    def first(self) -> FlowStep | None:
        return self.steps[0] if self.steps else None

    def after(self, step: FlowStep) -> FlowStep | None:
        return next((other for other in self.steps if other.position > step.position), None)

    def first_with(self, *, kind: str = "", behaviour: str = "") -> FlowStep | None:
        for step in self.steps:
            if (not kind or step.kind == kind) and (not behaviour or step.behaviour == behaviour):
                return step
        return None


@dataclass(frozen=True)
class _Flows:
    by_id: dict[int, FlowDefinition]
    by_code: dict[str, FlowDefinition]


def _load_flows() -> _Flows:
    flows = {flow.pk: flow for flow in Flow.objects.all()}
    steps: dict[int, list[FlowStep]] = {pk: [] for pk in flows}
    for step in FlowStep.objects.order_by("flow_id", "position"):
        FlowStep.flow.field.set_cached_value(step, flows[step.flow_id])
        steps[step.flow_id].append(step)
    by_id = {pk: FlowDefinition(flow, tuple(steps[pk])) for pk, flow in flows.items()}
    return _Flows(by_id=by_id, by_code={d.flow.code: d for d in by_id.values()})


def _flows() -> _Flows:
    return cached("flows", _load_flows)


def flow_definition(flow: Flow | int) -> FlowDefinition:
    """The cached definition of a flow (by instance or primary key)."""
    pk = flow if isinstance(flow, int) else flow.pk
    try:
        return _flows().by_id[pk]
    except KeyError:
        # Created since this process last checked: look again now rather than in a second.
        forget_local()
        try:
            return _flows().by_id[pk]
        except KeyError:
            raise Flow.DoesNotExist(f"no flow {pk}") from None


def flow_named(code: str, *, active: bool = False) -> Flow | None:
    """The flow with `code` (only an active one if `active`), or None."""
    definition = _flows().by_code.get(code)
    if definition is None:
        forget_local()
        definition = _flows().by_code.get(code)
    if definition is None or (active and not definition.flow.is_active):
        return None
    return definition.flow


def active_flows() -> list[Flow]:
    return [d.flow for d in _flows().by_id.values() if d.flow.is_active]


def steps_of(flow: Flow) -> FlowDefinition:
    return flow_definition(flow)


def attach_flow(session: Any) -> Any:
    """Give `session` its cached flow, so `session.flow` costs no query."""
    session.flow = flow_definition(session.flow_id).flow
    return session


# ----------------------------------------------------------------------------- card catalogue


def card_catalogue() -> list[Any]:
    """Every card product (active or not) with its benefits, in the catalogue's order."""
    from scenarios.models import CardProduct

    return cached("cards", lambda: list(CardProduct.objects.prefetch_related("benefits")))


def card_named(code: str) -> Any:
    """The card product `code` (raises CardProduct.DoesNotExist)."""
    from scenarios.models import CardProduct

    for card in card_catalogue():
        if card.code == code:
            return card
    forget_local()  # added since this process last looked?
    for card in card_catalogue():
        if card.code == code:
            return card
    raise CardProduct.DoesNotExist(f"no card {code!r}")
