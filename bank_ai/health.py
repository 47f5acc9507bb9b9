"""`/healthz`: every part the product needs, checked for real, 503 naming what is down.

Anyone sees which parts are up; only staff see the details (versions, error messages).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def check_database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version')")
        server_version = cursor.fetchone()[0]
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        row = cursor.fetchone()
    if row is None:
        raise RuntimeError("pgvector extension is not installed (run migrate)")
    return {
        "postgresql": server_version,
        "pgvector": row[0],
        "embedded": settings.USE_EMBEDDED_DATABASE,
    }


def check_channel_layer() -> dict[str, Any]:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    channel = async_to_sync(layer.new_channel)()
    token = uuid.uuid4().hex
    async_to_sync(layer.send)(channel, {"type": "health.probe", "token": token})
    message = async_to_sync(layer.receive)(channel)
    if message.get("token") != token:
        raise RuntimeError("channel layer returned a different message")
    return {"backend": type(layer).__name__}


def check_task_queue() -> dict[str, Any]:
    from django_q.brokers import get_broker
    from django_q.status import Stat

    broker = get_broker()
    if not broker.ping():
        raise RuntimeError("task broker does not answer")
    clusters = [stat for stat in Stat.get_all(broker=broker) if stat.status != "Stopped"]
    if not clusters:
        raise RuntimeError("no django-q2 cluster is running (start it with manage.py qcluster)")
    return {
        "broker": type(broker).__name__,
        "clusters": len(clusters),
        "queued": broker.queue_size(),
    }


def check_llm() -> dict[str, Any]:
    from bank_ai.ai.runtime import provider_description

    return provider_description()


CHECKS: dict[str, Callable[[], dict[str, Any]]] = {
    "database": check_database,
    "channel_layer": check_channel_layer,
    "task_queue": check_task_queue,
    "llm": check_llm,
}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    parts: dict[str, dict[str, Any]] = {}
    failing: list[str] = []
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            detail = check()
            parts[name] = {"ok": True, **detail}
        except Exception as exc:  # noqa: BLE001 - any failure of a part is reported, not raised
            parts[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            failing.append(name)
        parts[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    if not request.user.is_staff:
        # Errors and versions carry socket paths, host names and software versions; a load
        # balancer or a passer-by needs only which parts are up.
        parts = {name: {"ok": part["ok"]} for name, part in parts.items()}
    body = {"status": "ok" if not failing else "down", "failing": failing, "parts": parts}
    return JsonResponse(body, status=503 if failing else 200)
