"""Helpers for the super-teller and takeover tests: channel listeners."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.channel_listener import GroupListener, capture_commits


@pytest.fixture
def listen() -> Callable[..., GroupListener]:
    return GroupListener


@pytest.fixture
def committed() -> Callable[[], Any]:
    return capture_commits
