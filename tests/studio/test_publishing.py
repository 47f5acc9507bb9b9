"""Publishing: hall playlists, the signed webhook and the short-video platform adapter against a
local fake; every attempt is recorded."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from content.models import Publication, PublishTarget
from content.studio import publishing, services
from devices.broadcasts import playlist_frame
from devices.models import Playlist
from tests.fakes.short_video_platform import running_platform

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
NO_WAIT = {"backoff_seconds": 0}


def _publish(rendered, target, producer) -> Publication:
    publication = publishing.publication_create(item=rendered, target=target, user=producer)
    return publishing.publication_run(publication_id=publication.pk, sleep=lambda s: None)


def test_the_hall_publisher_puts_the_video_in_the_playlist(rendered, producer):
    playlist = Playlist.objects.get(name="hq-central: anti-fraud notices")
    target = PublishTarget.objects.create(
        name="hall", publisher="hall_screen", config={"playlist": playlist.pk}
    )
    publication = _publish(rendered, target, producer)
    assert publication.status == Publication.Status.PUBLISHED
    video = [i for i in playlist_frame(playlist)["items"] if i.get("video")]
    assert video[0]["video"]["url"] == rendered.video_url
    assert video[0]["duration_seconds"] == 14  # 12.4 s of video and a second to switch
    assert video[0]["source"] == "video"


def test_a_missing_playlist_fails_once_and_is_recorded(rendered, producer):
    target = PublishTarget.objects.create(
        name="hall", publisher="hall_screen", config={"playlist": 999999}
    )
    publication = _publish(rendered, target, producer)
    assert publication.status == Publication.Status.FAILED
    assert list(publication.attempts.values_list("ok", "error_code")) == [(False, "bad_config")]


class _Receiver(BaseHTTPRequestHandler):
    replies: list[int] = []
    received: list[tuple[dict, bytes]] = []

    def log_message(self, *args):
        return

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        status = type(self).replies.pop(0) if type(self).replies else 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(
            json.dumps(
                {"id": "hook-1"}
                if status == 200
                else {"error": {"code": "busy", "message": "try later"}}
            ).encode()
        )


@pytest.fixture
def receiver(monkeypatch):
    monkeypatch.setenv("STUDIO_TEST_SECRET", "whsec")
    _Receiver.replies, _Receiver.received = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Receiver
    server.shutdown()
    server.server_close()


def _webhook(url: str) -> PublishTarget:
    return PublishTarget.objects.create(
        name="hook",
        publisher="webhook",
        config={"url": url, "secret_env": "STUDIO_TEST_SECRET", **NO_WAIT},
    )


def test_the_webhook_signs_timestamp_and_body(rendered, producer, receiver):
    url, handler = receiver
    publication = _publish(rendered, _webhook(url), producer)
    assert (publication.status, publication.external_id) == ("published", "hook-1")
    headers, body = handler.received[0]
    expected = hmac.new(
        b"whsec", headers["X-Studio-Timestamp"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert headers["X-Studio-Signature"] == f"sha256={expected}"
    assert json.loads(body)["video"]["url"].endswith(rendered.video)


def test_the_webhook_retries_server_errors(rendered, producer, receiver):
    url, handler = receiver
    handler.replies = [503, 502]
    publication = _publish(rendered, _webhook(url), producer)
    assert publication.status == "published"
    assert list(publication.attempts.values_list("ok", "error_code")) == [
        (False, "busy"),
        (False, "busy"),
        (True, ""),
    ]


def test_a_rejected_webhook_is_not_retried(rendered, producer, receiver):
    url, handler = receiver
    handler.replies = [400]
    publication = _publish(rendered, _webhook(url), producer)
    assert publication.status == "failed"
    assert publication.attempts.count() == 1


def test_a_missing_secret_fails_clearly(rendered, producer, receiver, monkeypatch):
    monkeypatch.delenv("STUDIO_TEST_SECRET")
    publication = _publish(rendered, _webhook(receiver[0]), producer)
    assert publication.attempts.get().error_code == "missing_secret"


@pytest.fixture
def platform(monkeypatch):
    monkeypatch.setenv("STUDIO_TEST_PLATFORM_SECRET", "s3cret")
    with running_platform() as fake:
        yield fake


def _platform_target(platform) -> PublishTarget:
    return PublishTarget.objects.create(
        name="platform",
        publisher="short_video",
        config={
            "base_url": platform.base_url,
            "client_id": "harbourbank",
            "client_secret_env": "STUDIO_TEST_PLATFORM_SECRET",
            "chunk_size": 128 * 1024,
            "poll_seconds": 0,
            **NO_WAIT,
        },
    )


def test_the_platform_gets_the_video_in_chunks_and_publishes_it(
    rendered, producer, platform, media
):
    publication = _publish(rendered, _platform_target(platform), producer)
    assert publication.status == "published"
    assert platform.videos["v-1"] == (media / rendered.video).read_bytes()
    puts = [p for m, p in platform.requests if m == "PUT"]
    assert len(puts) == 3  # 300 KB in 128 KB chunks
    assert publication.external_url.endswith("/share/p-1")
    assert platform.publishes["p-1"]["title"] == rendered.script.title[:55]


def test_an_expired_token_is_refreshed_once(rendered, producer, platform):
    platform.fail("/v1/videos/publish", status=401, code="token_expired")
    publication = _publish(rendered, _platform_target(platform), producer)
    assert publication.status == "published"
    assert len(platform.tokens) == 2
    assert publication.attempts.count() == 1


def test_rate_limits_are_retried_and_recorded(rendered, producer, platform):
    platform.fail("/v1/videos/uploads", status=429, code="rate_limited", times=1)
    publication = _publish(rendered, _platform_target(platform), producer)
    assert publication.status == "published"
    assert list(publication.attempts.values_list("ok", "error_code")) == [
        (False, "rate_limited"),
        (True, ""),
    ]


def test_a_video_the_platform_rejects_fails_with_its_code(rendered, producer, platform):
    platform.reject_publish_with = "content_violation"
    publication = _publish(rendered, _platform_target(platform), producer)
    assert publication.status == "failed"
    assert publication.attempts.get().error_code == "content_violation"


def test_a_platform_that_is_down_fails_after_every_attempt(rendered, producer):
    target = PublishTarget.objects.create(
        name="down",
        publisher="short_video",
        config={
            "base_url": "http://127.0.0.1:9",
            "client_id": "x",
            "client_secret_env": "HOME",
            **NO_WAIT,
        },
    )
    publication = _publish(rendered, target, producer)
    assert publication.status == "failed"
    assert list(publication.attempts.values_list("error_code", flat=True)) == ["network"] * 3


def test_only_the_approved_version_is_published(rendered, producer, officer, platform):
    script = rendered.script
    # As if a newer version had been approved since this video was rendered.
    script.approved_version = None
    script.save(update_fields=["approved_version"])
    with pytest.raises(services.StudioError, match="approved version"):
        publishing.publication_create(
            item=rendered, target=_platform_target(platform), user=producer
        )


def test_an_unknown_publisher_is_refused_by_the_target_form():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="fax"):
        PublishTarget(name="x", publisher="fax").full_clean()
