"""django-q2 tasks of the quality inspection; enqueue through `inspection_enqueue`."""

from __future__ import annotations

from typing import Any

from django_q.tasks import async_task

from scenarios.quality.services import inspection_run, sessions_to_inspect

IDLE_SCHEDULE_NAME = "quality-inspect-idle-sessions"


def inspect_session_task(session_id: str) -> dict[str, Any]:
    inspection = inspection_run(session_id=session_id)
    return {"inspection": inspection.pk, "score": inspection.score}


def inspect_idle_sessions_task(limit: int = 500) -> int:
    """Every 15 minutes: score finished or idle sessions that no event queued (walk-aways)."""
    done = 0
    for session_id in sessions_to_inspect().values_list("pk", flat=True)[:limit]:
        inspection_run(session_id=session_id)
        done += 1
    return done


def inspection_enqueue(*, session_id: Any, reason: str) -> str:
    return async_task(
        inspect_session_task,
        str(session_id),
        task_name=f"inspect-{session_id}: {reason}"[:100],
        group="quality",
    )
