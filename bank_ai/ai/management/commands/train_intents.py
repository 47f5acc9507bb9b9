from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from bank_ai.ai.intents import intent_model_train


class Command(BaseCommand):
    help = "Train the intent classifier from the active intents' examples."

    def handle(self, *args: object, **options: object) -> None:
        try:
            model = intent_model_train()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"trained on {model.examples} examples of {model.intents} intents "
                f"in {model.train_seconds:.1f} s"
            )
        )
