"""Rows every dialogue turn reads and each process keeps a copy of (scenarios.definitions).

post_save / post_delete tell the copies that a row changed; the bulk paths (`update`,
`bulk_create`, `bulk_update`) send no such signal, so the models' manager sends `bulk_changed`.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.dispatch import Signal

# Sent with `sender` = the model after a bulk write of its rows.
bulk_changed = Signal()


class WatchedQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        count = super().update(**kwargs)
        bulk_changed.send(sender=self.model)
        return count

    def bulk_create(self, *args: Any, **kwargs: Any) -> list[Any]:
        created = super().bulk_create(*args, **kwargs)
        bulk_changed.send(sender=self.model)
        return created

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        count = super().bulk_update(*args, **kwargs)
        bulk_changed.send(sender=self.model)
        return count


WatchedManager = models.Manager.from_queryset(WatchedQuerySet)
