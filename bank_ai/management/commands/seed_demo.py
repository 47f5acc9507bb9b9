from __future__ import annotations

from django.core.management.base import BaseCommand

from bank_ai.demo import seed_all


class Command(BaseCommand):
    help = (
        "Load the fictional Harbour Bank (users, branches, devices, cards, customers, knowledge)."
    )

    def handle(self, *args: object, **options: object) -> None:
        counts = seed_all(log=lambda line: self.stdout.write(f"  {line}"))
        self._train_matcher()
        summary = ", ".join(f"{key}={value}" for key, value in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Demo bank ready: {summary}"))

    def _train_matcher(self) -> None:
        """The question matcher learns from the demo FAQs' variants once; later edits retrain
        it through train_matcher (or its django-q2 task)."""
        from bank_ai.ai.matcher_model import trained_model
        from bank_ai.ai.matcher_training import train_question_matcher

        if trained_model() is not None:
            return
        try:
            meta = train_question_matcher().meta
        except ValueError as exc:
            self.stdout.write(f"  question matcher: not trained ({exc})")
            return
        self.stdout.write(
            f"  question matcher: trained on {meta['pairs']} pairs in {meta['train_seconds']} s"
        )
