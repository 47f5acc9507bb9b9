"""With REDIS_URL, separate processes share one channel layer (several daphne workers)."""

from __future__ import annotations

import uuid

import pytest
from asgiref.sync import async_to_sync
from channels_redis.core import RedisChannelLayer

pytestmark = pytest.mark.redis


def test_a_group_message_crosses_between_two_layer_instances(redis_url: str) -> None:
    prefix = f"bank_ai_test_{uuid.uuid4().hex[:8]}"
    # Two instances stand in for two daphne processes: they share nothing but Redis.
    worker_a = RedisChannelLayer(hosts=[redis_url], prefix=prefix)
    worker_b = RedisChannelLayer(hosts=[redis_url], prefix=prefix)

    async def scenario() -> dict:
        channel = await worker_a.new_channel()
        await worker_a.group_add("branch-hq-central", channel)
        await worker_b.group_send("branch-hq-central", {"type": "broadcast.play", "item": 7})
        message = await worker_a.receive(channel)
        await worker_a.group_discard("branch-hq-central", channel)
        await worker_a.flush()
        return message

    assert async_to_sync(scenario)() == {"type": "broadcast.play", "item": 7}


def test_the_project_uses_the_redis_layer_when_redis_url_is_set(redis_url: str) -> None:
    from channels_redis.core import RedisChannelLayer
    from django.conf import settings
    from django.utils.module_loading import import_string

    backend = import_string(settings.CHANNEL_LAYERS["default"]["BACKEND"])
    assert issubclass(backend, RedisChannelLayer)
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
