"""What the guards return."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GuardDecision:
    code: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class GuardResult:
    text: str
    allowed: bool
    decisions: tuple[GuardDecision, ...] = ()

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(d.code for d in self.decisions)


@dataclass(frozen=True, slots=True)
class InjectionVerdict:
    is_attack: bool
    score: float
    reasons: tuple[str, ...] = ()
