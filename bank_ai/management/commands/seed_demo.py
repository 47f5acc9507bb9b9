from __future__ import annotations

from django.core.management.base import BaseCommand

from bank_ai.demo import seed_all


class Command(BaseCommand):
    help = (
        "Load the fictional Harbour Bank (users, branches, devices, cards, customers, knowledge)."
    )

    def handle(self, *args: object, **options: object) -> None:
        counts = seed_all(log=lambda line: self.stdout.write(f"  {line}"))
        summary = ", ".join(f"{key}={value}" for key, value in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Demo bank ready: {summary}"))
