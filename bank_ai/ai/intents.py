"""Intent recognition: training from the admin-edited examples and classifying customer turns."""

from __future__ import annotations

import csv
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from bank_ai.ai.models import Intent, IntentExample, IntentModel
from bank_ai.ai.runtime import get_embedder
from bank_ai.ai.text import detect_language


@dataclass(frozen=True)
class IntentResult:
    intent: str | None
    confidence: float
    top: tuple[tuple[str, float], ...]
    # Below the clarify threshold the engine asks which of the top intents was meant.
    needs_clarification: bool
    out_of_scope: bool
    handoff: bool = False


class NoIntentModel(RuntimeError):
    """No classifier has been trained yet (run train_intents or add intents in the admin)."""


def read_labelled_csv(path: Path) -> list[tuple[str, str]]:
    """(text, label) rows from a CSV with columns text,category or text,label."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = set(reader.fieldnames or ())
        label_field = "category" if "category" in fields else "label" if "label" in fields else None
        if "text" not in fields or label_field is None:
            raise ValueError(
                f"{path}: expected columns text,category or text,label; got {sorted(fields)}"
            )
        rows = []
        for line, row in enumerate(reader, start=2):
            text, label = (row.get("text") or "").strip(), (row.get(label_field) or "").strip()
            if not text or not label:
                raise ValueError(f"{path}:{line}: empty text or label")
            rows.append((text, label))
    if not rows:
        raise ValueError(f"{path}: no rows")
    return rows


@transaction.atomic
def intents_import(rows: list[tuple[str, str]]) -> tuple[int, int]:
    """Create missing intents and examples; returns (intents created, examples created)."""
    new_intents = 0
    new_examples = 0
    for text, label in rows:
        code = label.strip().lower().replace(" ", "_")[:60]
        intent, created = Intent.objects.get_or_create(
            code=code, defaults={"name_zh": label[:80], "name_en": label[:80]}
        )
        new_intents += int(created)
        _example, created = IntentExample.objects.get_or_create(
            intent=intent, text=text[:500], defaults={"language": detect_language(text)}
        )
        new_examples += int(created)
    return new_intents, new_examples


def intent_model_train() -> IntentModel:
    from bank_ai.ai.intent_model import IntentClassifier

    examples = list(
        IntentExample.objects.filter(intent__is_active=True).values_list("text", "intent__code")
    )
    if len({label for _text, label in examples}) < 2:
        raise ValueError("at least two active intents with examples are needed to train")
    embedder = get_embedder()
    started = time.perf_counter()
    classifier = IntentClassifier.fit(
        [t for t, _ in examples], [lbl for _, lbl in examples], embedder=embedder
    )
    elapsed = time.perf_counter() - started
    model = IntentModel.objects.create(
        examples=len(examples),
        intents=len({label for _t, label in examples}),
        embedder=getattr(embedder, "name", type(embedder).__name__),
        train_seconds=elapsed,
        blob=classifier.to_bytes(),
    )
    _cache.clear()
    return model


class _ModelCache:
    """The newest trained model, reloaded when a newer one appears (checked every few seconds),
    and the intents' names and handoff flags read in the same check: a turn needs the name of
    the recognised intent and must not pay a query for it."""

    CHECK_EVERY_SECONDS = 5.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._model_id: int | None = None
        self._classifier = None
        self._handoff: frozenset[str] = frozenset()
        self._names: dict[str, tuple[str, str]] = {}
        self._checked_at = 0.0

    def clear(self) -> None:
        with self._lock:
            self._model_id, self._classifier, self._checked_at = None, None, 0.0

    def recheck(self) -> None:
        """Read the intents again on next use (an editor changed one); the model stays loaded
        unless a newer one was trained."""
        with self._lock:
            self._checked_at = 0.0

    def get(self):  # noqa: ANN201 - (IntentClassifier, handoff codes)
        from bank_ai.ai.intent_model import IntentClassifier

        now = time.monotonic()
        with self._lock:
            if self._classifier is not None and now - self._checked_at < self.CHECK_EVERY_SECONDS:
                return self._classifier, self._handoff
            newest = IntentModel.objects.only("id").first()
            if newest is None:
                raise NoIntentModel("no intent model has been trained")
            if newest.id != self._model_id:
                blob = IntentModel.objects.values_list("blob", flat=True).get(pk=newest.id)
                self._classifier = IntentClassifier.from_bytes(bytes(blob), embedder=get_embedder())
                self._model_id = newest.id
            rows = Intent.objects.values_list("code", "handoff", "name_zh", "name_en")
            self._handoff = frozenset(code for code, handoff, _zh, _en in rows if handoff)
            self._names = {code: (zh, en) for code, _handoff, zh, en in rows}
            self._checked_at = now
            return self._classifier, self._handoff

    def names(self) -> dict[str, tuple[str, str]]:
        if (
            self._classifier is None
            or time.monotonic() - self._checked_at >= self.CHECK_EVERY_SECONDS
        ):
            self.get()
        return self._names


_cache = _ModelCache()


def intent_names(codes: Sequence[str], language: str) -> dict[str, str]:
    """Display names of these intent codes in `language` (zh-hans or en), from the process's
    copy (re-read with the model check, and at once after an intent is saved here).
    Unknown codes are left out."""
    try:
        names = _cache.names()
    except NoIntentModel:
        names = {
            code: (zh, en)
            for code, zh, en in Intent.objects.filter(code__in=codes).values_list(
                "code", "name_zh", "name_en"
            )
        }
    column = 0 if language == "zh-hans" else 1
    return {code: names[code][column] for code in codes if code in names}


def forget_intent_names() -> None:
    """Read the intents' names and handoff flags again on the next turn."""
    _cache.recheck()


@receiver([post_save, post_delete], sender=Intent)
def _intent_changed(**_kwargs: object) -> None:
    forget_intent_names()


def classify_intent(text: str) -> IntentResult:
    classifier, handoff_codes = _cache.get()
    prediction = classifier.predict([text])[0]
    confidence = float(prediction.confidence)
    top = tuple((label, float(score)) for label, score in prediction.top)
    out_of_scope = confidence < settings.INTENT_OUT_OF_SCOPE_BELOW
    return IntentResult(
        intent=None if out_of_scope else prediction.label,
        confidence=confidence,
        top=top,
        needs_clarification=not out_of_scope and confidence < settings.INTENT_CLARIFY_BELOW,
        out_of_scope=out_of_scope,
        handoff=not out_of_scope and prediction.label in handoff_codes,
    )
