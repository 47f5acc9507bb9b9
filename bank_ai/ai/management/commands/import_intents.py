from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bank_ai.ai.intents import intent_model_train, intents_import, read_labelled_csv


class Command(BaseCommand):
    help = "Import intent examples from a CSV (columns text,category or text,label) and retrain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("csv_file", type=Path)
        parser.add_argument("--no-train", action="store_true")

    def handle(self, *args: object, csv_file: Path, no_train: bool, **options: object) -> None:
        if not csv_file.is_file():
            raise CommandError(f"{csv_file}: no such file")
        try:
            rows = read_labelled_csv(csv_file)
        except (ValueError, UnicodeDecodeError) as exc:
            raise CommandError(str(exc)) from exc
        intents, examples = intents_import(rows)
        self.stdout.write(f"{len(rows)} rows: {intents} new intents, {examples} new examples")
        if not no_train:
            model = intent_model_train()
            self.stdout.write(
                self.style.SUCCESS(
                    f"retrained on {model.examples} examples in {model.train_seconds:.1f} s"
                )
            )
