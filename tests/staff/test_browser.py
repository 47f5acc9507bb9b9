"""Headless Chromium against daphne: an employee signs in to /staff/, asks, watches the answer
stream in, and follows a citation to the cited revision of the source page.

daphne serves a copy of the seeded test database, so its commits never touch the
transactions the other tests run in.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connections

from tests.browser import chromium

BASE_DIR = Path(settings.BASE_DIR)
BROWSER_DB = "test_bank_ai_staff_browser"

# django_db: so that pytest-django sets up (and the session fixture seeds) the test database
# even when this module runs alone; the browser test itself only talks to daphne.
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db]


def _admin_connection() -> psycopg.Connection:
    db = settings.DATABASES["default"]
    return psycopg.connect(
        host=db["HOST"],
        port=db["PORT"],
        user=db["USER"],
        password=db.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    )


def _database_url(name: str) -> str:
    db = settings.DATABASES["default"]
    host = db["HOST"].replace("/", "%2F")
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{host}:{db['PORT']}/{name}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


@pytest.fixture(scope="module")
def daphne_url(django_db_setup, django_db_blocker) -> Iterator[str]:  # noqa: ANN001
    test_db = settings.DATABASES["default"]["NAME"]
    with django_db_blocker.unblock():
        connections.close_all()
        with _admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{BROWSER_DB}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{BROWSER_DB}" TEMPLATE "{test_db}"')
    port = _free_port()
    env = dict(
        os.environ,
        DATABASE_URL=_database_url(BROWSER_DB),
        DJANGO_ENV="development",
        DJANGO_SETTINGS_MODULE="bank_ai.settings",
        CACHE_PREFIX=f"browser{port}",
        CHANNEL_PREFIX=f"browser{port}",
    )
    daphne = Path(sys.executable).parent / "daphne"
    process = subprocess.Popen(
        [str(daphne), "-b", "127.0.0.1", "-p", str(port), "bank_ai.asgi:application"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        if _status(base + "/staff/login/") == 200:
            break
        time.sleep(0.5)
    else:
        process.kill()
        output = process.stdout.read() if process.stdout else ""
        pytest.fail(f"daphne did not start:\n{output[-3000:]}")
    try:
        yield base
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        with django_db_blocker.unblock(), _admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{BROWSER_DB}" WITH (FORCE)')


def test_an_employee_asks_and_follows_a_streamed_answers_citation(
    daphne_url: str, demo_password: str
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    with chromium() as browser:
        wait = WebDriverWait(browser, 30)
        browser.get(daphne_url + "/staff/")
        assert "/staff/login/" in browser.current_url
        browser.find_element(By.ID, "id_username").send_keys("employee")
        browser.find_element(By.ID, "id_password").send_keys(demo_password)
        browser.find_element(By.CSS_SELECTOR, ".staff-form button[type=submit]").click()
        wait.until(ready.presence_of_element_located((By.ID, "staff-chat")))

        browser.find_element(By.ID, "question").send_keys("借记卡密码忘了，在自助机上怎么重置？")
        browser.find_element(By.ID, "send").click()
        answer = wait.until(
            ready.presence_of_element_located(
                (By.CSS_SELECTOR, ".msg--assistant[data-state='done']")
            )
        )

        # The text arrived as several streamed deltas before the final answer replaced it.
        assert int(answer.get_attribute("data-deltas")) >= 2
        assert answer.find_element(By.CSS_SELECTOR, ".msg-body").text.strip()
        assert "/staff/c/" in browser.current_url
        source = answer.find_element(By.CSS_SELECTOR, ".msg-sources a.source-link")
        title = source.text
        href = source.get_attribute("href")
        assert "/revisions/" in href

        source.click()  # opens the cited revision in a new tab
        wait.until(lambda driver: len(driver.window_handles) == 2)
        browser.switch_to.window(browser.window_handles[1])
        wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, ".kb-article h1")))
        assert browser.current_url == href
        assert browser.find_element(By.CSS_SELECTOR, ".kb-article h1").text == title
        assert browser.find_element(By.CSS_SELECTOR, "[data-revision]")
