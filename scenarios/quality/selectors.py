"""Reads of the quality inspection: the review queue, one transcript with findings, scorecards."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Avg, Count, Min, QuerySet

from scenarios.models import Turn
from scenarios.quality.models import Finding, Inspection

BOT = "bot"


def review_queue(
    *,
    agent_id: int | None = None,
    scenario: str = "",
    since: datetime | None = None,
    failed_only: bool = False,
) -> QuerySet[Inspection]:
    """Lowest scores first; the queue a supervisor works through."""
    inspections = Inspection.objects.select_related("agent", "session").order_by(
        "score", "-conversation_ended_at"
    )
    if agent_id is not None:
        inspections = inspections.filter(agent_id=agent_id)
    if scenario:
        inspections = inspections.filter(scenario=scenario)
    if since is not None:
        inspections = inspections.filter(conversation_ended_at__gte=since)
    if failed_only:
        inspections = inspections.filter(failed_criteria__gt=0)
    return inspections


@dataclass
class TranscriptLine:
    seq: int
    role: str
    text: str
    at: datetime
    agent: str
    failed: list[Finding] = field(default_factory=list)
    passed: list[Finding] = field(default_factory=list)


def transcript_with_findings(inspection: Inspection) -> tuple[list[TranscriptLine], list[Finding]]:
    """Each turn with the findings that point at it; plus findings of the whole conversation."""
    findings = list(inspection.findings.all())
    lines = [
        TranscriptLine(
            seq=turn.seq,
            role=turn.role,
            text=turn.text,
            at=turn.created_at,
            agent=str((turn.payload or {}).get("agent") or ""),
        )
        for turn in Turn.objects.filter(session_id=inspection.session_id).order_by("seq")
    ]
    by_seq = {line.seq: line for line in lines}
    overall = []
    for finding in findings:
        line = by_seq.get(finding.turn_seq) if finding.turn_seq is not None else None
        if line is None:
            overall.append(finding)
        elif finding.passed:
            line.passed.append(finding)
        else:
            line.failed.append(finding)
    return lines, overall


@dataclass(frozen=True)
class Scorecard:
    agent_id: int | None
    agent: str  # user name, or "bot" for conversations no person handled
    count: int
    average: float
    lowest: float
    failures: dict[str, int]  # criterion code -> conversations failing it


def scorecards(*, since: datetime | None = None, until: datetime | None = None) -> list[Scorecard]:
    """Per agent (and the bot): conversations scored, average, failures per criterion."""
    inspections = Inspection.objects.all()
    if since is not None:
        inspections = inspections.filter(conversation_ended_at__gte=since)
    if until is not None:
        inspections = inspections.filter(conversation_ended_at__lt=until)
    totals = inspections.values("agent_id", "agent__username").annotate(
        count=Count("id"), average=Avg("score"), lowest=Min("score")
    )
    failures: dict[Any, dict[str, int]] = {}
    for row in (
        Finding.objects.filter(inspection__in=inspections, passed=False)
        .values("inspection__agent_id", "criterion_code")
        .annotate(conversations=Count("inspection_id", distinct=True))
    ):
        failures.setdefault(row["inspection__agent_id"], {})[row["criterion_code"]] = row[
            "conversations"
        ]
    cards = [
        Scorecard(
            agent_id=row["agent_id"],
            agent=row["agent__username"] or BOT,
            count=row["count"],
            average=round(row["average"] or 0.0, 1),
            lowest=row["lowest"],
            failures=dict(sorted(failures.get(row["agent_id"], {}).items())),
        )
        for row in totals
    ]
    return sorted(cards, key=lambda card: (card.average, card.agent))
