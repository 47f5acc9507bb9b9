from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bank_ai.ai.answer_eval import AnswerScore, score_answer
from bank_ai.ai.engine import AskContext, _filters, passages_by_page, retrieval_query
from bank_ai.ai.evaluation import read_csv_rows
from bank_ai.ai.intents import NoIntentModel, classify_intent
from bank_ai.ai.llm import GenerationRequest, LocalProvider, normalise_language
from bank_ai.ai.models import KNOWLEDGE_CORPUS, KnowledgeChunk
from bank_ai.ai.runtime import get_retriever

DEFAULT_SET = Path(__file__).resolve().parents[2] / "eval_data" / "answer_facts.csv"


class Command(BaseCommand):
    help = (
        "Answer held-out questions (language,question,facts,ordered) with the offline engine "
        "over the live knowledge index, without auditing them, and report fact recall, steps "
        "in order, repeated sentences, sources cited more than once and answer language."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--questions", type=Path, default=DEFAULT_SET)
        parser.add_argument("--show", action="store_true", help="print every answer")

    def handle(self, *args: object, questions: Path, show: bool, **options: object) -> None:
        try:
            rows = read_csv_rows(questions, ["language", "question", "facts", "ordered"])
        except (ValueError, UnicodeDecodeError) as exc:
            raise CommandError(str(exc)) from exc
        if not KnowledgeChunk.objects.filter(corpus=KNOWLEDGE_CORPUS).exists():
            raise CommandError("the knowledge index is empty: run seed_demo or reindex_knowledge")
        provider = LocalProvider()
        results: list[tuple[str, AnswerScore]] = []
        started = time.perf_counter()
        for row in rows:
            language = normalise_language(row["language"])
            facts = [f.strip() for f in row["facts"].split(";") if f.strip()]
            if not facts:
                raise CommandError(f"no facts for {row['question']!r}")
            text = self._answer(provider, row["question"], language)
            score = score_answer(
                text, facts, ordered=row["ordered"].strip() == "1", language=language
            )
            results.append((language, score))
            if show:
                self.stdout.write(f"--- {row['question']}  recall={score.recall:.2f}\n{text}")
        seconds = time.perf_counter() - started
        self.stdout.write(
            "| set | n | fact recall | all facts | steps in order | answers with a repeated "
            "sentence | answers citing a source twice | right language |"
        )
        self.stdout.write("|---|---|---|---|---|---|---|---|")
        for name in ("zh-hans", "en", "all"):
            subset = [s for lang, s in results if name in ("all", lang)]
            if subset:
                self.stdout.write(_row(name, subset))
        self.stdout.write(f"{len(results)} questions, {1000 * seconds / len(results):.0f} ms each")

    @staticmethod
    def _answer(provider: LocalProvider, question: str, language: str) -> str:
        try:
            intent = classify_intent(question)
        except NoIntentModel:
            intent = None
        context = AskContext(language=language, channel="eval")
        query = retrieval_query(question, intent, language)
        passages = get_retriever().search(query, filters=_filters(context, language), k=4)
        request = GenerationRequest(
            task="answer",
            language=language,
            question=question,
            passages=tuple(p for p, _ in passages_by_page(passages)),
            focus=query[len(question) :].strip(),
        )
        return provider.compose(request)


def _row(name: str, scores: list[AnswerScore]) -> str:
    n = len(scores)
    asked_order = [s for s in scores if s.ordered]
    facts = sum(s.facts for s in scores)
    found = sum(s.found for s in scores)
    return (
        f"| {name} | {n} | {found / facts:.3f} ({found}/{facts}) "
        f"| {sum(s.found == s.facts for s in scores)}/{n} "
        f"| {sum(s.in_order is True for s in asked_order)}/{len(asked_order)} "
        f"| {sum(s.repeated_sentences > 0 for s in scores)}/{n} "
        f"| {sum(s.sources_cited_more_than_once > 0 for s in scores)}/{n} "
        f"| {sum(s.right_language for s in scores)}/{n} |"
    )
