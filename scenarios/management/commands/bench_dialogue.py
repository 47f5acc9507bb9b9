"""Turn throughput and latency of the dialogue engine with the local LLM (printed table).

Each conversation walks the whole card journey: needs, a side question, the recommendation,
the card, document upload (in-memory files through the upload service), value-added services,
the disclosure, submission and the activation guide.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from bank_ai.ai.evaluation import percentile
from scenarios.applications import application_document_upload, application_for
from scenarios.dialogue import session_start, session_turn
from scenarios.models import (
    ApplicationDocument,
    CardApplication,
    DialogueSession,
    DisclosureAcknowledgement,
)

TRANSACTION_BOUNDS = {"BEGIN", "COMMIT"}
UPLOAD = object()  # marker: upload every document the chosen card needs
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 2048
SCRIPTS = {
    "zh-hans": [
        "我经常出国旅游，也喜欢吃美食",
        "年收入大概25万",
        "信用卡年费怎么免？",
        "年费无所谓",
        "对",
        "第一张",
        "好的",
        UPLOAD,
        "传好了",
        "都不需要",
        "我已阅读并同意",
        "确认提交",
        "好的",
        "好了",
        "好了",
        "好了",
        "好了",
    ],
    "en": [
        "I travel a lot for business and eat out",
        "I earn about 400k a year",
        "What is the interest-free period?",
        "I don't mind the fee",
        "yes",
        "the first one",
        "great, thanks",
        UPLOAD,
        "done, uploaded",
        "none, thanks",
        "I have read and agree",
        "yes, submit it",
        "yes please",
        "done",
        "done",
        "done",
        "done",
    ],
}


def _upload_all(session_id: object) -> None:
    session = DialogueSession.objects.get(pk=session_id)
    card = application_for(session).card
    for document in card.required_documents:
        if document.get("required", True):
            application_document_upload(
                session=session,
                kind=document["code"],
                upload=SimpleUploadedFile("scan.png", PNG, "image/png"),
                valid_until=None if not document.get("expires") else _far_future(),
            )


def _far_future():  # noqa: ANN202 - a date
    from datetime import date

    return date(2035, 12, 31)


@transaction.atomic
def _forget(session_ids: list[object]) -> None:
    """Benchmark sessions are not customers' conversations: keep the funnel and disk clean."""
    applications = CardApplication.objects.filter(session_id__in=session_ids)
    for document in ApplicationDocument.objects.filter(application__in=applications):
        document.file.delete(save=False)
    DisclosureAcknowledgement.objects.filter(application__in=applications).delete()
    applications.delete()
    DialogueSession.objects.filter(pk__in=session_ids).delete()


@dataclass
class _Tally:
    latencies: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    commits: list[int] = field(default_factory=list)
    completed: int = 0


class Command(BaseCommand):
    help = "Run scripted card journeys and report turns/s and p50/p95 turn latency."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--conversations", type=int, default=30)

    def handle(self, *args: object, conversations: int, **options: object) -> None:
        if conversations < 1:
            raise CommandError("--conversations must be at least 1")
        created: list[object] = []
        try:
            # One untimed conversation per language first: a process's first turns load the
            # flows, the models and the tokenisers (about two seconds), which a serving process
            # pays once; timed with 10 conversations, that start-up was half the run and the
            # figure moved between 42 and 66 turns/s from one run to the next.
            warm_up = time.perf_counter()
            warm = self._converse("zh-hans", created)
            self._converse("en", created, warm)
            warm_up_seconds = time.perf_counter() - warm_up
            timed = _Tally()
            started_all = time.perf_counter()
            for number in range(conversations):
                self._converse("zh-hans" if number % 2 == 0 else "en", created, timed)
            elapsed = time.perf_counter() - started_all
        finally:
            _forget(created)
        turns = len(SCRIPTS["en"]) - 1
        rows = [
            ("conversations", f"{conversations}", f"zh and en alternating, {turns} turns each"),
            ("journeys completed", f"{timed.completed}", "submitted and activation guide finished"),
            (
                "first turn of a process",
                f"{warm.latencies[0]:.0f} ms",
                f"loads flows and models; {warm.queries[0]} statements, {warm.commits[0]} "
                f"commit; the warm-up (2 journeys, {warm_up_seconds:.1f} s) is not in the "
                "figures below",
            ),
            (
                "turns per second",
                f"{len(timed.latencies) / elapsed:.1f}",
                "one process, sequential",
            ),
            (
                "turn latency p50 / p95",
                f"{percentile(timed.latencies, 50):.0f} / {percentile(timed.latencies, 95):.0f} ms",
                "store, slots, intent, knowledge, reply",
            ),
            (
                "SQL queries per turn",
                f"{sum(timed.queries) / len(timed.queries):.1f} (max {max(timed.queries)})",
                "mean over turns; every statement but BEGIN/COMMIT",
            ),
            (
                "commits per turn",
                f"{sum(timed.commits) / len(timed.commits):.1f} (max {max(timed.commits)})",
                "COMMITs while a turn runs",
            ),
        ]
        self.stdout.write(f"{'measure':<24}  {'value':>16}  notes")
        for name, value, note in rows:
            self.stdout.write(f"{name:<24}  {value:>16}  {note}")

    @staticmethod
    def _converse(language: str, created: list[object], tally: _Tally | None = None) -> _Tally:
        """One whole card journey; its turns' latency, statements and commits."""
        tally = tally if tally is not None else _Tally()
        session, _ = session_start(scenario="credit_card", channel="web", language=language)
        created.append(session.pk)
        for item in SCRIPTS[language]:
            if item is UPLOAD:
                _upload_all(session.pk)
                continue
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                result = session_turn(session_id=session.pk, text=str(item))
                tally.latencies.append(1000 * (time.perf_counter() - started))
            statements = [q["sql"] for q in captured.captured_queries]
            tally.commits.append(sum(sql == "COMMIT" for sql in statements))
            tally.queries.append(sum(sql not in TRANSACTION_BOUNDS for sql in statements))
        tally.completed += result.status == DialogueSession.Status.COMPLETED
        return tally
