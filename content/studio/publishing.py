"""Where rendered videos go: one `Publisher` interface, a registry, and the attempts log.

Publishers shipped here: a generic signed webhook and a short-video platform adapter shaped
like the open APIs of the big platforms (OAuth client credentials, chunked upload, publish,
status polling). The bank's own hall screens are a publisher too, registered by the `devices`
app (`devices/studio_publisher.py`), because `content` must not import channel code.

`publication_run` calls a publisher up to `max_attempts` times (target config, default 3) with
a growing pause; every call is a `PublishAttempt`, kept whatever its outcome.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from content.models import Publication, PublishAttempt, PublishTarget, RenderItem, VideoScript

DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_BACKOFF_SECONDS = 2.0
HTTP_TIMEOUT_SECONDS = 20


class PublishError(Exception):
    """A publisher's failure: `code` for the record, `retryable` if trying again may help."""

    def __init__(self, message: str, *, code: str = "error", retryable: bool = True) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable


@dataclass(frozen=True)
class VideoAsset:
    """What a publisher gets: the rendered files and what the video is about."""

    item_id: int
    title: str
    language: str
    description: str
    video_path: Path
    thumbnail_path: Path | None
    subtitles_path: Path | None
    video_url: str  # under MEDIA_URL, for publishers that link rather than upload
    thumbnail_url: str
    subtitles_url: str
    duration: float
    template: str
    manager: str = ""


@dataclass(frozen=True)
class PublishOutcome:
    external_id: str = ""
    external_url: str = ""
    message: str = ""


class Publisher:
    """Subclass, give it a unique `name`, implement `publish`, and `register_publisher` it."""

    name: str = ""
    label: str = ""

    def publish(self, asset: VideoAsset, config: dict[str, Any]) -> PublishOutcome:
        raise NotImplementedError

    def validate_config(self, config: dict[str, Any]) -> None:
        """Raise PublishError(code="bad_config", retryable=False) on a config it cannot use."""


_REGISTRY: dict[str, Publisher] = {}


def register_publisher(publisher: Publisher) -> Publisher:
    if not publisher.name:
        raise ValueError("a publisher needs a name")
    _REGISTRY[publisher.name] = publisher
    return publisher


def publisher_names() -> set[str]:
    return set(_REGISTRY)


def get_publisher(name: str) -> Publisher:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise PublishError(
            _("No publisher named %(name)r.") % {"name": name},
            code="unknown_publisher",
            retryable=False,
        ) from None


def _secret(config: dict[str, Any], key: str) -> str:
    """Secrets are named by environment variable in the target's config, never stored."""
    variable = str(config.get(f"{key}_env") or "")
    value = os.environ.get(variable, "") if variable else ""
    if not value:
        raise PublishError(
            _("The environment variable %(name)r with the %(key)s is not set.")
            % {"name": variable or f"<{key}_env>", "key": key},
            code="missing_secret",
            retryable=False,
        )
    return value


def _http_error(exc: urllib.error.HTTPError) -> PublishError:
    try:
        body = json.loads(exc.read() or b"{}")
    except ValueError:
        body = {}
    error = body.get("error") if isinstance(body, dict) else None
    code = (error or {}).get("code") if isinstance(error, dict) else None
    message = (error or {}).get("message") if isinstance(error, dict) else None
    retryable = exc.code == 429 or exc.code >= 500
    return PublishError(
        f"HTTP {exc.code}: {message or exc.reason}",
        code=code or f"http_{exc.code}",
        retryable=retryable,
    )


# --------------------------------------------------------------------------- webhook


class WebhookPublisher(Publisher):
    """POSTs the video's metadata and URLs as JSON, signed like Stripe/GitHub webhooks.

    Headers: `X-Studio-Timestamp` (Unix seconds) and `X-Studio-Signature:
    sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the shared secret>`; receivers reject
    old timestamps to stop replays. Config: {"url", "secret_env", "public_base_url"}.
    """

    name = "webhook"
    label = "Signed webhook"

    def validate_config(self, config: dict[str, Any]) -> None:
        url = str(config.get("url") or "")
        if not url.startswith(("http://", "https://")):
            raise PublishError(
                _("The webhook needs an http(s) url."), code="bad_config", retryable=False
            )

    def publish(self, asset: VideoAsset, config: dict[str, Any]) -> PublishOutcome:
        self.validate_config(config)
        secret = _secret(config, "secret")
        base = str(config.get("public_base_url") or "").rstrip("/")
        body = json.dumps(
            {
                "event": "video.published",
                "video": {
                    "id": asset.item_id,
                    "title": asset.title,
                    "language": asset.language,
                    "description": asset.description,
                    "duration": asset.duration,
                    "template": asset.template,
                    "manager": asset.manager,
                    "url": f"{base}{asset.video_url}",
                    "thumbnail_url": f"{base}{asset.thumbnail_url}",
                    "subtitles_url": f"{base}{asset.subtitles_url}",
                },
            },
            ensure_ascii=False,
        ).encode()
        timestamp = str(int(time.time()))
        signature = sign_webhook(secret, timestamp, body)
        request = urllib.request.Request(  # noqa: S310 - validate_config allows http(s) only
            str(config["url"]),
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Studio-Timestamp": timestamp,
                "X-Studio-Signature": f"sha256={signature}",
                "X-Studio-Delivery": f"video-{asset.item_id}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310 - http(s) checked
                reply = response.read(65536)
        except urllib.error.HTTPError as exc:
            raise _http_error(exc) from exc
        except OSError as exc:
            raise PublishError(str(exc), code="network", retryable=True) from exc
        try:
            data = json.loads(reply or b"{}")
        except ValueError:
            data = {}
        return PublishOutcome(
            external_id=str(data.get("id", "")) if isinstance(data, dict) else "",
            message=_("Delivered"),
        )


def sign_webhook(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


# --------------------------------------------------------------------------- short video


class ShortVideoPlatformPublisher(Publisher):
    """A short-video platform's open API (the shape Douyin/TikTok/Kuaishou open platforms use).

    1. `POST {base}/oauth/token` (form: grant_type=client_credentials, client_id,
       client_secret) → {"access_token", "expires_in"}; a 401 later refreshes it once.
    2. `POST {base}/v1/videos/uploads` {"file_size", "chunk_size", "total_chunks"} →
       {"upload_id"}; `PUT {base}/v1/videos/uploads/<upload_id>/chunks/<n>` with each chunk
       (`Content-Range: bytes a-b/size`); `POST .../<upload_id>/complete` → {"video_id"}.
    3. `POST {base}/v1/videos/publish` {"video_id", "title", "description"} → {"publish_id"}.
    4. `GET {base}/v1/videos/publish/<publish_id>` until "status" is "published" (with
       "share_url") or "failed" (with "error": {"code", "message"}).

    Errors are JSON {"error": {"code", "message"}}; 429 and 5xx are retried by the attempt
    loop, other 4xx are final. Config: {"base_url", "client_id", "client_secret_env",
    "chunk_size", "poll_seconds", "poll_limit"}.
    """

    name = "short_video"
    label = "Short-video platform"

    def validate_config(self, config: dict[str, Any]) -> None:
        if not str(config.get("base_url") or "").startswith(("http://", "https://")):
            raise PublishError(
                _("The platform needs an http(s) base_url."), code="bad_config", retryable=False
            )
        if not config.get("client_id"):
            raise PublishError(
                _("The platform needs a client_id."), code="bad_config", retryable=False
            )

    def _call(
        self,
        method: str,
        url: str,
        *,
        token: str = "",
        json_body: Any = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        if json_body is not None:
            data = json.dumps(json_body, ensure_ascii=False).encode()
            all_headers["Content-Type"] = "application/json"
        request = urllib.request.Request(  # noqa: S310 - validate_config allows http(s) only
            url, data=data, method=method, headers=all_headers
        )
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310 - http(s) checked
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise _http_error(exc) from exc
        except OSError as exc:
            raise PublishError(str(exc), code="network", retryable=True) from exc
        except ValueError as exc:
            raise PublishError(f"unreadable reply: {exc}", code="bad_reply") from exc

    def _token(self, base: str, config: dict[str, Any]) -> str:
        form = urllib.parse.urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": config["client_id"],
                "client_secret": _secret(config, "client_secret"),
            }
        ).encode()
        reply = self._call(
            "POST",
            f"{base}/oauth/token",
            data=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        token = reply.get("access_token")
        if not token:
            raise PublishError(
                "no access_token in the token reply", code="auth_failed", retryable=False
            )
        return str(token)

    def publish(self, asset: VideoAsset, config: dict[str, Any]) -> PublishOutcome:
        self.validate_config(config)
        base = str(config["base_url"]).rstrip("/")
        token = [self._token(base, config)]

        def call(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
            try:
                return self._call(method, f"{base}{path}", token=token[0], **kwargs)
            except PublishError as exc:
                if exc.code not in {"http_401", "token_expired", "invalid_token"}:
                    raise
                token[0] = self._token(base, config)
                return self._call(method, f"{base}{path}", token=token[0], **kwargs)

        data = asset.video_path.read_bytes()
        chunk_size = max(64 * 1024, int(config.get("chunk_size") or 4 * 1024 * 1024))
        chunks = max(1, math.ceil(len(data) / chunk_size))
        upload = call(
            "POST",
            "/v1/videos/uploads",
            json_body={"file_size": len(data), "chunk_size": chunk_size, "total_chunks": chunks},
        )
        upload_id = upload.get("upload_id")
        if not upload_id:
            raise PublishError("no upload_id in the reply", code="bad_reply")
        for n in range(chunks):
            part = data[n * chunk_size : (n + 1) * chunk_size]
            start = n * chunk_size
            call(
                "PUT",
                f"/v1/videos/uploads/{upload_id}/chunks/{n}",
                data=part,
                headers={
                    "Content-Type": "application/octet-stream",
                    "Content-Range": f"bytes {start}-{start + len(part) - 1}/{len(data)}",
                },
            )
        video_id = call("POST", f"/v1/videos/uploads/{upload_id}/complete", json_body={}).get(
            "video_id"
        )
        if not video_id:
            raise PublishError("no video_id after the upload", code="bad_reply")
        publish_id = call(
            "POST",
            "/v1/videos/publish",
            json_body={
                "video_id": video_id,
                "title": asset.title[:55],
                "description": asset.description[:1000],
            },
        ).get("publish_id")
        if not publish_id:
            raise PublishError("no publish_id in the reply", code="bad_reply")
        poll_seconds = float(config.get("poll_seconds", 2.0))
        for _poll in range(int(config.get("poll_limit", 30))):
            status = call("GET", f"/v1/videos/publish/{publish_id}")
            state = status.get("status")
            if state == "published":
                return PublishOutcome(
                    external_id=str(video_id),
                    external_url=str(status.get("share_url") or ""),
                    message=_("Published"),
                )
            if state == "failed":
                error = status.get("error") or {}
                raise PublishError(
                    str(error.get("message") or "the platform rejected the video"),
                    code=str(error.get("code") or "publish_failed"),
                    retryable=False,
                )
            time.sleep(poll_seconds)
        raise PublishError("still processing after polling", code="poll_timeout")


register_publisher(WebhookPublisher())
register_publisher(ShortVideoPlatformPublisher())


# --------------------------------------------------------------------------- the service


def video_asset(item: RenderItem) -> VideoAsset:
    media = Path(settings.MEDIA_ROOT)
    script = item.script
    description = " ".join(
        s.get("on_screen_text", "") for s in item.version.scenes if s.get("on_screen_text")
    )
    return VideoAsset(
        item_id=item.pk,
        title=script.title,
        language=script.language,
        description=(
            description + (f" {item.version.disclosure}" if item.version.disclosure else "")
        ).strip(),
        video_path=media / item.video,
        thumbnail_path=media / item.thumbnail if item.thumbnail else None,
        subtitles_path=media / item.subtitles if item.subtitles else None,
        video_url=f"{settings.MEDIA_URL}{item.video}",
        thumbnail_url=f"{settings.MEDIA_URL}{item.thumbnail}" if item.thumbnail else "",
        subtitles_url=f"{settings.MEDIA_URL}{item.subtitles}" if item.subtitles else "",
        duration=item.duration,
        template=script.template.key,
        manager=item.manager.name if item.manager_id else "",
    )


@transaction.atomic
def publication_create(*, item: RenderItem, target: PublishTarget, user: Any) -> Publication:
    """Queue a rendered, approved video for a target (the attempts run in a task)."""
    from content.studio.services import StudioError

    item = RenderItem.objects.select_related("script").get(pk=item.pk)
    if item.status != RenderItem.Status.DONE or not item.video:
        raise StudioError(_("Only rendered videos can be published."))
    if (
        item.script.status != VideoScript.Status.APPROVED
        or item.version_id != item.script.approved_version_id
    ):
        raise StudioError(_("Only videos of the approved version of a script are published."))
    if not target.is_active:
        raise StudioError(_("The target %(name)s is not active.") % {"name": target.name})
    get_publisher(target.publisher)  # an unknown publisher is refused before queueing
    publication = Publication.objects.create(
        item=item, target=target, created_by=user if getattr(user, "pk", None) else None
    )
    transaction.on_commit(lambda: _enqueue_publication(publication.pk))
    return publication


def _enqueue_publication(publication_id: int) -> None:
    from django_q.tasks import async_task

    async_task(
        "content.tasks.publication_run_task",
        publication_id,
        task_name=f"publish-video-{publication_id}",
        group="studio",
    )


def publication_run(
    *, publication_id: int, sleep: Callable[[float], None] = time.sleep
) -> Publication:
    """Try the publisher until it succeeds, fails for good or runs out of attempts.

    Not one transaction: each attempt is committed as it happens, so the log survives a crash.
    """
    publication = Publication.objects.select_related(
        "target", "item__script__template", "item__version", "item__manager"
    ).get(pk=publication_id)
    if publication.status == Publication.Status.PUBLISHED:
        return publication
    target = publication.target
    config = dict(target.config or {})
    max_attempts = int(config.get("max_attempts") or DEFAULT_MAX_ATTEMPTS)
    backoff = float(config.get("backoff_seconds", DEFAULT_BACKOFF_SECONDS))
    asset = video_asset(publication.item)
    number = publication.attempts.count()
    for _try in range(max_attempts):
        number += 1
        try:
            outcome = get_publisher(target.publisher).publish(asset, config)
        except PublishError as exc:
            PublishAttempt.objects.create(
                publication=publication,
                number=number,
                ok=False,
                error_code=exc.code[:80],
                message=str(exc)[:2000],
            )
            if not exc.retryable or _try == max_attempts - 1:
                break
            sleep(backoff * (2**_try))
            continue
        except Exception as exc:  # noqa: BLE001 - a publisher bug is recorded, not lost
            PublishAttempt.objects.create(
                publication=publication,
                number=number,
                ok=False,
                error_code="exception",
                message=f"{exc.__class__.__name__}: {exc}"[:2000],
            )
            break
        PublishAttempt.objects.create(
            publication=publication,
            number=number,
            ok=True,
            message=outcome.message[:2000],
            external_id=outcome.external_id[:200],
        )
        Publication.objects.filter(pk=publication.pk).update(
            status=Publication.Status.PUBLISHED,
            external_id=outcome.external_id[:200],
            external_url=outcome.external_url[:500],
            updated_at=timezone.now(),
        )
        publication.refresh_from_db()
        return publication
    Publication.objects.filter(pk=publication.pk).update(
        status=Publication.Status.FAILED, updated_at=timezone.now()
    )
    publication.refresh_from_db()
    return publication
