"""Rebuild the clusters of unanswered customer questions now (the task runs nightly)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from content.needs.selectors import open_clusters
from content.needs.services import needs_rebuild


class Command(BaseCommand):
    help = "Cluster the questions the engine could not answer (embeddings) for knowledge editors."

    def handle(self, *args: Any, **options: Any) -> None:
        result = needs_rebuild()
        self.stdout.write(f"{'unanswered questions':<24}{result.questions:>8}")
        self.stdout.write(f"{'open clusters':<24}{result.clusters:>8}")
        self.stdout.write(f"{'drafted or dismissed':<24}{result.kept:>8}")
        for cluster in open_clusters()[:10]:
            self.stdout.write(f"  {cluster.size:>5}  [{cluster.language}] {cluster.label}")
