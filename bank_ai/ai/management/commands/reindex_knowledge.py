from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from bank_ai.ai.indexing import reindex_knowledge
from bank_ai.ai.models import IndexingRun
from bank_ai.ai.tasks import indexing_run_enqueue


class Command(BaseCommand):
    help = "Re-index changed knowledge pages (incremental); --queue hands it to django-q2."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queue", action="store_true", help="run in the task cluster")

    def handle(self, *args: object, queue: bool, **options: object) -> None:
        if queue:
            run = indexing_run_enqueue(reason="manage.py reindex_knowledge --queue")
            self.stdout.write(f"queued indexing run {run.pk}; progress in the admin")
            return
        run = reindex_knowledge(
            IndexingRun.objects.create(reason="manage.py reindex_knowledge"), log=self.stdout.write
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{run.pages_done} pages checked, {run.pages_reindexed} re-indexed, "
                f"{run.chunks_written} passages written, {run.chunks_removed} removed"
            )
        )
