"""The branch hall screens' broadcast playlists (what a screen plays is a channel matter).

Kept beside `devices.models` (which imports them) so the device registry and the playlists
evolve in separate modules. Queue tickets are domain data (`scenarios.branches`).
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bank_ai.i18n import localised


class Playlist(models.Model):
    """Promotions and anti-fraud notices a device group plays, on a schedule.

    On air when published, inside [starts_at, ends_at), on one of `weekdays` and between
    `daily_start` and `daily_end` (in the group's branch time zone). The scheduler task
    (`devices.tasks.broadcast_tick`) keeps `on_air_since` and pushes when a playlist goes on
    or off air; publishing or changing a playlist pushes at once.
    """

    name = models.CharField(_("name"), max_length=120)
    device_group = models.ForeignKey(
        "touchpoints.DeviceGroup",
        on_delete=models.CASCADE,
        related_name="playlists",
        verbose_name=_("device group"),
    )
    is_published = models.BooleanField(_("published"), default=False)
    priority = models.SmallIntegerField(
        _("priority"), default=0, help_text=_("Devices play the highest priority on air first.")
    )
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    # 0 = Monday ... 6 = Sunday; empty means every day.
    weekdays = models.JSONField(_("weekdays"), default=list, blank=True)
    daily_start = models.TimeField(_("daily from"), null=True, blank=True)
    daily_end = models.TimeField(_("daily until"), null=True, blank=True)
    on_air_since = models.DateTimeField(_("on air since"), null=True, blank=True, editable=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-priority", "name"]
        verbose_name = _("broadcast playlist")
        verbose_name_plural = _("broadcast playlists")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The end must be after the start.")})
        if not isinstance(self.weekdays, list) or any(
            not isinstance(day, int) or not 0 <= day <= 6 for day in self.weekdays
        ):
            raise ValidationError(
                {"weekdays": _("A list of weekday numbers from 0 (Monday) to 6 (Sunday).")}
            )
        if (self.daily_start is None) != (self.daily_end is None):
            raise ValidationError(_("Give both daily times or neither."))
        if self.daily_start and self.daily_end and self.daily_end <= self.daily_start:
            raise ValidationError({"daily_end": _("The daily end must be after the start.")})

    def zone(self) -> zoneinfo.ZoneInfo:
        branch = self.device_group.branch
        name = branch.timezone if branch is not None else settings.TIME_ZONE
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo(settings.TIME_ZONE)

    def is_on_air(self, at: datetime | None = None) -> bool:
        at = at or timezone.now()
        if not self.is_published:
            return False
        if self.starts_at and at < self.starts_at:
            return False
        if self.ends_at and at >= self.ends_at:
            return False
        local = at.astimezone(self.zone())
        if self.weekdays and local.weekday() not in self.weekdays:
            return False
        if self.daily_start and self.daily_end:
            return self.daily_start <= local.time() < self.daily_end
        return True


class PlaylistItem(models.Model):
    class Kind(models.TextChoices):
        PROMOTION = "promotion", _("Promotion")
        ANTI_FRAUD = "anti_fraud", _("Anti-fraud notice")
        NOTICE = "notice", _("Notice")
        VIDEO = "video", _("Video")

    playlist = models.ForeignKey(Playlist, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.PROMOTION)
    # Either a published campaign / anti-fraud page (both languages come from its translations)
    # or text written here in both languages.
    article = models.ForeignKey(
        "content.KnowledgeArticle",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("knowledge page"),
        limit_choices_to={"content_type__model__in": ["campaignpage", "antifraudnoticepage"]},
    )
    title_zh = models.CharField(_("title (Chinese)"), max_length=200, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    text_zh = models.TextField(_("text (Chinese)"), blank=True)
    text_en = models.TextField(_("text (English)"), blank=True)
    duration_seconds = models.PositiveSmallIntegerField(_("seconds on screen"), default=15)
    # A rendered studio video (URL under MEDIA_URL) the screen plays instead of showing text;
    # added by the studio's hall-screen publisher (devices.studio_publisher).
    video_url = models.CharField(_("video URL"), max_length=500, blank=True)
    poster_url = models.CharField(_("poster URL"), max_length=500, blank=True)
    subtitles_url = models.CharField(_("subtitles URL"), max_length=500, blank=True)

    class Meta:
        ordering = ["playlist", "position"]
        verbose_name = _("playlist item")
        verbose_name_plural = _("playlist items")
        constraints = [
            models.UniqueConstraint(fields=["playlist", "position"], name="uniq_playlist_pos"),
        ]

    def __str__(self) -> str:
        return f"{self.playlist} #{self.position}"

    def clean(self) -> None:
        if self.video_url and not (self.title_zh.strip() or self.title_en.strip()):
            raise ValidationError(_("A video item needs a title."))
        if (
            self.article_id is None
            and not self.video_url
            and not (self.text_zh.strip() and self.text_en.strip())
        ):
            raise ValidationError(
                _("Choose a knowledge page or write the text in both Chinese and English.")
            )
        if self.duration_seconds < 3:
            raise ValidationError({"duration_seconds": _("At least 3 seconds.")})

    def title(self, language: str | None = None) -> str:
        return localised(self, "title", language)
