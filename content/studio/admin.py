"""The studio in the Django admin: topic pool, templates, style catalogue, scripts (the
producer's page and compliance review), render batches with progress, publishing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from bank_ai.admin_inlines import RecordInline
from content.models import (
    FeedSource,
    Publication,
    PublishAttempt,
    PublishTarget,
    RenderBatch,
    RenderItem,
    ReviewEvent,
    ScriptTemplate,
    ScriptVersion,
    StyleEntry,
    Topic,
    TopicSource,
    VideoScript,
    WealthManager,
)
from content.studio import publishing, services, topics
from content.studio.scripts import TARGET_CHOICES, ScriptInvalid
from content.studio.selectors import batch_progress


@admin.register(FeedSource)
class FeedSourceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "url",
        "language",
        "is_active",
        "last_fetched_at",
        "last_new_topics",
        "last_error",
    ]
    list_filter = ["is_active", "language"]
    actions = ["fetch_now"]

    @admin.action(description=_("Fetch the selected feeds now"))
    def fetch_now(self, request: HttpRequest, queryset: QuerySet[FeedSource]) -> None:
        for feed in queryset:
            created = topics.feed_fetch(feed=feed)
            feed.refresh_from_db()
            if feed.last_error:
                self.message_user(request, f"{feed}: {feed.last_error}", messages.ERROR)
            else:
                self.message_user(
                    request, _("%(feed)s: %(n)d new topics") % {"feed": feed, "n": created}
                )
        topics.topics_rescore()


class TopicSourceInline(RecordInline):
    model = TopicSource
    fields = ["kind", "name", "title", "link", "hits", "published_at", "similarity"]

    @admin.display(description=_("link"))
    def link(self, source: TopicSource) -> str:
        return (
            format_html('<a href="{}" rel="noopener">{}</a>', source.url, source.url)
            if (source.url)
            else "—"
        )


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "score",
        "recency_score",
        "relevance_score",
        "demand_score",
        "language",
        "source_list",
        "script_action",
    ]
    list_filter = ["status", "language", "sources__kind"]
    search_fields = ["title", "summary"]
    ordering = ["-score", "-latest_at"]
    readonly_fields = [
        "recency_score",
        "relevance_score",
        "demand_score",
        "score",
        "scored_at",
        "first_seen_at",
        "latest_at",
    ]
    fields = ["title", "summary", "language", "status", *readonly_fields]
    inlines = [TopicSourceInline]
    actions = ["refresh_pool", "archive"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Topic]:
        return super().get_queryset(request).prefetch_related("sources").distinct()

    @admin.display(description=_("sources"))
    def source_list(self, topic: Topic) -> str:
        return format_html_join(
            "",
            '<div class="topic-source">{}: {}</div>',
            ((s.get_kind_display(), s.name) for s in topic.sources.all()),
        )

    @admin.display(description=_("script"))
    def script_action(self, topic: Topic) -> str:
        url = reverse("admin:content_videoscript_generate") + f"?topic={topic.pk}"
        return format_html(
            '<a class="button generate-script" href="{}">{}</a>', url, _("Write a script")
        )

    @admin.action(description=_("Refresh the pool (feeds, knowledge, questions) and re-score"))
    def refresh_pool(self, request: HttpRequest, queryset: QuerySet[Topic]) -> None:
        counts = topics.topics_refresh()
        self.message_user(request, _("Pool refreshed: %(counts)s") % {"counts": counts})

    @admin.action(description=_("Archive the selected topics"))
    def archive(self, request: HttpRequest, queryset: QuerySet[Topic]) -> None:
        queryset.update(status=Topic.Status.ARCHIVED)


@admin.register(ScriptTemplate)
class ScriptTemplateAdmin(admin.ModelAdmin):
    list_display = [
        "key",
        "name_zh",
        "name_en",
        "kind",
        "default_seconds",
        "requires_risk_disclosure",
        "anti_fraud_rules",
        "is_active",
    ]


@admin.register(StyleEntry)
class StyleEntryAdmin(admin.ModelAdmin):
    list_display = ["kind", "key", "label_zh", "label_en", "topic_keywords", "is_active"]
    list_filter = ["kind", "is_active"]
    filter_horizontal = ["templates"]


@admin.register(WealthManager)
class WealthManagerAdmin(admin.ModelAdmin):
    list_display = ["name", "title", "contact", "is_active"]


# --------------------------------------------------------------------------- scripts


class GenerateForm(forms.Form):
    topic = forms.ModelChoiceField(
        Topic.objects.filter(status=Topic.Status.OPEN).order_by("-score"),
        required=False,
        label=_("topic"),
    )
    title = forms.CharField(label=_("or a title"), required=False, max_length=200)
    template = forms.ModelChoiceField(
        ScriptTemplate.objects.filter(is_active=True), label=_("template")
    )
    language = forms.ChoiceField(
        choices=[("zh-hans", "简体中文"), ("en", "English")], label=_("language")
    )
    target_seconds = forms.TypedChoiceField(
        choices=[(s, f"{s} s") for s in TARGET_CHOICES],
        coerce=int,
        initial=60,
        label=_("length"),
    )


class ReviewEventInline(RecordInline):
    model = ReviewEvent
    fields = ["created_at", "action", "actor_name", "version", "comment"]


@admin.register(VideoScript)
class VideoScriptAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "status",
        "template",
        "language",
        "target_seconds",
        "topic",
        "updated_at",
        "studio_link",
    ]
    list_filter = ["status", "template", "language"]
    search_fields = ["title"]
    actions = ["render_selected", "render_for_managers"]
    readonly_fields = ["status", "approved_version", "created_by", "created_at"]
    inlines = [ReviewEventInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # scripts start from the generate page

    @admin.display(description=_("studio"))
    def studio_link(self, script: VideoScript) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:content_videoscript_studio", args=[script.pk]),
            _("Open"),
        )

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("generate/", view(self.generate_view), name="content_videoscript_generate"),
            path("<int:pk>/studio/", view(self.studio_view), name="content_videoscript_studio"),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:content_videoscript_studio", args=[object_id]))

    def generate_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("content.add_videoscript"):
            raise PermissionDenied
        initial = {"topic": request.GET.get("topic")}
        form = GenerateForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                script = services.script_generate(
                    topic=data["topic"],
                    template=data["template"],
                    language=data["language"],
                    target_seconds=data["target_seconds"],
                    user=request.user,
                    title=data["title"],
                )
            except ScriptInvalid as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, _("Script written: %(title)s") % {"title": script.title})
                return HttpResponseRedirect(
                    reverse("admin:content_videoscript_studio", args=[script.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": _("Write a video script"),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/content/studio/generate.html", context)

    def _scenes_from_post(self, request: HttpRequest) -> list[dict[str, Any]]:
        scenes = []
        count = int(request.POST.get("scene_count") or 0)
        for n in range(count + 1):
            if request.POST.get(f"scene-{n}-remove"):
                continue
            narration = request.POST.get(f"scene-{n}-narration", "")
            if n == count and not narration.strip():
                continue  # the blank row for a new scene
            scenes.append(
                {
                    "section": request.POST.get(f"scene-{n}-section", ""),
                    "narration": narration,
                    "on_screen_text": request.POST.get(f"scene-{n}-on_screen_text", ""),
                    "visual": request.POST.get(f"scene-{n}-visual", ""),
                    "avatar_pose": request.POST.get(f"scene-{n}-avatar_pose", "neutral"),
                    "citations": request.POST.getlist(f"scene-{n}-citations"),
                }
            )
        return scenes

    def studio_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        script = get_object_or_404(VideoScript.objects.select_related("template", "topic"), pk=pk)
        if not request.user.has_perm("content.view_videoscript"):
            raise PermissionDenied
        can_edit = request.user.has_perm("content.change_videoscript")
        can_review = request.user.has_perm(services.REVIEW_PERMISSION)
        if request.method == "POST":
            action = request.POST.get("action", "")
            needs = "review" if action in {"approve", "send_back"} else "edit"
            if (needs == "edit" and not can_edit) or (needs == "review" and not can_review):
                raise PermissionDenied
            try:
                message = self._run(request, script, action)
            except (ScriptInvalid, services.StudioError) as exc:
                # Nothing is lost: the page shows what was typed with the reason.
                self.message_user(request, str(exc), messages.ERROR)
                return self._studio_page(
                    request, script, can_edit, can_review, posted=self._scenes_from_post(request)
                )
            self.message_user(request, message)
            return HttpResponseRedirect(request.path)
        return self._studio_page(request, script, can_edit, can_review)

    def _run(self, request: HttpRequest, script: VideoScript, action: str) -> str:
        user = request.user
        if action == "save":
            version = services.script_edit(
                script=script,
                scenes=self._scenes_from_post(request),
                user=user,
                title=request.POST.get("title"),
            )
            return _("Saved as version %(n)d.") % {"n": version.number}
        if action == "resize":
            try:
                seconds = int(request.POST.get("target_seconds") or 0)
            except ValueError:
                seconds = 0
            version = services.script_resize(script=script, target_seconds=seconds, user=user)
            return _("Version %(n)d: %(origin)s to about %(s)s s.") % {
                "n": version.number,
                "origin": version.get_origin_display(),
                "s": version.estimated_seconds,
            }
        if action == "style":
            services.script_style_set(
                script=script,
                style={
                    "outfit": request.POST.get("outfit"),
                    "background": request.POST.get("background"),
                    "tone": request.POST.get("tone"),
                    "props": request.POST.getlist("props"),
                },
            )
            return _("Avatar style saved.")
        if action == "submit":
            services.script_submit(
                script=script, user=user, comment=request.POST.get("comment", "")
            )
            return _("Submitted for compliance review.")
        if action == "approve":
            services.script_approve(
                script=script, user=user, comment=request.POST.get("comment", "")
            )
            return _("Approved: this version can now be rendered for publishing.")
        if action == "send_back":
            services.script_send_back(
                script=script, user=user, comment=request.POST.get("comment", "")
            )
            return _("Sent back to the producer.")
        raise services.StudioError(_("Unknown action."))

    def _studio_page(
        self,
        request: HttpRequest,
        script: VideoScript,
        can_edit: bool,
        can_review: bool,
        posted: list[dict[str, Any]] | None = None,
    ) -> HttpResponse:
        from content.studio.styles import renderer_styles

        version = script.current
        scenes = posted if posted is not None else (version.scenes if version else [])
        suggestion = services.style_suggestion(
            template=script.template,
            topic_text=f"{script.topic.title if script.topic_id else script.title}",
            language=script.language,
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": script.title,
            "script": script,
            "version": version,
            "scenes": scenes,
            "blank_index": len(scenes),
            "poses": renderer_styles().get("poses", ["neutral"]),
            "suggestion": suggestion,
            "targets": TARGET_CHOICES,
            "editable": can_edit and script.status in services.EDITABLE,
            "reviewable": can_review and script.status == VideoScript.Status.SUBMITTED,
            "reviews": script.reviews.select_related("version").order_by("created_at", "id"),
            "versions": script.versions.order_by("-number")[:10],
            "renders": script.renders.select_related("batch").order_by("-id")[:10],
        }
        return TemplateResponse(request, "admin/content/studio/script.html", context)

    @admin.action(description=_("Render the selected approved scripts"))
    def render_selected(self, request: HttpRequest, queryset: QuerySet[VideoScript]) -> Any:
        try:
            batch = services.render_batch_create(scripts=queryset, user=request.user)
        except services.StudioError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return None
        return HttpResponseRedirect(reverse("admin:content_renderbatch_change", args=[batch.pk]))

    @admin.action(description=_("Render personal videos for wealth managers"))
    def render_for_managers(self, request: HttpRequest, queryset: QuerySet[VideoScript]) -> Any:
        managers = WealthManager.objects.filter(is_active=True)
        if "managers" in request.POST and "confirm" in request.POST:
            chosen = managers.filter(pk__in=request.POST.getlist("managers"))
            if not chosen:
                self.message_user(request, _("Choose at least one wealth manager."), messages.ERROR)
                return None
            try:
                batch = services.render_batch_create(
                    scripts=queryset, managers=chosen, user=request.user
                )
            except services.StudioError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return None
            return HttpResponseRedirect(
                reverse("admin:content_renderbatch_change", args=[batch.pk])
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Personal videos for wealth managers"),
            "scripts": queryset,
            "managers": managers,
            "action": "render_for_managers",
        }
        return TemplateResponse(request, "admin/content/studio/choose_managers.html", context)


# --------------------------------------------------------------------------- rendering


def _video_link(item: RenderItem) -> str:
    if not item.video:
        return "—"
    return format_html('<a class="rendered-video" href="{}">{}</a>', item.video_url, _("video"))


class RenderItemInline(RecordInline):
    model = RenderItem
    fields = ["script", "manager", "status", "progress_bar", "attempts", "last_error", "video_link"]

    @admin.display(description=_("progress"))
    def progress_bar(self, item: RenderItem) -> str:
        return format_html(
            '<progress max="100" value="{}"></progress> {}%',
            round(item.progress * 100),
            round(item.progress * 100),
        )

    @admin.display(description=_("video"))
    def video_link(self, item: RenderItem) -> str:
        return _video_link(item)


@admin.register(RenderBatch)
class RenderBatchAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "created_by", "created_at", "progress"]
    readonly_fields = ["name", "kind", "created_by", "created_at", "progress"]
    inlines = [RenderItemInline]
    change_form_template = "admin/content/studio/batch_change_form.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # batches start from the scripts list's actions

    @admin.display(description=_("progress"))
    def progress(self, batch: RenderBatch) -> str:
        state = batch_progress(batch)
        counts = ", ".join(f"{k}: {v}" for k, v in state["counts"].items() if v)
        return format_html(
            '<span class="batch-progress" data-finished="{}">'
            '<progress max="100" value="{}"></progress> {}% ({})</span>',
            "yes" if state["finished"] else "no",
            round(state["progress"] * 100),
            round(state["progress"] * 100),
            counts,
        )

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        batch = self.get_object(request, object_id)
        finished = batch_progress(batch)["finished"] if batch else True
        return super().change_view(
            request, object_id, form_url, {**(extra_context or {}), "refresh": not finished}
        )


class PublishForm(forms.Form):
    target = forms.ModelChoiceField(PublishTarget.objects.filter(is_active=True), label=_("target"))


@admin.register(RenderItem)
class RenderItemAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "batch",
        "status",
        "progress",
        "attempts",
        "duration",
        "video_link",
        "publications_list",
    ]
    list_filter = ["status", "batch"]
    readonly_fields = [f.name for f in RenderItem._meta.fields]
    actions = ["publish", "retry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("video"))
    def video_link(self, item: RenderItem) -> str:
        return _video_link(item)

    @admin.display(description=_("publications"))
    def publications_list(self, item: RenderItem) -> str:
        return format_html_join(
            "",
            "<div>{}: {}</div>",
            ((p.target.name, p.get_status_display()) for p in item.publications.all()),
        )

    @admin.action(description=_("Publish the selected videos…"))
    def publish(self, request: HttpRequest, queryset: QuerySet[RenderItem]) -> Any:
        if not request.user.has_perm("content.add_publication"):
            raise PermissionDenied
        form = PublishForm(request.POST if "confirm" in request.POST else None)
        if "confirm" in request.POST and form.is_valid():
            for item in queryset:
                try:
                    publishing.publication_create(
                        item=item, target=form.cleaned_data["target"], user=request.user
                    )
                except services.StudioError as exc:
                    self.message_user(request, f"{item}: {exc}", messages.ERROR)
                else:
                    self.message_user(
                        request,
                        _("%(item)s queued for %(target)s")
                        % {"item": item, "target": form.cleaned_data["target"]},
                    )
            return HttpResponseRedirect(reverse("admin:content_publication_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Publish videos"),
            "items": queryset,
            "form": form,
        }
        return TemplateResponse(request, "admin/content/studio/publish.html", context)

    @admin.action(description=_("Retry the selected failed videos"))
    def retry(self, request: HttpRequest, queryset: QuerySet[RenderItem]) -> None:
        for item in queryset:
            try:
                services.render_item_retry(item=item)
            except services.StudioError as exc:
                self.message_user(request, f"{item}: {exc}", messages.ERROR)


@admin.register(PublishTarget)
class PublishTargetAdmin(admin.ModelAdmin):
    list_display = ["name", "publisher", "is_active"]


class PublishAttemptInline(RecordInline):
    model = PublishAttempt
    fields = ["number", "created_at", "ok", "error_code", "message", "external_id"]


@admin.register(Publication)
class PublicationAdmin(admin.ModelAdmin):
    list_display = [
        "item",
        "target",
        "status",
        "external_id",
        "external_url",
        "updated_at",
        "attempt_count",
    ]
    list_filter = ["status", "target"]
    readonly_fields = [f.name for f in Publication._meta.fields]
    inlines = [PublishAttemptInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("attempts"))
    def attempt_count(self, publication: Publication) -> int:
        return publication.attempts.count()


@admin.register(ReviewEvent)
class ReviewEventAdmin(admin.ModelAdmin):
    """The append-only review audit: read only here as in the database."""

    list_display = ["created_at", "script", "version", "action", "actor_name", "comment"]
    list_filter = ["action"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ScriptVersion)
class ScriptVersionAdmin(admin.ModelAdmin):
    list_display = [
        "script",
        "number",
        "origin",
        "target_seconds",
        "estimated_seconds",
        "provider",
        "created_at",
    ]
    readonly_fields = [f.name for f in ScriptVersion._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
