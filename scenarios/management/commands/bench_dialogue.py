"""Turn throughput and latency of the dialogue engine with the local LLM (printed table)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bank_ai.ai.evaluation import percentile
from scenarios.dialogue import session_start, session_turn
from scenarios.models import DialogueSession

SCRIPTS = {
    "zh-hans": [
        "我经常出国旅游，也喜欢吃美食",
        "年收入大概25万",
        "信用卡年费怎么免？",
        "年费无所谓",
        "对",
        "第一张",
        "好的",
    ],
    "en": [
        "I travel a lot for business and eat out",
        "I earn about 400k a year",
        "What is the interest-free period?",
        "I don't mind the fee",
        "yes",
        "the first one",
        "great, thanks",
    ],
}


class Command(BaseCommand):
    help = "Run scripted credit-card conversations and report turns/s and p50/p95 latency."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--conversations", type=int, default=20)

    def handle(self, *args: object, conversations: int, **options: object) -> None:
        if conversations < 1:
            raise CommandError("--conversations must be at least 1")
        latencies: list[float] = []
        started_all = time.perf_counter()
        created = []
        for number in range(conversations):
            language = "zh-hans" if number % 2 == 0 else "en"
            session, _ = session_start(scenario="credit_card", channel="web", language=language)
            created.append(session.pk)
            for text in SCRIPTS[language]:
                started = time.perf_counter()
                session_turn(session_id=session.pk, text=text)
                latencies.append(1000 * (time.perf_counter() - started))
        elapsed = time.perf_counter() - started_all
        # Benchmark sessions are not customers' conversations: keep the funnel clean.
        DialogueSession.objects.filter(pk__in=created).delete()
        rows = [
            ("conversations", f"{conversations}", "zh and en alternating, 7 turns each"),
            ("turns per second", f"{len(latencies) / elapsed:.1f}", "one process, sequential"),
            (
                "turn latency p50 / p95",
                f"{percentile(latencies, 50):.0f} / {percentile(latencies, 95):.0f} ms",
                "store, slots, intent, knowledge, reply",
            ),
        ]
        self.stdout.write(f"{'measure':<24}  {'value':>14}  notes")
        for name, value, note in rows:
            self.stdout.write(f"{name:<24}  {value:>14}  {note}")
