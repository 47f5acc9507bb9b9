"""SQL compiled once per query shape, its per-question parameters filled in on each call.

Django compiles a queryset to SQL every time it is evaluated. For the three queries every
knowledge question runs (the nearest curated questions, retrieval's vector candidates and its
full-text pool) that was about a millisecond and a half of the ~20 ms a local turn costs. Between
questions they differ only in a parameter or two - the question's vector, its words - so each
shape is compiled once with marker values in those places, and a call swaps the markers'
parameters for its own. Everything else that shapes the SQL (filters, the day, limits) is part
of the caller's key.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from django.db.models import QuerySet


class SqlTemplates:
    MAX_SHAPES = 256

    def __init__(self) -> None:
        self._shapes: OrderedDict[Hashable, tuple[str, tuple[Any, ...], dict[int, str]]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def render(
        self,
        key: Hashable,
        build: Callable[[Mapping[str, Any]], QuerySet],
        markers: Mapping[str, tuple[Any, Any]],
        values: Mapping[str, Any],
    ) -> tuple[str, list[Any]]:
        """(sql, params) of `build(...)` for these `values`.

        `markers`: name -> (what `build` is given in that place, the parameter Django compiles
        it to); `values`: name -> this call's parameter (as Django would have compiled it).
        """
        with self._lock:
            shape = self._shapes.get(key)
            if shape is not None:
                self._shapes.move_to_end(key)
        if shape is None:
            sql, params = build(
                {name: given for name, (given, _) in markers.items()}
            ).query.sql_with_params()
            compiled = {name: param for name, (_, param) in markers.items()}
            positions = {
                i: name
                for i, param in enumerate(params)
                for name, marker in compiled.items()
                if isinstance(param, type(marker)) and param == marker
            }
            if set(positions.values()) != set(compiled):
                raise ValueError(f"a marker did not reach the SQL of {key!r}")
            shape = (sql, tuple(params), positions)
            with self._lock:
                self._shapes[key] = shape
                while len(self._shapes) > self.MAX_SHAPES:
                    self._shapes.popitem(last=False)
        sql, params, positions = shape
        return sql, [values[positions[i]] if i in positions else p for i, p in enumerate(params)]


# One per process: the shapes are the same for every caller.
shared = SqlTemplates()
