"""Scoring a conversation, and the supervisor's appeal / confirm / override (the only writers)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from bank_ai.ai.masking import mask_pii
from scenarios.models import DialogueSession, DisclosureAcknowledgement, Takeover, Turn
from scenarios.quality import llm_review, rules
from scenarios.quality.models import Criterion, Finding, Inspection, ScoreReview

ENDED_STATUSES = (DialogueSession.Status.COMPLETED, DialogueSession.Status.ABANDONED)


class ReviewError(ValueError):
    """A review the supervisor may not make (no permission, no reason, score out of range)."""


def conversation_of(session: DialogueSession) -> rules.Conversation:
    turns = tuple(
        rules.TranscriptTurn(
            seq=t.seq,
            role=t.role,
            text=t.text,
            at=t.created_at,
            agent=str((t.payload or {}).get("agent") or ""),
        )
        for t in Turn.objects.filter(session=session).order_by("seq")
    )
    rated = (
        session.funnel_events.filter(outcome="rated")
        .order_by("-id")
        .values_list("detail", flat=True)
    ).first()
    return rules.Conversation(
        scenario=session.flow.scenario,
        status=session.status,
        turns=turns,
        customer_identified=session.customer_id is not None,
        requires_customer=session.flow.requires_customer,
        disclosure_acknowledged=DisclosureAcknowledgement.objects.filter(session=session).exists(),
        rating=(rated or {}).get("score"),
    )


@transaction.atomic
def inspection_run(*, session_id: Any) -> Inspection:
    """Score the session against the active rubric (rules, plus the LLM when configured).

    Scoring again replaces the findings and the computed score; a supervisor's override stays
    the effective score, and the review trail is never touched.
    """
    session = DialogueSession.objects.select_for_update().select_related("flow").get(pk=session_id)
    conv = conversation_of(session)
    criteria = list(Criterion.objects.filter(is_active=True))
    results: dict[str, tuple[int, list[rules.Check]]] = {}
    for criterion in criteria:
        check = rules.RULES.get(criterion.kind)
        results[criterion.code] = (
            criterion.weight,
            check(conv, criterion.parameters or {}) if check else [],
        )
    asked = [
        (c.code, c.label_en, str((c.parameters or {}).get("instruction", "")))
        for c in criteria
        if c.ask_llm or c.kind == Criterion.Kind.LLM_JUDGEMENT
    ]
    judged = llm_review.review(conv, asked) if conv.turns else llm_review.LlmReview([], "")
    by_seq = {t.seq: t for t in conv.turns}
    llm_checks: dict[str, list[rules.Check]] = {}
    for finding in judged.findings:
        llm_checks.setdefault(finding.criterion, []).append(
            rules.Check(
                finding.passed,
                mask_pii(finding.note).text,
                by_seq.get(finding.turn_seq or -1),
                source="llm",
            )
        )
    for code, checks in llm_checks.items():
        weight, rule_checks = results[code]
        results[code] = (weight, rule_checks + checks)
    auto_score, failed = rules.score(results)

    takeover = (
        Takeover.objects.filter(session=session, agent__isnull=False)
        .order_by("-requested_at")
        .first()
    )
    ended_at = conv.turns[-1].at if conv.turns else session.updated_at
    inspection = Inspection.objects.filter(session=session).first()
    fields = {
        "scenario": conv.scenario,
        "channel": session.channel,
        "language": session.language,
        "agent": takeover.agent if takeover else None,
        "session_status": session.status,
        "turn_count": len(conv.turns),
        "handling_seconds": conv.handling_seconds,
        "auto_score": auto_score,
        "failed_criteria": failed,
        "method": Inspection.Method.RULES_AND_LLM if judged.used else Inspection.Method.RULES,
        "llm_note": judged.note[:200],
        "conversation_ended_at": ended_at,
        "scored_at": timezone.now(),
    }
    if inspection is None:
        inspection = Inspection.objects.create(session=session, score=auto_score, **fields)
    else:
        for name, value in fields.items():
            setattr(inspection, name, value)
        if inspection.review_state != Inspection.Review.OVERRIDDEN:
            inspection.score = auto_score
        inspection.save()
        inspection.findings.all().delete()
    by_code = {c.code: c for c in criteria}
    Finding.objects.bulk_create(
        Finding(
            inspection=inspection,
            criterion=by_code[code],
            criterion_code=code,
            weight=weight,
            passed=check.passed,
            source=check.source,
            turn_seq=check.turn.seq if check.turn else None,
            turn_role=check.turn.role if check.turn else "",
            note=check.note[:300],
        )
        for code, (weight, checks) in results.items()
        for check in checks
    )
    return inspection


def sessions_to_inspect(*, idle_minutes: int | None = None, rescore: bool = False) -> QuerySet:
    """Finished sessions: completed or abandoned, a takeover handed back, or idle that long."""
    idle = idle_minutes if idle_minutes is not None else settings.QUALITY_IDLE_MINUTES
    idle_since = timezone.now() - timedelta(minutes=idle)
    finished = (
        Q(status__in=ENDED_STATUSES)
        | Q(takeovers__state=Takeover.State.ENDED)
        | Q(updated_at__lt=idle_since)
    )
    sessions = DialogueSession.objects.filter(finished).filter(turns__isnull=False).distinct()
    if not rescore:
        # Never scored, or changed since (a takeover handed back, then the customer walked away).
        sessions = sessions.filter(
            Q(inspection__isnull=True) | Q(inspection__scored_at__lt=F("updated_at"))
        )
    return sessions.order_by("created_at")


def _name(user: Any) -> str:
    return (user.get_full_name() or user.get_username())[:150]


def may_review(user: Any) -> bool:
    return bool(user and user.is_active and user.has_perm("quality.review_inspection"))


@transaction.atomic
def score_appeal(*, inspection_id: int, actor: Any, reason: str) -> ScoreReview:
    """The agent (or anyone who may view it) contests a score; it waits for a supervisor."""
    reason = (reason or "").strip()
    if not reason:
        raise ReviewError("an appeal needs a reason")
    inspection = Inspection.objects.select_for_update().get(pk=inspection_id)
    is_own = inspection.agent_id is not None and inspection.agent_id == actor.pk
    if not (is_own or may_review(actor)):
        raise ReviewError("only the agent who handled it or a supervisor may appeal this score")
    inspection.review_state = Inspection.Review.APPEALED
    inspection.save(update_fields=["review_state"])
    return ScoreReview.objects.create(
        inspection=inspection,
        action=ScoreReview.Action.APPEAL,
        actor=actor,
        actor_name=_name(actor),
        previous_score=inspection.score,
        new_score=inspection.score,
        reason=mask_pii(reason[:2000]).text,
    )


@transaction.atomic
def score_override(
    *, inspection_id: int, actor: Any, reason: str, score: float | None = None
) -> ScoreReview:
    """A supervisor sets the score (or confirms it, `score=None`), always with a reason."""
    if not may_review(actor):
        raise ReviewError("only quality supervisors may override or confirm scores")
    reason = (reason or "").strip()
    if not reason:
        raise ReviewError("an override needs a reason")
    if score is not None and not 0 <= score <= 100:
        raise ReviewError("a score is between 0 and 100")
    inspection = Inspection.objects.select_for_update().get(pk=inspection_id)
    previous = inspection.score
    if score is None:
        action = ScoreReview.Action.CONFIRM
        inspection.review_state = Inspection.Review.CONFIRMED
    else:
        action = ScoreReview.Action.OVERRIDE
        inspection.review_state = Inspection.Review.OVERRIDDEN
        inspection.score = round(float(score), 1)
    inspection.save(update_fields=["review_state", "score"])
    return ScoreReview.objects.create(
        inspection=inspection,
        action=action,
        actor=actor,
        actor_name=_name(actor),
        previous_score=previous,
        new_score=inspection.score,
        reason=mask_pii(reason[:2000]).text,
    )
