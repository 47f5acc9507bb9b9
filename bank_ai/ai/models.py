"""Tables of the AI core: retrievable knowledge chunks, intents, LLM calls and the answer audit."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pgvector.django import HnswIndex, VectorField

EMBEDDING_DIM = 512  # the multilingual USE model (docs/embedding-choice.md)
KNOWLEDGE_CORPUS = "knowledge"


class KnowledgeChunk(models.Model):
    """One retrievable passage of a published knowledge page (or of an evaluation corpus)."""

    corpus = models.CharField(_("corpus"), max_length=64, default=KNOWLEDGE_CORPUS, db_index=True)
    page = models.ForeignKey(
        "wagtailcore.Page",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="knowledge_chunks",
    )
    # The revision that was live when this passage was indexed: citations link to it.
    revision = models.ForeignKey(
        "wagtailcore.Revision", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    external_id = models.CharField(_("external id"), max_length=120, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    language = models.CharField(_("language"), max_length=10)
    audience = models.CharField(_("audience"), max_length=12, default="public")
    collection = models.CharField(_("collection"), max_length=60, blank=True)
    page_type = models.CharField(_("page type"), max_length=30, blank=True)
    product_code = models.CharField(_("product"), max_length=40, blank=True)
    topics = models.JSONField(_("topics"), default=list, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    title = models.CharField(_("title"), max_length=255)
    url = models.CharField(_("URL"), max_length=500, blank=True)
    text = models.TextField(_("text"))
    # jieba-segmented text (Chinese words separated by spaces) for PostgreSQL full-text search.
    search_text = models.TextField(_("segmented text"))
    search_vector = SearchVectorField(null=True)
    # Number of tokens in search_text: BM25's document length.
    search_length = models.PositiveIntegerField(_("token count"), default=0)
    embedding = VectorField(dimensions=EMBEDDING_DIM)
    content_hash = models.CharField(_("content hash"), max_length=64)
    indexed_at = models.DateTimeField(_("indexed at"), default=timezone.now)

    class Meta:
        verbose_name = _("knowledge passage")
        verbose_name_plural = _("knowledge passages")
        ordering = ["corpus", "page_id", "position"]
        indexes = [
            HnswIndex(
                name="chunk_embedding_hnsw",
                fields=["embedding"],
                m=16,
                ef_construction=64,
                opclasses=["vector_cosine_ops"],
            ),
            GinIndex(fields=["search_vector"], name="chunk_search_gin"),
            models.Index(fields=["corpus", "language", "audience"], name="chunk_filter_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title} #{self.position}"


class IndexingRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    pages_total = models.PositiveIntegerField(_("pages to check"), default=0)
    pages_done = models.PositiveIntegerField(_("pages checked"), default=0)
    pages_reindexed = models.PositiveIntegerField(_("pages re-indexed"), default=0)
    chunks_written = models.PositiveIntegerField(_("passages written"), default=0)
    chunks_removed = models.PositiveIntegerField(_("passages removed"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("indexing run")
        verbose_name_plural = _("indexing runs")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.status}"

    @property
    def progress(self) -> float:
        return 1.0 if not self.pages_total else self.pages_done / self.pages_total


class Intent(models.Model):
    code = models.SlugField(_("code"), max_length=60, unique=True)
    scenario = models.CharField(_("scenario"), max_length=30, default="general")
    name_zh = models.CharField(_("name (Chinese)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    # Recognising this intent hands the conversation to a person (e.g. "I want an agent").
    handoff = models.BooleanField(_("hands over to a human"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("intent")
        verbose_name_plural = _("intents")

    def __str__(self) -> str:
        return self.code


class IntentExample(models.Model):
    intent = models.ForeignKey(Intent, on_delete=models.CASCADE, related_name="examples")
    text = models.CharField(_("utterance"), max_length=500)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")

    class Meta:
        ordering = ["intent", "id"]
        verbose_name = _("intent example")
        verbose_name_plural = _("intent examples")
        constraints = [
            models.UniqueConstraint(fields=["intent", "text"], name="uniq_intent_example"),
        ]

    def __str__(self) -> str:
        return self.text


class IntentModel(models.Model):
    """A trained classifier; the newest successful one serves."""

    created_at = models.DateTimeField(_("trained at"), default=timezone.now)
    examples = models.PositiveIntegerField(_("training examples"))
    intents = models.PositiveIntegerField(_("intents"))
    embedder = models.CharField(_("embedding model"), max_length=200)
    train_seconds = models.FloatField(_("training seconds"))
    holdout_accuracy = models.FloatField(_("hold-out accuracy"), null=True, blank=True)
    blob = models.BinaryField(_("model"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("intent model")
        verbose_name_plural = _("intent models")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} ({self.intents} intents)"


class LLMCall(models.Model):
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    provider = models.CharField(_("provider"), max_length=30)
    model = models.CharField(_("model"), max_length=80)
    task = models.CharField(_("task"), max_length=20)
    outcome = models.CharField(_("outcome"), max_length=20, default="ok")
    input_tokens = models.PositiveIntegerField(_("input tokens"), default=0)
    output_tokens = models.PositiveIntegerField(_("output tokens"), default=0)
    latency_ms = models.PositiveIntegerField(_("latency (ms)"), default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("LLM call")
        verbose_name_plural = _("LLM calls")

    def __str__(self) -> str:
        return f"{self.provider}/{self.model} {self.task} {self.latency_ms} ms"


class AnswerAudit(models.Model):
    """Append-only record of every AI answer (a database trigger refuses UPDATE and DELETE)."""

    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    channel = models.CharField(_("channel"), max_length=20)
    # The touchpoint (device) the question came from, as an opaque id: the AI core names no
    # app's models (docs/architecture.md, step 3). The column kept its name from when this was
    # a foreign key.
    touchpoint_id = models.BigIntegerField(
        _("touchpoint"), null=True, blank=True, db_index=True, db_column="device_id"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    session_ref = models.CharField(_("session"), max_length=64, blank=True)
    language = models.CharField(_("language"), max_length=10)
    masked_question = models.TextField(_("question (masked)"))
    masked_answer = models.TextField(_("answer (masked)"))
    answer_kind = models.CharField(_("answer kind"), max_length=20)
    intent = models.CharField(_("intent"), max_length=60, blank=True)
    intent_confidence = models.FloatField(_("intent confidence"), null=True, blank=True)
    sentiment = models.CharField(_("sentiment"), max_length=10, blank=True)
    sources = models.JSONField(_("sources"), default=list)
    provider = models.CharField(_("provider"), max_length=30)
    model = models.CharField(_("model"), max_length=80, blank=True)
    latency_ms = models.PositiveIntegerField(_("latency (ms)"))
    guard_decisions = models.JSONField(_("guard decisions"), default=list)
    injection_suspected = models.BooleanField(_("prompt injection suspected"), default=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("answer audit record")
        verbose_name_plural = _("answer audit records")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.channel} {self.answer_kind}"


class CuratedQuestion(models.Model):
    """A question variant of a published FAQ: a match returns the editor's answer verbatim."""

    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")
    revision = models.ForeignKey(
        "wagtailcore.Revision", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    language = models.CharField(_("language"), max_length=10)
    audience = models.CharField(_("audience"), max_length=12, default="public")
    collection = models.CharField(_("collection"), max_length=60, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    question = models.CharField(_("question"), max_length=300)
    answer = models.TextField(_("answer"))
    title = models.CharField(_("title"), max_length=255)
    url = models.CharField(_("URL"), max_length=500, blank=True)
    embedding = VectorField(dimensions=EMBEDDING_DIM)

    class Meta:
        verbose_name = _("curated question")
        verbose_name_plural = _("curated questions")
        indexes = [
            HnswIndex(
                name="curated_embedding_hnsw",
                fields=["embedding"],
                m=16,
                ef_construction=64,
                opclasses=["vector_cosine_ops"],
            ),
        ]

    def __str__(self) -> str:
        return self.question
