"""Debian's headless Chromium, driven through its own chromedriver (no browser download)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


@contextmanager
def chromium(
    width: int = 1280, height: int = 900, language: str = "zh-CN", flags: tuple[str, ...] = ()
) -> Iterator[object]:
    binary = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    if not binary or not driver_path:
        pytest.skip(
            "Debian's chromium and chromium-driver are not installed (make test installs "
            "them when run as root)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    # The machine has no network but loopback: keep Chromium from phoning home.
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--window-size={width},{height}",
        "--lang=zh-CN",
        *flags,
    ):
        options.add_argument(flag)
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        browser = webdriver.Chrome(service=Service(driver_path), options=options)
        browser.implicitly_wait(10)
        try:
            yield browser
        finally:
            browser.quit()
