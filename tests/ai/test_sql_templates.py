"""SQL compiled once per shape gives what Django compiles for each question."""

from __future__ import annotations

import numpy as np
import pytest
from pgvector.django import CosineDistance

from bank_ai.ai.models import EMBEDDING_DIM, CuratedQuestion
from bank_ai.ai.retrieval import VECTOR_MARKER, vector_parameter
from bank_ai.ai.sql_templates import SqlTemplates


def _nearest(vector: object):  # noqa: ANN202 - a QuerySet
    return (
        CuratedQuestion.objects.filter(language="en")
        .annotate(distance=CosineDistance("embedding", vector))
        .order_by("distance")
        .values_list("id", "distance")[:5]
    )


def test_a_rendered_shape_is_what_django_compiles_for_that_question() -> None:
    templates = SqlTemplates()
    rng = np.random.default_rng(3)
    for _ in range(2):  # compiled on the first call, filled in on the second
        vector = rng.normal(size=EMBEDDING_DIM).astype(np.float32)
        rendered = templates.render(
            "nearest",
            lambda given: _nearest(given["vector"]),
            {"vector": VECTOR_MARKER},
            {"vector": vector_parameter(vector)},
        )
        sql, params = _nearest(vector).query.sql_with_params()
        assert rendered == (sql, list(params))


def test_a_marker_the_query_does_not_use_is_refused() -> None:
    with pytest.raises(ValueError, match="marker did not reach"):
        SqlTemplates().render(
            "unused",
            lambda given: CuratedQuestion.objects.filter(language="en"),
            {"vector": VECTOR_MARKER},
            {"vector": "[1]"},
        )
