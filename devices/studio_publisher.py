"""The video studio's hall-screen publisher: a rendered video joins a broadcast playlist.

Registered from `DevicesConfig.ready` (the studio in `content` knows publishers only through
its registry, so the domain never imports this channel code).
Target config: {"playlist": <playlist id>}.
"""

from __future__ import annotations

import math
from typing import Any

from django.db import transaction
from django.db.models import Max

from content.studio.publishing import Publisher, PublishError, PublishOutcome, VideoAsset
from devices.broadcasts import playlist_changed
from devices.models import Playlist, PlaylistItem


class HallScreenPublisher(Publisher):
    name = "hall_screen"
    label = "Branch hall screens (broadcast playlist)"

    def validate_config(self, config: dict[str, Any]) -> None:
        if not Playlist.objects.filter(pk=config.get("playlist") or 0).exists():
            raise PublishError(
                f"no broadcast playlist with id {config.get('playlist')!r}",
                code="bad_config",
                retryable=False,
            )

    @transaction.atomic
    def publish(self, asset: VideoAsset, config: dict[str, Any]) -> PublishOutcome:
        self.validate_config(config)
        playlist = Playlist.objects.select_for_update().get(pk=config["playlist"])
        existing = playlist.items.filter(video_url=asset.video_url).first()
        if existing is None:
            last = playlist.items.aggregate(last=Max("position"))["last"] or 0
            title = asset.title[:200]
            existing = PlaylistItem.objects.create(
                playlist=playlist,
                position=last + 1,
                kind=PlaylistItem.Kind.VIDEO,
                title_zh=title if asset.language == "zh-hans" else "",
                title_en=title if asset.language == "en" else "",
                text_zh=asset.description if asset.language == "zh-hans" else "",
                text_en=asset.description if asset.language == "en" else "",
                # The whole video plus a second for the screen to switch.
                duration_seconds=max(3, math.ceil(asset.duration) + 1),
                video_url=asset.video_url,
                poster_url=asset.thumbnail_url,
                subtitles_url=asset.subtitles_url,
            )
        result = playlist_changed(playlist=playlist)
        return PublishOutcome(
            external_id=f"playlist-item-{existing.pk}",
            message=f"{playlist.name} #{existing.position} ({result})",
        )
