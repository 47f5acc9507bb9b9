"""The studio's actions: scripts and their versions, styles, review, render batches.

Publishing is in `content.studio.publishing`, the topic pool in `content.studio.topics`.
Every function here is what the admin, the API and the django-q2 tasks call.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from content.models import (
    RenderBatch,
    RenderItem,
    ReviewEvent,
    ScriptTemplate,
    ScriptVersion,
    StyleEntry,
    Topic,
    VideoScript,
    WealthManager,
)
from content.studio import scripts as script_text
from content.studio.scripts import ScriptInvalid
from content.studio.styles import STYLE_KINDS, renderer_styles, suggest_styles

log = logging.getLogger(__name__)

REVIEW_PERMISSION = "content.review_videoscript"
EDITABLE = (VideoScript.Status.DRAFT, VideoScript.Status.SENT_BACK)
RETRY_BACKOFF_SECONDS = 30
RENDERS_DIR = "studio/renders"


class StudioError(ValueError):
    """An action that cannot be done in the script's or item's current state."""


# --------------------------------------------------------------------------- scripts


def _version_add(
    *,
    script: VideoScript,
    origin: str,
    scenes: list[dict[str, Any]],
    citations: list[dict[str, Any]],
    target_seconds: int,
    disclosure: str,
    decisions: list[str],
    provider: str,
    user: Any,
) -> ScriptVersion:
    last = script.versions.order_by("-number").values_list("number", flat=True).first() or 0
    return ScriptVersion.objects.create(
        script=script,
        number=last + 1,
        origin=origin,
        outline=script_text.outline_of(scenes, script.template, script.language),
        scenes=scenes,
        copy="\n".join(s["narration"] for s in scenes),
        citations=citations,
        target_seconds=target_seconds,
        estimated_seconds=script_text.estimated_seconds(scenes, script.language),
        disclosure=disclosure,
        guard_decisions=decisions,
        provider=provider,
        created_by=user if getattr(user, "pk", None) else None,
    )


def style_suggestion(*, template: ScriptTemplate, topic_text: str, language: str) -> Any:
    entries = StyleEntry.objects.filter(is_active=True).prefetch_related("templates")
    return suggest_styles(
        entries=entries,
        template_id=template.pk,
        tone=template.default_tone,
        topic_text=topic_text,
        language=language,
    )


def script_generate(
    *,
    topic: Topic | None,
    template: ScriptTemplate,
    language: str,
    target_seconds: int,
    user: Any,
    title: str = "",
) -> VideoScript:
    """A new script with its first, generated version and the suggested avatar style.

    The model is asked before the transaction opens: a slow provider holds no database locks.
    """
    if topic is None and not title.strip():
        raise ScriptInvalid(_("Choose a topic or give the script a title."))
    topic_title = topic.title if topic is not None else title.strip()
    topic_summary = topic.summary if topic is not None else ""
    draft = script_text.generate_draft(
        template=template,
        topic_title=topic_title,
        topic_summary=topic_summary,
        language=language,
        target_seconds=target_seconds,
    )
    style = style_suggestion(
        template=template, topic_text=f"{topic_title} {topic_summary}", language=language
    ).chosen()
    with transaction.atomic():
        return _script_create(
            topic=topic,
            template=template,
            language=language,
            target_seconds=target_seconds,
            user=user,
            title=title.strip() or f"{template.name(language)}: {topic_title}",
            style=style,
            draft=draft,
        )


def _script_create(
    *,
    topic: Topic | None,
    template: ScriptTemplate,
    language: str,
    target_seconds: int,
    user: Any,
    title: str,
    style: dict[str, Any],
    draft: Any,
) -> VideoScript:
    script = VideoScript.objects.create(
        title=title[:200],
        topic=topic,
        template=template,
        language=language,
        target_seconds=target_seconds,
        style={k: v for k, v in style.items() if v},
        created_by=user if getattr(user, "pk", None) else None,
    )
    _version_add(
        script=script,
        origin=ScriptVersion.Origin.GENERATED,
        scenes=draft.scenes,
        citations=draft.citations,
        target_seconds=target_seconds,
        disclosure=draft.disclosure,
        decisions=draft.guard_decisions,
        provider=draft.provider,
        user=user,
    )
    return script


def _editable(script: VideoScript) -> VideoScript:
    script = VideoScript.objects.select_for_update().get(pk=script.pk)
    if script.status not in EDITABLE:
        raise StudioError(
            _("The script is %(status)s: only drafts and scripts sent back can change.")
            % {"status": script.get_status_display()}
        )
    return script


@transaction.atomic
def script_edit(
    *, script: VideoScript, scenes: Any, user: Any, title: str | None = None
) -> ScriptVersion:
    """A producer's own storyboard: validated and guarded strictly (refused, never trimmed)."""
    script = _editable(script)
    clean = script_text.validate_scenes(scenes, script.language)
    clean, disclosure, decisions = script_text.apply_rules(
        clean, template=script.template, language=script.language, strict=True
    )
    # Validate again: the rules may have added a disclosure or reminder line.
    clean = script_text.validate_scenes(clean, script.language)
    current = script.current
    if title is not None and title.strip():
        script.title = title.strip()[:200]
        script.save(update_fields=["title", "updated_at"])
    return _version_add(
        script=script,
        origin=ScriptVersion.Origin.EDITED,
        scenes=clean,
        citations=current.citations if current else [],
        target_seconds=script.target_seconds,
        disclosure=disclosure,
        decisions=decisions,
        provider="producer",
        user=user,
    )


@transaction.atomic
def script_resize(*, script: VideoScript, target_seconds: int, user: Any) -> ScriptVersion:
    """Shorten or expand the current version to a new target length."""
    script = _editable(script)
    if not 5 <= target_seconds <= script_text.max_script_seconds():
        raise ScriptInvalid(
            _("The target length must be between 5 and %(max)s seconds.")
            % {"max": script_text.max_script_seconds()}
        )
    current = script.current
    if current is None:
        raise StudioError(_("The script has no version yet."))
    topic_title = script.topic.title if script.topic_id else script.title
    scenes, citations = script_text.fit_scenes(
        scenes=current.scenes,
        citations=current.citations,
        template=script.template,
        topic_title=topic_title,
        language=script.language,
        target_seconds=target_seconds,
    )
    scenes, disclosure, decisions = script_text.apply_rules(
        scenes, template=script.template, language=script.language, strict=False
    )
    origin = (
        ScriptVersion.Origin.SHORTENED
        if target_seconds < current.target_seconds
        or (target_seconds == current.target_seconds and len(scenes) <= len(current.scenes))
        else ScriptVersion.Origin.EXPANDED
    )
    script.target_seconds = target_seconds
    script.save(update_fields=["target_seconds", "updated_at"])
    return _version_add(
        script=script,
        origin=origin,
        scenes=scenes,
        citations=citations,
        target_seconds=target_seconds,
        disclosure=disclosure,
        decisions=sorted(set(decisions) | set(current.guard_decisions)),
        provider=current.provider,
        user=user,
    )


def validate_style(style: Any) -> dict[str, Any]:
    if not isinstance(style, dict):
        raise ScriptInvalid(_("The style must be an object."))
    known = renderer_styles()
    clean: dict[str, Any] = {}
    for field, kind in (("outfit", "outfits"), ("background", "backgrounds"), ("tone", "tones")):
        value = str(style.get(field) or "")
        if value and value not in known.get(kind, []):
            raise ScriptInvalid(
                _("Unknown %(field)s %(value)r.") % {"field": field, "value": value}
            )
        if value:
            clean[field] = value
    props = style.get("props") or []
    if not isinstance(props, list) or any(p not in known.get("props", []) for p in props):
        raise ScriptInvalid(_("Unknown props %(props)r.") % {"props": props})
    clean["props"] = list(props)
    return clean


@transaction.atomic
def script_style_set(*, script: VideoScript, style: Any) -> VideoScript:
    script = _editable(script)
    script.style = validate_style(style)
    script.save(update_fields=["style", "updated_at"])
    return script


# --------------------------------------------------------------------------- review


def _review(script: VideoScript, action: str, user: Any, comment: str) -> ReviewEvent:
    version = script.current
    return ReviewEvent.objects.create(
        script=script,
        version=version,
        action=action,
        actor=user if getattr(user, "pk", None) else None,
        actor_name=getattr(user, "username", "") or "system",
        comment=comment,
    )


@transaction.atomic
def script_submit(*, script: VideoScript, user: Any, comment: str = "") -> VideoScript:
    script = _editable(script)
    current = script.current
    if current is None:
        raise StudioError(_("The script has no version yet."))
    # What a producer can no longer change must already be renderable.
    script_text.validate_scenes(current.scenes, script.language)
    script.status = VideoScript.Status.SUBMITTED
    script.save(update_fields=["status", "updated_at"])
    _review(script, ReviewEvent.Action.SUBMITTED, user, comment)
    return script


def _under_review(script: VideoScript, user: Any) -> VideoScript:
    if not user.has_perm(REVIEW_PERMISSION):
        raise PermissionDenied(_("Only compliance officers review video scripts."))
    script = VideoScript.objects.select_for_update().get(pk=script.pk)
    if script.status != VideoScript.Status.SUBMITTED:
        raise StudioError(
            _("The script is %(status)s, not submitted for review.")
            % {"status": script.get_status_display()}
        )
    return script


@transaction.atomic
def script_approve(*, script: VideoScript, user: Any, comment: str = "") -> VideoScript:
    """Approve the submitted version: that version, and only it, renders for publishing."""
    script = _under_review(script, user)
    script.status = VideoScript.Status.APPROVED
    script.approved_version = script.current
    script.save(update_fields=["status", "approved_version", "updated_at"])
    _review(script, ReviewEvent.Action.APPROVED, user, comment)
    return script


@transaction.atomic
def script_send_back(*, script: VideoScript, user: Any, comment: str) -> VideoScript:
    if not comment.strip():
        raise ScriptInvalid(_("Say what has to change when sending a script back."))
    script = _under_review(script, user)
    script.status = VideoScript.Status.SENT_BACK
    script.save(update_fields=["status", "updated_at"])
    _review(script, ReviewEvent.Action.SENT_BACK, user, comment.strip())
    return script


# --------------------------------------------------------------------------- rendering


@transaction.atomic
def render_batch_create(
    *,
    scripts: Iterable[VideoScript],
    user: Any,
    name: str = "",
    managers: Iterable[WealthManager] = (),
) -> RenderBatch:
    """One item per approved script, or per (script, wealth manager) for personal videos.

    Each item is its own django-q2 task, so one failure never holds up the rest.
    """
    scripts = list(scripts)
    managers = list(managers)
    if not scripts:
        raise StudioError(_("Choose at least one script to render."))
    refused = [s.title for s in scripts if s.status != VideoScript.Status.APPROVED]
    if refused:
        raise StudioError(
            _("Only approved scripts render; not approved: %(titles)s.")
            % {"titles": ", ".join(refused)}
        )
    kind = RenderBatch.Kind.PERSONALISED if managers else RenderBatch.Kind.SCRIPTS
    batch = RenderBatch.objects.create(
        name=(name or ", ".join(s.title for s in scripts))[:200],
        kind=kind,
        created_by=user if getattr(user, "pk", None) else None,
    )
    items = [
        RenderItem(batch=batch, script=s, version=s.approved_version, manager=m)
        for s in scripts
        for m in (managers or [None])
    ]
    RenderItem.objects.bulk_create(items)
    for item in batch.items.all():
        transaction.on_commit(lambda pk=item.pk: _enqueue_render(pk))
    return batch


def _enqueue_render(item_id: int) -> None:
    from django_q.tasks import async_task

    async_task(
        "content.tasks.render_item_task",
        item_id,
        task_name=f"render-video-{item_id}",
        group="studio",
    )


def _schedule_retry(item: RenderItem) -> None:
    from django_q.models import Schedule

    Schedule.objects.create(
        name=f"render-video-{item.pk}-retry-{item.attempts}",
        func="content.tasks.render_item_task",
        args=str(item.pk),
        schedule_type=Schedule.ONCE,
        repeats=1,
        next_run=timezone.now() + timedelta(seconds=RETRY_BACKOFF_SECONDS * item.attempts),
    )


def video_spec(item: RenderItem) -> Any:
    """The renderer's input for an item: the approved version, the style, the manager."""
    from content.studio.spec import AvatarStyle, Personalisation, SceneSpec, VideoSpec

    script, version = item.script, item.version
    poses = set(renderer_styles().get("poses", []))
    scenes = tuple(
        SceneSpec(
            narration=s["narration"],
            on_screen_text=s.get("on_screen_text", ""),
            visual=s.get("visual", ""),
            # A pose removed from the renderer since the script was written falls back.
            avatar_pose=s.get("avatar_pose") if s.get("avatar_pose") in poses else "neutral",
        )
        for s in version.scenes
    )
    defaults = AvatarStyle()
    style = AvatarStyle(
        outfit=script.style.get("outfit") or defaults.outfit,
        background=script.style.get("background") or defaults.background,
        props=tuple(script.style.get("props") or ()),
        tone=script.style.get("tone") or defaults.tone,
    )
    personalisation = None
    if item.manager_id:
        manager = item.manager
        personalisation = Personalisation(
            name=manager.name,
            title=manager.title,
            contact=manager.contact,
            qr_payload=manager.qr_payload,
            photo_path=Path(manager.photo.path) if manager.photo else None,
        )
    return VideoSpec(
        title=script.title,
        language=script.language,
        scenes=scenes,
        style=style,
        aspect=script.aspect,
        disclosure=version.disclosure,
        personalisation=personalisation,
    )


def _progress_writer(item_id: int) -> Any:
    last = [-1.0]

    def write(fraction: float) -> None:
        # Every 5 %: the admin polls it, and each write is a database round trip.
        if fraction - last[0] >= 0.05 or fraction >= 1.0:
            last[0] = fraction
            RenderItem.objects.filter(pk=item_id).update(progress=round(min(fraction, 1.0), 3))

    return write


def render_item_run(*, item_id: int, renderer: Any = None) -> RenderItem:
    """Render one item (a django-q2 task). Bad input fails at once with the renderer's reason;
    anything else is retried later, up to `max_attempts`."""
    from content.studio.spec import RenderError

    with transaction.atomic():
        item = (
            RenderItem.objects.select_for_update()
            .select_related("script", "version")
            .get(pk=item_id)
        )
        if item.status in (RenderItem.Status.DONE, RenderItem.Status.FAILED):
            return item
        item.status = RenderItem.Status.RUNNING
        item.attempts += 1
        item.progress = 0.0
        item.started_at = timezone.now()
        item.save(update_fields=["status", "attempts", "progress", "started_at"])
    if renderer is None:
        from content.studio.render import render_video as renderer
    relative = f"{RENDERS_DIR}/{item.batch_id}/{item.pk}"
    out_dir = Path(settings.MEDIA_ROOT) / relative
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        result = renderer(video_spec(item), out_dir, progress=_progress_writer(item.pk))
    except RenderError as exc:
        RenderItem.objects.filter(pk=item.pk).update(
            status=RenderItem.Status.FAILED, last_error=str(exc), finished_at=timezone.now()
        )
        item.refresh_from_db()
        return item
    except Exception as exc:  # noqa: BLE001 - any renderer failure is retried, then recorded
        log.warning("render of item %s failed (attempt %s)", item.pk, item.attempts, exc_info=True)
        final = item.attempts >= item.max_attempts
        RenderItem.objects.filter(pk=item.pk).update(
            status=RenderItem.Status.FAILED if final else RenderItem.Status.RETRYING,
            last_error=f"{exc.__class__.__name__}: {exc}"[:2000],
            finished_at=timezone.now() if final else None,
        )
        item.refresh_from_db()
        if not final:
            _schedule_retry(item)
        return item
    media = Path(settings.MEDIA_ROOT)
    RenderItem.objects.filter(pk=item.pk).update(
        status=RenderItem.Status.DONE,
        progress=1.0,
        last_error="",
        video=str(Path(result.video_path).relative_to(media)),
        thumbnail=str(Path(result.thumbnail_path).relative_to(media)),
        subtitles=str(Path(result.subtitles_path).relative_to(media)),
        duration=round(result.duration, 2),
        render_seconds=round(result.render_seconds, 2),
        finished_at=timezone.now(),
    )
    item.refresh_from_db()
    return item


@transaction.atomic
def render_item_retry(*, item: RenderItem) -> RenderItem:
    """Give a failed item another round of attempts (operations, from the admin)."""
    item = RenderItem.objects.select_for_update().get(pk=item.pk)
    if item.status != RenderItem.Status.FAILED:
        raise StudioError(_("Only failed videos can be retried."))
    item.status = RenderItem.Status.QUEUED
    item.max_attempts = item.attempts + 3
    item.save(update_fields=["status", "max_attempts"])
    transaction.on_commit(lambda: _enqueue_render(item.pk))
    return item


__all__ = [
    "REVIEW_PERMISSION",
    "STYLE_KINDS",
    "ScriptInvalid",
    "StudioError",
    "render_batch_create",
    "render_item_retry",
    "render_item_run",
    "script_approve",
    "script_edit",
    "script_generate",
    "script_resize",
    "script_send_back",
    "script_style_set",
    "script_submit",
    "style_suggestion",
    "video_spec",
]
