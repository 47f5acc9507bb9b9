"""The avatar video studio's models: topic pool, templates, scripts, styles, review, render
batches and publishing (seed scenario 5).

Actions that change these rows live in `content.studio.services` (and `topics`, `scripts`,
`publishing`); reads in `content.studio.selectors`.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

LANGUAGES = (("zh-hans", "简体中文"), ("en", "English"))


class FeedSource(models.Model):
    """A news or industry feed (RSS 2.0 or Atom) the topic pool is filled from."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    # http(s) URL, file:// URL or a path relative to the checkout (the demo's local feeds).
    url = models.CharField(_("feed URL"), max_length=500)
    language = models.CharField(_("language"), max_length=10, choices=LANGUAGES, default="zh-hans")
    is_active = models.BooleanField(_("active"), default=True)
    last_fetched_at = models.DateTimeField(_("last fetched"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    last_new_topics = models.PositiveIntegerField(_("new topics last time"), default=0)

    class Meta:
        ordering = ["name"]
        verbose_name = _("topic feed")
        verbose_name_plural = _("topic feeds")

    def __str__(self) -> str:
        return self.name


class Topic(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ARCHIVED = "archived", _("Archived")

    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary"), blank=True)
    language = models.CharField(_("language"), max_length=10, choices=LANGUAGES)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    first_seen_at = models.DateTimeField(_("first seen"), default=timezone.now)
    # When the newest of its sources was published (recency is scored from it).
    latest_at = models.DateTimeField(_("latest source"), default=timezone.now)
    # Unit-length embedding of title + summary (the AI core's embedder); dedupe compares these.
    embedding = models.JSONField(_("embedding"), default=list, blank=True, editable=False)
    embedder = models.CharField(_("embedder"), max_length=120, blank=True, editable=False)
    recency_score = models.FloatField(_("recency"), default=0.0)
    relevance_score = models.FloatField(_("relevance to the bank"), default=0.0)
    demand_score = models.FloatField(_("customer demand"), default=0.0)
    score = models.FloatField(_("score"), default=0.0, db_index=True)
    scored_at = models.DateTimeField(_("scored at"), null=True, blank=True)

    class Meta:
        ordering = ["-score", "-latest_at"]
        verbose_name = _("topic")
        verbose_name_plural = _("topic pool")

    def __str__(self) -> str:
        return self.title


class TopicSource(models.Model):
    """Where a topic was seen: a feed entry, a knowledge page or customers' questions."""

    class Kind(models.TextChoices):
        FEED = "feed", _("News / industry feed")
        KNOWLEDGE = "knowledge", _("Bank knowledge")
        DEMAND = "demand", _("Customer questions")

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="sources")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # Feed entry id / link, "page:<id>" or "question:<normalised question>": one row per item.
    ref = models.CharField(_("reference"), max_length=500, unique=True)
    name = models.CharField(_("source"), max_length=200)
    title = models.CharField(_("title"), max_length=300)
    url = models.CharField(_("link"), max_length=500, blank=True)
    feed = models.ForeignKey(
        FeedSource, on_delete=models.SET_NULL, null=True, blank=True, related_name="items"
    )
    page = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Questions asked (hits) or left unanswered, for demand sources.
    hits = models.PositiveIntegerField(_("questions"), default=0)
    published_at = models.DateTimeField(_("published"), default=timezone.now)
    # Cosine similarity to the topic it was merged into (1.0 for the topic's first source).
    similarity = models.FloatField(_("similarity"), default=1.0)

    class Meta:
        ordering = ["-published_at"]
        verbose_name = _("topic source")
        verbose_name_plural = _("topic sources")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"


class ScriptTemplate(models.Model):
    """How a kind of video is built: its sections, length and the guard rules that apply."""

    class Kind(models.TextChoices):
        CARD_PROMOTION = "card_promotion", _("Credit-card promotion")
        ANTI_FRAUD = "anti_fraud", _("Anti-fraud alert")
        PRODUCT = "product", _("Product introduction")
        CAMPAIGN = "campaign", _("Campaign")
        PERSONAL = "personal", _("Wealth-manager personal greeting")

    key = models.SlugField(_("key"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    # [{"key": "hook", "heading": {"zh-hans": ..., "en": ...}, "share": 0.2, "pose": "wave",
    #   "lead": {"zh-hans": ..., "en": ...}}, ...]: the outline; shares split the target length.
    sections = models.JSONField(_("sections"), default=list)
    default_seconds = models.PositiveSmallIntegerField(_("default length (s)"), default=60)
    default_tone = models.CharField(_("tone"), max_length=30, default="friendly")
    # Wealth topics carry the regulator's risk disclosure on screen and in the copy.
    requires_risk_disclosure = models.BooleanField(_("risk disclosure"), default=False)
    anti_fraud_rules = models.BooleanField(_("anti-fraud wording rules"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("script template")
        verbose_name_plural = _("script templates")

    def __str__(self) -> str:
        return f"{self.name_zh} / {self.name_en}"

    def name(self, language: str) -> str:
        return self.name_zh if language.startswith("zh") else self.name_en

    def clean(self) -> None:
        if not isinstance(self.sections, list) or not self.sections:
            raise ValidationError({"sections": _("Give at least one section.")})
        for section in self.sections:
            if not isinstance(section, dict) or not section.get("key"):
                raise ValidationError({"sections": _("Every section needs a key.")})
            heading = section.get("heading")
            languages = [code for code, _name in LANGUAGES]
            if not isinstance(heading, dict) or not all(heading.get(c) for c in languages):
                raise ValidationError(
                    {"sections": _("Every section needs a heading in Chinese and English.")}
                )


class StyleEntry(models.Model):
    """One entry of the avatar style catalogue: a renderer key with labels and where it fits."""

    class Kind(models.TextChoices):
        OUTFIT = "outfits", _("Outfit")
        BACKGROUND = "backgrounds", _("Background")
        PROP = "props", _("Prop")
        POSE = "poses", _("Pose")
        TONE = "tones", _("Tone")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    key = models.CharField(
        _("renderer key"), max_length=40, help_text=_("A key the renderer knows.")
    )
    label_zh = models.CharField(_("label (Chinese)"), max_length=80)
    label_en = models.CharField(_("label (English)"), max_length=80)
    templates = models.ManyToManyField(
        ScriptTemplate, blank=True, related_name="styles", verbose_name=_("suits templates")
    )
    # Words of a topic that make this entry fit (zh or en), e.g. "理财 wealth fund".
    topic_keywords = models.CharField(_("topic keywords"), max_length=300, blank=True)
    tones = models.JSONField(_("suits tones"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "key"]
        verbose_name = _("avatar style")
        verbose_name_plural = _("avatar style catalogue")
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="uniq_style_kind_key"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.label_zh} / {self.label_en}"

    def label(self, language: str) -> str:
        return self.label_zh if language.startswith("zh") else self.label_en

    def clean(self) -> None:
        from content.studio.styles import renderer_styles

        known = renderer_styles().get(self.kind, [])
        if self.key not in known:
            raise ValidationError(
                {
                    "key": _("The renderer has no %(kind)s key %(key)r (it knows: %(known)s).")
                    % {"kind": self.kind, "key": self.key, "known": ", ".join(known)}
                }
            )
        if not isinstance(self.tones, list):
            raise ValidationError({"tones": _("A list of tone keys.")})


class VideoScript(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted for review")
        SENT_BACK = "sent_back", _("Sent back")
        APPROVED = "approved", _("Approved")

    title = models.CharField(_("title"), max_length=200)
    topic = models.ForeignKey(
        Topic, on_delete=models.SET_NULL, null=True, blank=True, related_name="scripts"
    )
    template = models.ForeignKey(ScriptTemplate, on_delete=models.PROTECT, related_name="scripts")
    language = models.CharField(_("language"), max_length=10, choices=LANGUAGES)
    target_seconds = models.PositiveSmallIntegerField(_("target length (s)"), default=60)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    # The avatar style chosen for it: {"outfit", "background", "props": [...], "tone"}.
    style = models.JSONField(_("avatar style"), default=dict, blank=True)
    aspect = models.CharField(
        _("aspect"), max_length=5, choices=(("16:9", "16:9"), ("9:16", "9:16")), default="16:9"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # The version that was approved: only it renders for publishing.
    approved_version = models.ForeignKey(
        "ScriptVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("video script")
        verbose_name_plural = _("video scripts")
        permissions = [("review_videoscript", _("Can approve or send back video scripts"))]

    def __str__(self) -> str:
        return self.title

    @property
    def current(self) -> ScriptVersion | None:
        return self.versions.order_by("-number").first()


class ScriptVersion(models.Model):
    """One immutable state of a script: a new one per generation, edit, shorten or expand."""

    class Origin(models.TextChoices):
        GENERATED = "generated", _("Generated")
        EDITED = "edited", _("Edited")
        SHORTENED = "shortened", _("Shortened")
        EXPANDED = "expanded", _("Expanded")

    script = models.ForeignKey(VideoScript, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    origin = models.CharField(_("origin"), max_length=10, choices=Origin.choices)
    # ["hook: ...", ...] section headings with one line each.
    outline = models.JSONField(_("outline"), default=list)
    # [{"narration", "on_screen_text", "visual", "avatar_pose", "section"}]
    scenes = models.JSONField(_("storyboard"), default=list)
    copy = models.TextField(_("copy"), blank=True)
    # [{"n", "title", "url", "page_id", "revision_id", "snippet"}]
    citations = models.JSONField(_("citations"), default=list, blank=True)
    target_seconds = models.PositiveSmallIntegerField(_("target length (s)"))
    estimated_seconds = models.FloatField(_("estimated length (s)"), default=0.0)
    disclosure = models.CharField(_("risk disclosure"), max_length=300, blank=True)
    guard_decisions = models.JSONField(_("guard decisions"), default=list, blank=True)
    provider = models.CharField(_("written by"), max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["script", "-number"]
        verbose_name = _("script version")
        verbose_name_plural = _("script versions")
        constraints = [
            models.UniqueConstraint(fields=["script", "number"], name="uniq_script_version"),
        ]

    def __str__(self) -> str:
        return f"{self.script} v{self.number}"


class ReviewEvent(models.Model):
    """Append-only audit of a script's review: submissions, approvals, send-backs.

    A database trigger (migration) refuses UPDATE, DELETE and TRUNCATE.
    """

    class Action(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        SENT_BACK = "sent_back", _("Sent back")

    script = models.ForeignKey(VideoScript, on_delete=models.DO_NOTHING, related_name="reviews")
    version = models.ForeignKey(ScriptVersion, on_delete=models.DO_NOTHING, related_name="+")
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, related_name="+"
    )
    actor_name = models.CharField(_("by"), max_length=150)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("script review")
        verbose_name_plural = _("script review audit")

    def __str__(self) -> str:
        return f"{self.script} {self.action} by {self.actor_name}"


class WealthManager(models.Model):
    """A wealth manager's details for personalised videos."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="wealth_manager",
    )
    name = models.CharField(_("name"), max_length=80)
    title = models.CharField(_("title"), max_length=80, blank=True)
    contact = models.CharField(_("contact"), max_length=120, blank=True)
    qr_payload = models.CharField(_("QR code content"), max_length=300, blank=True)
    photo = models.ImageField(_("photo"), upload_to="studio/managers/", blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("wealth manager")
        verbose_name_plural = _("wealth managers")

    def __str__(self) -> str:
        return self.name


class RenderBatch(models.Model):
    class Kind(models.TextChoices):
        SCRIPTS = "scripts", _("Several scripts")
        PERSONALISED = "personalised", _("One script for several wealth managers")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("render batch")
        verbose_name_plural = _("render batches")

    def __str__(self) -> str:
        return self.name


class RenderItem(models.Model):
    """One video to render: an approved script version, optionally personalised."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Rendering")
        RETRYING = "retrying", _("Waiting to retry")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    batch = models.ForeignKey(RenderBatch, on_delete=models.CASCADE, related_name="items")
    script = models.ForeignKey(VideoScript, on_delete=models.PROTECT, related_name="renders")
    version = models.ForeignKey(ScriptVersion, on_delete=models.PROTECT, related_name="renders")
    manager = models.ForeignKey(
        WealthManager, on_delete=models.PROTECT, null=True, blank=True, related_name="renders"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    progress = models.FloatField(_("progress"), default=0.0)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("max attempts"), default=3)
    last_error = models.TextField(_("last error"), blank=True)
    # Paths relative to MEDIA_ROOT.
    video = models.CharField(_("video"), max_length=300, blank=True)
    thumbnail = models.CharField(_("thumbnail"), max_length=300, blank=True)
    subtitles = models.CharField(_("subtitles"), max_length=300, blank=True)
    duration = models.FloatField(_("duration (s)"), default=0.0)
    render_seconds = models.FloatField(_("render time (s)"), default=0.0)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["batch", "id"]
        verbose_name = _("rendered video")
        verbose_name_plural = _("rendered videos")

    def __str__(self) -> str:
        who = f" · {self.manager}" if self.manager_id else ""
        return f"{self.script}{who}"

    @property
    def video_url(self) -> str:
        return f"{settings.MEDIA_URL}{self.video}" if self.video else ""


class PublishTarget(models.Model):
    """Where rendered videos go: a publisher from the registry plus its configuration."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    publisher = models.CharField(
        _("publisher"), max_length=40, help_text=_("A publisher of content.studio.publishing.")
    )
    # Per publisher: hall screens {"playlist": id}; webhook {"url", "secret_env"}; short-video
    # platform {"base_url", "client_id", "client_secret_env"} (secrets come from the
    # environment, never from the database).
    config = models.JSONField(_("configuration"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("publish target")
        verbose_name_plural = _("publish targets")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from content.studio.publishing import publisher_names

        if self.publisher not in publisher_names():
            raise ValidationError(
                {
                    "publisher": _("Unknown publisher %(name)r (known: %(known)s).")
                    % {"name": self.publisher, "known": ", ".join(sorted(publisher_names()))}
                }
            )


class Publication(models.Model):
    """One rendered video on one target, with its outcome after all attempts."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PUBLISHED = "published", _("Published")
        FAILED = "failed", _("Failed")

    item = models.ForeignKey(RenderItem, on_delete=models.PROTECT, related_name="publications")
    target = models.ForeignKey(PublishTarget, on_delete=models.PROTECT, related_name="publications")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    external_id = models.CharField(_("id at the target"), max_length=200, blank=True)
    external_url = models.CharField(_("URL at the target"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("publication")
        verbose_name_plural = _("publications")

    def __str__(self) -> str:
        return f"{self.item} → {self.target}"


class PublishAttempt(models.Model):
    """Every try to publish, successful or not (append-only by convention: never edited)."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField(_("attempt"))
    ok = models.BooleanField(_("succeeded"))
    error_code = models.CharField(_("error code"), max_length=80, blank=True)
    message = models.TextField(_("message"), blank=True)
    external_id = models.CharField(_("id at the target"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["publication", "number"]
        verbose_name = _("publish attempt")
        verbose_name_plural = _("publish attempts")

    def __str__(self) -> str:
        return f"{self.publication} #{self.number}"
