"""Score finished conversations that have no score yet (backfill), or all of them again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from scenarios.quality.services import inspection_run, sessions_to_inspect


class Command(BaseCommand):
    help = (
        "Score finished conversations (completed, abandoned, handed back, or idle for "
        "QUALITY_IDLE_MINUTES) against the rubric; prints a summary table."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--rescore", action="store_true", help="score scored ones again")
        parser.add_argument("--limit", type=int, default=0, help="at most this many (0: all)")
        parser.add_argument(
            "--idle-minutes", type=int, default=None, help="idle this long counts as finished"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["limit"] < 0:
            raise CommandError("--limit must be 0 or more")
        if options["idle_minutes"] is not None and options["idle_minutes"] < 0:
            raise CommandError("--idle-minutes must be 0 or more")
        sessions = sessions_to_inspect(
            idle_minutes=options["idle_minutes"], rescore=options["rescore"]
        ).values_list("pk", flat=True)
        if options["limit"]:
            sessions = sessions[: options["limit"]]
        scores: list[float] = []
        failed = 0
        for session_id in sessions:
            inspection = inspection_run(session_id=session_id)
            scores.append(inspection.score)
            failed += inspection.failed_criteria > 0
        average = sum(scores) / len(scores) if scores else 0.0
        self.stdout.write(f"{'scored':<22}{len(scores):>8}")
        self.stdout.write(f"{'with a failed rule':<22}{failed:>8}")
        self.stdout.write(f"{'average score':<22}{average:>8.1f}")
        self.stdout.write(f"{'lowest score':<22}{min(scores, default=0.0):>8.1f}")
