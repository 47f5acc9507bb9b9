"""The product as `make run` starts it: daphne and a django-q2 cluster in real processes.

The server runs on a copy of the seeded test database, so its commits never touch the
transactions the other tests run in.
"""

from __future__ import annotations

import asyncio
import json
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
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import websockets
from django.conf import settings
from django.db import connections

BASE_DIR = Path(settings.BASE_DIR)
SMOKE_DB = "test_bank_ai_smoke"

pytestmark = pytest.mark.slow


@dataclass
class LiveProduct:
    base_url: str
    env: dict[str, str]
    process: subprocess.Popen

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.base_url + path, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def manage(self, *args: str) -> str:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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


@pytest.fixture(scope="module")
def live_product(django_db_setup, django_db_blocker) -> Iterator[LiveProduct]:  # noqa: ANN001
    test_db = settings.DATABASES["default"]["NAME"]
    with django_db_blocker.unblock():
        connections.close_all()
        with _admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{SMOKE_DB}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{SMOKE_DB}" TEMPLATE "{test_db}"')
    port = _free_port()
    env = dict(
        os.environ,
        DATABASE_URL=_database_url(SMOKE_DB),
        DJANGO_ENV="development",
        CACHE_PREFIX=f"smoke{port}",
        CHANNEL_PREFIX=f"smoke{port}",
        Q_WORKERS="1",
    )
    # A file, not a pipe: an unread pipe fills with request logs and stalls the server.
    log_path = Path(tempfile.gettempdir()) / f"smoke-product-{port}.log"
    with open(log_path, "w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--port", str(port)],
            cwd=BASE_DIR,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    product = LiveProduct(f"http://127.0.0.1:{port}", env, process)
    deadline = time.monotonic() + 90
    status = 0
    while time.monotonic() < deadline and process.poll() is None:
        try:
            status, _ = product.get("/healthz")
        except OSError:
            status = 0
        if status == 200:
            break
        time.sleep(1)
    if status != 200:
        process.kill()
        output = log_path.read_text(errors="replace")
        log_path.unlink(missing_ok=True)
        pytest.fail(f"the product did not become healthy (last status {status}):\n{output[-3000:]}")
    try:
        yield product
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        log_path.unlink(missing_ok=True)
        with django_db_blocker.unblock(), _admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{SMOKE_DB}" WITH (FORCE)')


def test_healthz_is_200_with_every_part_up(live_product: LiveProduct) -> None:
    status, body = live_product.get("/healthz")
    health = json.loads(body)
    assert status == 200, body
    assert health["failing"] == []
    assert health["parts"]["task_queue"]["ok"] is True


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/admin/login/", "海港银行管理后台"),
        ("/cms/login/", "wagtail"),
        ("/api/docs/", "swagger-ui"),
        ("/zh-hans/kb/", "海港银行知识库"),
        ("/en/kb/", "Harbour Bank knowledge base"),
        ("/static/css/site.css", "--brand"),
    ],
)
def test_the_web_uis_are_served(live_product: LiveProduct, path: str, expected: str) -> None:
    status, body = live_product.get(path)
    assert status == 200
    assert expected in body


def test_a_device_connects_to_the_avatar_socket_with_an_issued_token(
    live_product: LiveProduct,
) -> None:
    token = live_product.manage("issue_device_token", "demo-kiosk").strip()
    url = live_product.base_url.replace("http", "ws") + f"/ws/avatar/?token={token}"

    async def scenario() -> tuple[dict, dict]:
        async with websockets.connect(url) as ws:
            hello = json.loads(await ws.recv())
            await ws.send(json.dumps({"type": "ping", "nonce": 42}))
            pong = json.loads(await ws.recv())
            return hello, pong

    hello, pong = asyncio.run(scenario())
    assert hello["device"] == "demo-kiosk"
    assert pong == {**pong, "type": "pong", "echo": 42}


def test_the_avatar_socket_refuses_a_connection_without_a_token(live_product: LiveProduct) -> None:
    url = live_product.base_url.replace("http", "ws") + "/ws/avatar/"

    async def scenario() -> None:
        async with websockets.connect(url):
            pass

    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        asyncio.run(scenario())
    assert refused.value.response.status_code == 403


def test_the_admin_works_in_a_real_browser(
    live_product: LiveProduct, demo_password: str, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.select import Select
    from selenium.webdriver.support.wait import WebDriverWait

    from tests.browser import chromium

    with chromium() as browser:
        browser.get(live_product.base_url + "/admin/login/")
        for language, label in (("zh-hans", "用户名"), ("en", "Username")):
            Select(browser.find_element(By.ID, "language-select")).select_by_value(language)
            WebDriverWait(browser, 10).until(lambda b, label=label: label in b.page_source)
        browser.find_element(By.ID, "id_username").send_keys("ops")
        browser.find_element(By.ID, "id_password").send_keys(demo_password)
        browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
        WebDriverWait(browser, 10).until(lambda b: "Devices and branches" in b.page_source)
        browser.save_screenshot(str(tmp_path / "admin.png"))
        browser.save_screenshot("/tmp/admin-smoke.png")


def test_ctrl_c_stops_the_server_and_the_cluster(live_product: LiveProduct) -> None:
    live_product.process.send_signal(signal.SIGINT)
    assert live_product.process.wait(timeout=30) == 0
    with pytest.raises(urllib.error.URLError):
        live_product.get("/healthz")
