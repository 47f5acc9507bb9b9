from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bank_ai.ai.matcher_model import model_path
from bank_ai.ai.matcher_training import train_question_matcher


class Command(BaseCommand):
    help = (
        "Train the question matcher from the bank's labelled pairs (curated FAQ variants, "
        "their hard negatives and contrastive edits, agent corrections) and store it; every "
        "process picks the new model up on its next match."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queue", action="store_true", help="enqueue the django-q2 task instead"
        )

    def handle(self, *args: object, queue: bool, **options: object) -> None:
        if queue:
            from bank_ai.ai.tasks import matcher_training_enqueue

            task_id = matcher_training_enqueue(reason="train_matcher command")
            self.stdout.write(f"queued {task_id}")
            return
        try:
            model = train_question_matcher()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        meta = model.meta
        self.stdout.write(
            f"trained on {meta['pairs']} pairs ({meta['positives']} matching; "
            f"{', '.join(f'{k} {v}' for k, v in sorted(meta['origins'].items()))}) "
            f"in {meta['train_seconds']} s; training AUC {meta['train_auc']:.3f}; "
            f"saved to {model_path()}"
        )
