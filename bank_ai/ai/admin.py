from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from bank_ai.ai.models import (
    AnswerAudit,
    CuratedQuestion,
    IndexingRun,
    Intent,
    IntentExample,
    IntentModel,
    KnowledgeChunk,
    LLMCall,
)
from bank_ai.ai.tasks import indexing_run_enqueue, intent_training_enqueue


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by the AI core itself: staff read them, nobody edits them here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(KnowledgeChunk)
class KnowledgeChunkAdmin(ReadOnlyAdmin):
    list_display = [
        "title",
        "position",
        "language",
        "audience",
        "collection",
        "page_type",
        "corpus",
        "indexed_at",
    ]
    list_filter = ["corpus", "language", "audience", "collection", "page_type"]
    search_fields = ["title", "text"]
    exclude = ["embedding", "search_vector"]


@admin.register(CuratedQuestion)
class CuratedQuestionAdmin(ReadOnlyAdmin):
    list_display = ["question", "title", "language", "audience", "collection"]
    list_filter = ["language", "audience", "collection"]
    search_fields = ["question", "title"]
    exclude = ["embedding"]


@admin.register(IndexingRun)
class IndexingRunAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "status",
        "progress_percent",
        "pages_total",
        "pages_reindexed",
        "chunks_written",
        "chunks_removed",
        "reason",
        "finished_at",
    ]
    list_filter = ["status"]
    fields = ["reason"]

    @admin.display(description=_("progress"))
    def progress_percent(self, run: IndexingRun) -> str:
        return f"{run.progress:.0%}"

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: IndexingRun, form: object, change: bool
    ) -> None:
        # "Add" starts an incremental re-index in the task cluster; the row shows progress.
        run = indexing_run_enqueue(reason=obj.reason or f"admin: {request.user}")
        obj.pk = run.pk
        self.message_user(request, _("Re-indexing queued; refresh to follow its progress."))


class IntentExampleInline(admin.TabularInline):
    model = IntentExample
    extra = 3


@admin.register(Intent)
class IntentAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name_zh",
        "name_en",
        "scenario",
        "handoff",
        "is_active",
        "example_count",
    ]
    list_filter = ["scenario", "handoff", "is_active"]
    search_fields = ["code", "name_zh", "name_en", "examples__text"]
    inlines = [IntentExampleInline]
    actions = ["retrain"]

    @admin.display(description=_("examples"))
    def example_count(self, intent: Intent) -> int:
        return intent.examples.count()

    def save_related(
        self, request: HttpRequest, form: object, formsets: object, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        # Any edit to intents or examples retrains in the background.
        intent_training_enqueue(reason=f"{form.instance.code} edited by {request.user}")
        self.message_user(request, _("The intent classifier is being retrained."), messages.INFO)

    @admin.action(description=_("Retrain the intent classifier now"))
    def retrain(self, request: HttpRequest, queryset: QuerySet[Intent]) -> None:
        intent_training_enqueue(reason=f"requested by {request.user}")
        self.message_user(request, _("The intent classifier is being retrained."))


@admin.register(IntentModel)
class IntentModelAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "intents", "examples", "embedder", "train_seconds"]
    exclude = ["blob"]


@admin.register(LLMCall)
class LLMCallAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "provider",
        "model",
        "task",
        "outcome",
        "input_tokens",
        "output_tokens",
        "latency_ms",
    ]
    list_filter = ["provider", "task", "outcome"]
    date_hierarchy = "created_at"


@admin.register(AnswerAudit)
class AnswerAuditAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "channel",
        "touchpoint_id",
        "user",
        "answer_kind",
        "intent",
        "sentiment",
        "provider",
        "latency_ms",
        "injection_suspected",
    ]
    list_filter = ["channel", "answer_kind", "provider", "sentiment", "injection_suspected"]
    search_fields = ["masked_question", "masked_answer", "session_ref"]
    date_hierarchy = "created_at"
