"""Broadcast playlists: what a device group's screens play, pushed live as `broadcast.play`.

A playlist goes on air when it is published and its schedule window opens; the scheduler
(`broadcast_tick`, every minute from django-q2) and every change in the admin call
`playlist_sync`, which pushes `broadcast.play` to each device of the group when the playlist
goes on air or changes while on air, and `broadcast.stop` when it goes off air. The state kept
in `Playlist.on_air_since` makes a missed or repeated tick harmless.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from bank_ai.i18n import SUPPORTED
from devices.models import Device, Playlist, PlaylistItem
from devices.push import push_to_device


def _article_payload(item: PlaylistItem) -> dict[str, Any] | None:
    """Title, summary and URL of the page in each language it is published in."""
    page = item.article
    titles: dict[str, str] = {}
    texts: dict[str, str] = {}
    urls: dict[str, str] = {}
    for translation in page.get_translations(inclusive=True).live().specific():
        language = translation.locale.language_code
        if language not in SUPPORTED:
            continue
        titles[language] = translation.title
        texts[language] = translation.summary
        urls[language] = translation.get_url() or ""
    if not titles:
        return None  # unpublished since it was added: nothing to show
    return {"title": titles, "text": texts, "url": urls, "page_id": page.pk}


def item_payload(item: PlaylistItem) -> dict[str, Any] | None:
    if item.article_id is not None:
        content = _article_payload(item)
        if content is None:
            return None
        source = "knowledge"
    else:
        content = {
            "title": {"zh-hans": item.title_zh, "en": item.title_en},
            "text": {"zh-hans": item.text_zh, "en": item.text_en},
            "url": None,
            "page_id": None,
        }
        source = "text"
    payload = {
        "position": item.position,
        "kind": item.kind,
        "source": source,
        "duration_seconds": item.duration_seconds,
        **content,
    }
    if item.video_url:
        payload["source"] = "video"
        payload["video"] = {
            "url": item.video_url,
            "poster": item.poster_url or None,
            "subtitles": item.subtitles_url or None,
        }
    return payload


def playlist_frame(playlist: Playlist) -> dict[str, Any]:
    items = [
        payload
        for payload in (item_payload(item) for item in playlist.items.order_by("position"))
        if payload is not None
    ]
    return {
        "type": "broadcast.play",
        "playlist": playlist.pk,
        "name": playlist.name,
        "device_group": playlist.device_group.name,
        "priority": playlist.priority,
        "version": playlist.updated_at.isoformat(),
        "ends_at": playlist.ends_at.isoformat() if playlist.ends_at else None,
        "loop": True,
        "items": items,
    }


def playlist_devices(playlist: Playlist) -> QuerySet[Device]:
    return playlist.device_group.devices.filter(is_active=True)


def _push(playlist: Playlist, frame: dict[str, Any]) -> int:
    device_ids = list(playlist_devices(playlist).values_list("pk", flat=True))
    for device_id in device_ids:
        push_to_device(device_id, frame)
    return len(device_ids)


@transaction.atomic
def playlist_sync(*, playlist: Playlist, changed: bool = False, at: datetime | None = None) -> str:
    """Bring the devices in line with the playlist's state now: "play", "stop" or "none".

    `changed` re-sends a playlist that is already on air (its items or schedule were edited).
    """
    playlist = (
        Playlist.objects.select_for_update(of=("self",))
        .select_related("device_group__branch")
        .get(pk=playlist.pk)
    )
    at = at or timezone.now()
    on_air = playlist.is_on_air(at)
    if on_air and (playlist.on_air_since is None or changed):
        if playlist.on_air_since is None:
            playlist.on_air_since = at
            Playlist.objects.filter(pk=playlist.pk).update(on_air_since=at)
        _push(playlist, playlist_frame(playlist))
        return "play"
    if not on_air and playlist.on_air_since is not None:
        Playlist.objects.filter(pk=playlist.pk).update(on_air_since=None)
        _push(playlist, {"type": "broadcast.stop", "playlist": playlist.pk})
        return "stop"
    return "none"


@transaction.atomic
def playlist_publish(*, playlist: Playlist) -> Playlist:
    Playlist.objects.filter(pk=playlist.pk).update(
        is_published=True, published_at=timezone.now(), updated_at=timezone.now()
    )
    playlist.refresh_from_db()
    playlist_sync(playlist=playlist, changed=True)
    return playlist


@transaction.atomic
def playlist_unpublish(*, playlist: Playlist) -> Playlist:
    Playlist.objects.filter(pk=playlist.pk).update(is_published=False, updated_at=timezone.now())
    playlist.refresh_from_db()
    playlist_sync(playlist=playlist)
    return playlist


@transaction.atomic
def playlist_changed(*, playlist: Playlist) -> str:
    """After an edit in the admin: stamp a first publication and push what is now on air."""
    if playlist.is_published and playlist.published_at is None:
        Playlist.objects.filter(pk=playlist.pk).update(published_at=timezone.now())
    return playlist_sync(playlist=playlist, changed=True)


def broadcast_tick(at: datetime | None = None) -> dict[str, int]:
    """Start and stop playlists whose schedule window opened or closed since the last tick."""
    counts = {"play": 0, "stop": 0, "none": 0}
    candidates = Playlist.objects.filter(Q(is_published=True) | Q(on_air_since__isnull=False))
    for playlist in candidates.only("pk"):
        counts[playlist_sync(playlist=playlist, at=at)] += 1
    return counts


def broadcasts_for_device(device: Device, at: datetime | None = None) -> list[dict[str, Any]]:
    """The `broadcast.play` frames a device should be playing now (for a device that connects
    or polls), highest priority first."""
    at = at or timezone.now()
    playlists = (
        Playlist.objects.filter(device_group__devices=device, is_published=True)
        .select_related("device_group__branch")
        .distinct()
    )
    return [playlist_frame(p) for p in playlists if p.is_on_air(at)]
