from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bank_ai.ai.engine import Answer, AnswerDelta, AskContext, stream_answer


class Command(BaseCommand):
    help = "Ask the AI core a question the way a customer channel would, streaming the answer."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("question")
        parser.add_argument("--language", default="zh-hans", choices=["zh-hans", "en"])
        parser.add_argument(
            "--audience",
            action="append",
            default=None,
            help="public (default), internal, restricted; may repeat",
        )

    def handle(
        self,
        *args: object,
        question: str,
        language: str,
        audience: list[str] | None,
        **options: object,
    ) -> None:
        if not question.strip():
            raise CommandError("the question is empty")
        context = AskContext(
            language=language, channel="cli", audiences=tuple(audience or ["public"])
        )
        for event in stream_answer(question, context):
            if isinstance(event, AnswerDelta):
                self.stdout.write(event.text, ending="")
                self.stdout.flush()
            elif isinstance(event, Answer):
                self.stdout.write("")
                self.stdout.write(
                    f"\n[{event.kind}] intent={event.intent} "
                    f"({event.intent_confidence or 0:.2f}) sentiment="
                    f"{event.sentiment} provider={event.provider} "
                    f"{event.latency_ms} ms"
                )
                self.stdout.write(f"final: {event.text}")
                for source in event.sources:
                    self.stdout.write(f"  [{source['n']}] {source['title']} {source['url']}")
                if event.related_questions:
                    self.stdout.write("related: " + " | ".join(event.related_questions))
