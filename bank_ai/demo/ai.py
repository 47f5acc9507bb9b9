"""The AI core's demo state: the bank's intents (trained) and the knowledge index."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import transaction

from bank_ai.ai.indexing import reindex_knowledge
from bank_ai.ai.intents import intent_model_train
from bank_ai.ai.models import IndexingRun, Intent, IntentExample, IntentModel

INTENTS_FILE = Path(settings.BASE_DIR) / "bank_ai" / "ai" / "demo_data" / "intents.json"


@transaction.atomic
def _load_intents() -> int:
    created = 0
    for record in json.loads(INTENTS_FILE.read_text(encoding="utf-8")):
        intent, _ = Intent.objects.get_or_create(
            code=record["code"],
            defaults={
                "scenario": record["scenario"],
                "handoff": record["handoff"],
                "name_zh": record["name"]["zh-hans"],
                "name_en": record["name"]["en"],
                "description": record["description"]["en"],
            },
        )
        for language, examples in record["examples"].items():
            for text in examples:
                _, new = IntentExample.objects.get_or_create(
                    intent=intent, text=text, defaults={"language": language}
                )
                created += int(new)
    return created


def seed(log: Callable[[str], None]) -> dict[str, int]:
    new_examples = _load_intents()
    if new_examples or not IntentModel.objects.exists():
        model = intent_model_train()
        log(
            f"intent model: {model.intents} intents, {model.examples} examples, "
            f"trained in {model.train_seconds:.1f} s"
        )
    run = reindex_knowledge(IndexingRun.objects.create(reason="seed_demo"))
    log(
        f"knowledge index: {run.pages_done} pages, {run.pages_reindexed} (re)indexed, "
        f"{run.chunks_written} passages written"
    )
    return {"intents": Intent.objects.count(), "indexed_pages": run.pages_done}
