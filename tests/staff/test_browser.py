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
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connections

from tests.browser import chromium
from tests.fakes.anthropic_server import FakeAnthropicServer, Reply
from tests.staff.conftest import MARKUP_ANSWER

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


@contextmanager
def _daphne(django_db_blocker, database: str, **env: str) -> Iterator[str]:  # noqa: ANN001
    """daphne serving a copy of the seeded test database, with ``env`` added to its own."""
    test_db = settings.DATABASES["default"]["NAME"]
    with django_db_blocker.unblock():
        connections.close_all()
        with _admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{database}" TEMPLATE "{test_db}"')
    port = _free_port()
    env = dict(
        os.environ,
        DATABASE_URL=_database_url(database),
        DJANGO_ENV="development",
        DJANGO_SETTINGS_MODULE="bank_ai.settings",
        CACHE_PREFIX=f"browser{port}",
        CHANNEL_PREFIX=f"browser{port}",
        **env,
    )
    daphne = Path(sys.executable).parent / "daphne"
    # A file, not a pipe: an unread pipe fills with request logs and stalls daphne.
    log_path = Path(tempfile.gettempdir()) / f"staff-browser-{port}.log"
    with open(log_path, "w") as log_file:
        process = subprocess.Popen(
            [str(daphne), "-b", "127.0.0.1", "-p", str(port), "bank_ai.asgi:application"],
            cwd=BASE_DIR,
            env=env,
            stdout=log_file,
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
        output = log_path.read_text(errors="replace")
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
        log_path.unlink(missing_ok=True)
        with django_db_blocker.unblock(), _admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture(scope="module")
def daphne_url(django_db_setup, django_db_blocker) -> Iterator[str]:  # noqa: ANN001
    with _daphne(django_db_blocker, BROWSER_DB) as base:
        yield base


@pytest.fixture(scope="module")
def markup_daphne_url(django_db_setup, django_db_blocker) -> Iterator[str]:  # noqa: ANN001
    """daphne whose Messages API (a local fake) answers everything with MARKUP_ANSWER."""
    with (
        FakeAnthropicServer(lambda _request: Reply(MARKUP_ANSWER)) as llm,
        _daphne(
            django_db_blocker,
            f"{BROWSER_DB}_markup",
            ANTHROPIC_API_KEY=llm.api_key,
            ANTHROPIC_BASE_URL=llm.base_url,
        ) as base,
    ):
        yield base


def _sign_in(browser, base: str, password: str) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(base + "/staff/")
    browser.find_element(By.ID, "id_username").send_keys("employee")
    browser.find_element(By.ID, "id_password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, ".staff-form button[type=submit]").click()
    WebDriverWait(browser, 30).until(ready.presence_of_element_located((By.ID, "staff-chat")))


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


def test_an_answer_with_markup_is_shown_as_text_and_injects_nothing(
    markup_daphne_url: str, demo_password: str
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    with chromium() as browser:
        _sign_in(browser, markup_daphne_url, demo_password)
        browser.find_element(By.ID, "question").send_keys("出国前银行卡要做什么准备？")
        browser.find_element(By.ID, "send").click()
        streamed = WebDriverWait(browser, 30).until(
            ready.presence_of_element_located(
                (By.CSS_SELECTOR, ".msg--assistant[data-state='done'] .msg-body")
            )
        )
        shown_live = streamed.get_attribute("textContent")
        injected_live = streamed.find_elements(By.CSS_SELECTOR, "img, b")
        untouched_live = browser.execute_script("return window.__pwned === undefined")
        browser.get(browser.current_url)  # the stored answer, rendered by the server
        stored = browser.find_element(By.CSS_SELECTOR, ".msg--assistant .msg-body")

        assert shown_live == MARKUP_ANSWER
        assert injected_live == []
        assert untouched_live
        assert stored.get_attribute("textContent") == MARKUP_ANSWER
        assert stored.find_elements(By.CSS_SELECTOR, "img, b") == []
        assert browser.execute_script("return window.__pwned === undefined")
