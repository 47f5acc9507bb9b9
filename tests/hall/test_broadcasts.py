"""Broadcast playlists: scheduled per device group, pushed live as broadcast.play / stop."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django_q.models import Schedule
from rest_framework.test import APIClient

from content.models import AntiFraudNoticePage
from devices.broadcasts import broadcast_tick, playlist_publish, playlist_unpublish
from devices.models import Device, DeviceGroup, Playlist, PlaylistItem
from devices.push import device_group
from devices.services import device_token_issue

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def group() -> DeviceGroup:
    return DeviceGroup.objects.get(name="hq-central-screens")


@pytest.fixture
def playlist(group: DeviceGroup) -> Playlist:
    playlist = Playlist.objects.create(name="Test notices", device_group=group, priority=5)
    article = AntiFraudNoticePage.objects.get(
        slug="fraud-screen-sharing", locale__language_code="zh-hans"
    )
    PlaylistItem.objects.create(playlist=playlist, position=1, kind="anti_fraud", article=article)
    PlaylistItem.objects.create(
        playlist=playlist,
        position=2,
        kind="notice",
        title_zh="营业时间调整",
        title_en="New opening hours",
        text_zh="周六营业至16:00。",
        text_en="Open until 16:00 on Saturdays.",
    )
    return playlist


def _screens(group: DeviceGroup) -> list[Device]:
    return list(group.devices.filter(is_active=True))


def test_publishing_pushes_the_playlist_to_every_device_of_the_group(
    group,
    playlist,
    listen,
    committed,  # noqa: ANN001
) -> None:
    sockets = {device.name: listen(device_group(device.pk)) for device in _screens(group)}
    outsider = listen(device_group(Device.objects.get(name="demo-app").pk))
    with committed():
        playlist_publish(playlist=playlist)
    assert len(sockets) >= 3
    for name, socket in sockets.items():
        frames = socket.frames()
        assert [f["type"] for f in frames] == ["broadcast.play"], name
        assert frames[0]["playlist"] == playlist.pk
    assert outsider.frames() == []


def test_items_carry_both_languages_from_the_page_and_its_translation(
    group,
    playlist,
    listen,
    committed,  # noqa: ANN001
) -> None:
    socket = listen(device_group(_screens(group)[0].pk))
    with committed():
        playlist_publish(playlist=playlist)
    [frame] = socket.frames()
    page_item, text_item = frame["items"]
    assert page_item["source"] == "knowledge"
    assert "屏幕共享" in page_item["title"]["zh-hans"]
    assert "screen" in page_item["title"]["en"].lower()
    assert page_item["url"]["en"].startswith("/en/kb/")
    assert text_item["text"] == {
        "zh-hans": "周六营业至16:00。",
        "en": "Open until 16:00 on Saturdays.",
    }
    assert [item["position"] for item in frame["items"]] == [1, 2]


def test_the_schedule_starts_the_playlist_in_its_window_and_stops_it_after(
    group,
    playlist,
    listen,
    committed,  # noqa: ANN001
) -> None:
    Playlist.objects.filter(pk=playlist.pk).update(
        is_published=True, weekdays=[0], daily_start=time(9), daily_end=time(12)
    )
    monday_8 = datetime(2026, 11, 30, 8, 0, tzinfo=SHANGHAI)  # a Monday
    socket = listen(device_group(_screens(group)[0].pk))

    def tick(at: datetime) -> list[str]:
        with committed():
            broadcast_tick(at=at)
        return [f["type"] for f in socket.frames() if f.get("playlist") == playlist.pk]

    assert tick(monday_8) == []
    assert tick(monday_8 + timedelta(hours=1, minutes=1)) == ["broadcast.play"]
    assert tick(monday_8 + timedelta(hours=2)) == []  # already on air: not pushed again
    assert tick(monday_8 + timedelta(hours=4)) == ["broadcast.stop"]
    assert tick(monday_8 + timedelta(days=1, hours=2)) == []  # Tuesday is not a play day


def test_a_playlist_plays_only_between_its_start_and_end(group) -> None:  # noqa: ANN001
    start = datetime(2026, 12, 1, 0, 0, tzinfo=SHANGHAI)
    playlist = Playlist(
        name="x",
        device_group=group,
        is_published=True,
        starts_at=start,
        ends_at=start + timedelta(days=7),
    )
    assert not playlist.is_on_air(start - timedelta(minutes=1))
    assert playlist.is_on_air(start + timedelta(days=3))
    assert not playlist.is_on_air(start + timedelta(days=7))


def test_unpublishing_stops_it_on_the_devices(group, playlist, listen, committed) -> None:  # noqa: ANN001
    socket = listen(device_group(_screens(group)[0].pk))
    with committed():
        playlist_publish(playlist=playlist)
        playlist_unpublish(playlist=playlist)
    assert [f["type"] for f in socket.frames()] == ["broadcast.play", "broadcast.stop"]


def test_an_item_needs_a_page_or_text_in_both_languages(playlist) -> None:  # noqa: ANN001
    item = PlaylistItem(playlist=playlist, position=9, text_zh="只有中文")
    with pytest.raises(ValidationError):
        item.full_clean()


@pytest.mark.parametrize(
    ("field", "value"),
    [("weekdays", [7]), ("weekdays", "mon"), ("daily_start", time(9))],
)
def test_a_bad_schedule_is_refused(group, field, value) -> None:  # noqa: ANN001
    playlist = Playlist(name="bad", device_group=group, **{field: value})
    with pytest.raises(ValidationError):
        playlist.full_clean()


def test_a_device_pulls_the_playlists_on_air_for_its_groups(playlist) -> None:  # noqa: ANN001
    playlist_publish(playlist=playlist)
    names = [p["name"] for p in _as("demo-hall-screen").get("/api/broadcasts/").json()["playlists"]]
    assert "Test notices" in names
    assert _as("demo-app").get("/api/broadcasts/").json()["playlists"] == []


def _as(device: str) -> APIClient:
    client = APIClient()
    token = device_token_issue(device=Device.objects.get(name=device))
    client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    return client


def test_the_every_minute_schedule_ships_with_the_migrations() -> None:
    schedule = Schedule.objects.get(func="devices.tasks.broadcast_tick_task")
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == (Schedule.MINUTES, 1, -1)


def test_saving_in_the_admin_pushes_the_edited_playlist(
    group,
    playlist,
    demo_password,
    listen,
    committed,  # noqa: ANN001
) -> None:
    playlist_publish(playlist=playlist)
    socket = listen(device_group(_screens(group)[0].pk))
    client = Client()
    client.login(username="ops", password=demo_password)
    items = list(playlist.items.order_by("position"))
    data = {
        "name": "Test notices (edited)",
        "device_group": group.pk,
        "priority": 5,
        "is_published": "on",
        "weekdays": "[]",
        "items-TOTAL_FORMS": str(len(items)),
        "items-INITIAL_FORMS": str(len(items)),
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
    }
    for n, item in enumerate(items):
        data.update(
            {
                f"items-{n}-id": item.pk,
                f"items-{n}-playlist": playlist.pk,
                f"items-{n}-position": item.position,
                f"items-{n}-kind": item.kind,
                f"items-{n}-article": item.article_id or "",
                f"items-{n}-title_zh": item.title_zh,
                f"items-{n}-title_en": item.title_en,
                f"items-{n}-text_zh": item.text_zh,
                f"items-{n}-text_en": item.text_en,
                f"items-{n}-duration_seconds": 20,
            }
        )
    with committed():
        response = client.post(f"/admin/devices/playlist/{playlist.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    [frame] = socket.frames()
    assert frame["name"] == "Test notices (edited)"
    assert {item["duration_seconds"] for item in frame["items"]} == {20}
