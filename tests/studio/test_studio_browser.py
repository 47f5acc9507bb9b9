"""The studio's whole path in headless Chromium against a real daphne, a django-q2 cluster and
Redis: a producer picks a topic, generates a script, shortens it and submits it; compliance
approves; the batch renders; the video plays in a hall screen's playlist and lands on a (fake)
short-video platform."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.avatar.live import BASE_DIR, Live, live_servers
from tests.fakes.short_video_platform import FakePlatform, running_platform

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.redis, pytest.mark.django_db]

# Known flake, to be fixed: an admin page load in Chromium occasionally stalls past chromedriver's
# read timeout under load (the path itself passes on rerun). Two reruns keep CI honest about a
# real break, which fails all three times.
FLAKY = pytest.mark.flaky(reruns=2, reruns_delay=5)

SECRET_ENV = "STUDIO_BROWSER_PLATFORM_SECRET"


@pytest.fixture(scope="module")
def platform() -> Iterator[FakePlatform]:
    with running_platform() as fake:
        yield fake


@pytest.fixture(scope="module")
def server(
    django_db_setup,
    django_db_blocker,
    tmp_path_factory,
    platform: FakePlatform,  # noqa: ANN001
) -> Iterator[Live]:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip("REDIS_URL is not set: the render worker pushes to the hall screen via Redis")
    media = tmp_path_factory.mktemp("media")
    saved = {key: os.environ.get(key) for key in ("MEDIA_ROOT", SECRET_ENV)}
    os.environ["MEDIA_ROOT"] = str(media)
    os.environ[SECRET_ENV] = platform.client_secret
    try:
        with live_servers(django_db_blocker, count=1, redis_url=url, name="studio") as live:
            live.manage("shell", "-c", _SETUP.format(base_url=platform.base_url, env=SECRET_ENV))
            log = (media / "qcluster.log").open("w")
            worker = subprocess.Popen(
                [sys.executable, "manage.py", "qcluster"],
                cwd=BASE_DIR,
                env={**live.env, "Q_WORKERS": "1"},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                yield live
            finally:
                os.killpg(worker.pid, signal.SIGTERM)
                try:
                    worker.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(worker.pid, signal.SIGKILL)
                log.close()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# The hall playlist on air with short text items, and the platform as an active target.
_SETUP = """
from content.models import PublishTarget
from devices.broadcasts import playlist_publish
from devices.models import Playlist
playlist = Playlist.objects.get(name="hq-central: anti-fraud notices")
playlist.items.update(duration_seconds=3)
playlist_publish(playlist=playlist)
PublishTarget.objects.update_or_create(name="Short-video platform", defaults={{
    "publisher": "short_video", "is_active": True,
    "config": {{"base_url": "{base_url}", "client_id": "harbourbank",
               "client_secret_env": "{env}", "poll_seconds": 0.2, "backoff_seconds": 0.5}}}})
"""


def _rendered(server: Live) -> bool:
    rows = server.sql("SELECT status, last_error FROM content_renderitem")
    assert not any(status == "failed" for status, _error in rows), rows
    return bool(rows) and all(status == "done" for status, _error in rows)


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:] if path.exists() else ""


def _login(browser, server: Live, username: str, password: str) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    browser.delete_all_cookies()
    browser.get(f"{server.http()}/admin/login/?next=/admin/")
    browser.find_element(By.ID, "id_username").send_keys(username)
    browser.find_element(By.ID, "id_password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    # The next browser.get() must not cut the login's POST short: on a loaded machine it did,
    # and the page after it was the login form again.
    WebDriverWait(browser, 60).until(
        lambda b: b.find_elements(By.ID, "logout-form") or b.find_elements(By.ID, "user-tools"),
        message=f"{username} was not logged in: {browser.page_source[-2000:]}",
    )


def _run_action(browser, row_text: str, action: str) -> None:  # noqa: ANN001
    from selenium.webdriver.support.wait import WebDriverWait

    WebDriverWait(browser, 60).until(
        lambda b: b.execute_script(
            "return [...document.querySelectorAll('#result_list tbody tr')]"
            ".some((tr) => tr.textContent.includes(arguments[0]))",
            row_text,
        ),
        message=f"no row {row_text!r} on {browser.current_url}: {browser.page_source[-3000:]}",
    )
    # Through the DOM: the changelist's script re-renders the action bar as rows are ticked.
    browser.execute_script(
        """
        const row = [...document.querySelectorAll('#result_list tbody tr')]
          .find((tr) => tr.textContent.includes(arguments[0]));
        row.querySelector('input.action-select').click();
        document.querySelector('select[name=action]').value = arguments[1];
        document.querySelector('#changelist-form button[name=index]').click();
        """,
        row_text,
        action,
    )


def _publish(browser, server: Live, target: str, title: str) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.select import Select

    browser.get(f"{server.http()}/admin/content/renderitem/")
    _run_action(browser, title, "publish")
    select = Select(browser.find_element(By.ID, "id_target"))
    select.select_by_visible_text(target)
    browser.find_element(By.ID, "publish-confirm").click()
    browser.find_element(By.CSS_SELECTOR, ".messagelist")


@FLAKY
def test_a_video_goes_from_topic_to_hall_screen_and_platform(
    server: Live, platform: FakePlatform, demo_password: str, tmp_path: Path
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.select import Select
    from selenium.webdriver.support.wait import WebDriverWait

    from tests.browser import chromium

    worker_log = Path(server.env["MEDIA_ROOT"]) / "qcluster.log"
    token = server.manage("issue_device_token", "demo-hall-screen").strip()
    # The hall screen is its own browser, as on the wall. (With both in one browser, the admin's
    # navigations after a publish hung past chromedriver's 120 s twice; cause not pinned down.)
    with chromium() as hall, chromium() as browser:
        # Pages reload after each action: an element found just before the reload goes stale.
        wait = WebDriverWait(browser, 180, ignored_exceptions=(StaleElementReferenceException,))
        # The hall screen is on and connected before anything is published.
        hall.get(f"{server.http()}/devices/client/kiosk/?scenario=branch_hall#token={token}")
        WebDriverWait(hall, 180).until(
            lambda b: b.find_element(By.ID, "ac-status").get_attribute("data-state") == "online"
        )

        # The producer picks the anti-fraud topic from the ranked pool.
        _login(browser, server, "producer", demo_password)
        browser.get(f"{server.http()}/admin/content/topic/?q=校园贷")
        WebDriverWait(browser, 60).until(
            lambda b: b.find_elements(By.CSS_SELECTOR, "a.generate-script"),
            message=f"no topic to script: {browser.page_source[-3000:]}",
        )[0].click()
        Select(browser.find_element(By.ID, "id_template")).select_by_visible_text(
            "反诈提醒 / Anti-fraud alert"
        )
        Select(browser.find_element(By.ID, "id_target_seconds")).select_by_value("60")
        browser.find_element(By.ID, "generate-submit").click()
        estimated = wait.until(lambda b: b.find_element(By.ID, "estimated-seconds"))
        long_seconds = float(estimated.get_attribute("data-seconds"))
        narrations = browser.find_elements(By.CSS_SELECTOR, "textarea.narration")
        assert len(narrations) == 4  # three scenes and the blank row for a new one
        title = browser.find_element(By.NAME, "title").get_attribute("value")

        # Shorten to 30 s.
        Select(browser.find_element(By.ID, "target-seconds")).select_by_value("30")
        browser.find_element(By.ID, "resize-script").click()
        wait.until(
            lambda b: (
                float(b.find_element(By.ID, "estimated-seconds").get_attribute("data-seconds"))
                < long_seconds
            )
        )
        # An empty script is refused with a message and the page keeps what was typed.
        for area in browser.find_elements(By.CSS_SELECTOR, ".scene:not(.new-scene) textarea"):
            area.clear()
        browser.find_element(By.ID, "save-script").click()
        error = wait.until(lambda b: b.find_element(By.CSS_SELECTOR, ".messagelist .error"))
        assert "empty" in error.text or "空" in error.text
        browser.get(browser.current_url)
        # Two short scenes keep the render quick.
        browser.find_element(By.NAME, "scene-2-remove").click()
        first = browser.find_element(By.NAME, "scene-0-narration")
        first.clear()
        first.send_keys("警惕冒充客服的注销校园贷骗局。")
        second = browser.find_element(By.NAME, "scene-1-narration")
        second.clear()
        second.send_keys("海港银行不会向您索要验证码或密码。")
        browser.find_element(By.ID, "save-script").click()
        wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, ".scene:not(.new-scene)")) == 2)
        browser.find_element(By.ID, "submit-script").click()
        wait.until(
            lambda b: (
                b.find_element(By.ID, "script-status").get_attribute("data-status") == "submitted"
            )
        )
        script_url = browser.current_url

        # Compliance approves.
        _login(browser, server, "compliance", demo_password)
        browser.get(script_url)
        browser.find_element(By.ID, "review-comment").send_keys("符合反诈宣传口径")
        browser.find_element(By.ID, "approve-script").click()
        wait.until(
            lambda b: (
                b.find_element(By.ID, "script-status").get_attribute("data-status") == "approved"
            )
        )

        # The producer renders it as a batch: the batch page (which refreshes itself while the
        # worker renders) shows it finished.
        _login(browser, server, "producer", demo_password)
        browser.get(f"{server.http()}/admin/content/videoscript/")
        _run_action(browser, title, "render_selected")
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, ".batch-progress"))
        batch_url = browser.current_url
        # Polled in the database, not through a page that reloads itself under the driver.
        WebDriverWait(server, 300, poll_frequency=2).until(
            lambda s: _rendered(s), message=f"render worker log: {_tail(worker_log)}"
        )
        browser.get(batch_url)
        finished = browser.find_element(By.CSS_SELECTOR, ".batch-progress")
        assert finished.get_attribute("data-finished") == "yes"
        video_link = browser.find_element(By.CSS_SELECTOR, "a.rendered-video")
        video_url = video_link.get_attribute("href")
        browser.save_screenshot(str(tmp_path / "studio-batch.png"))

        # Published to the platform, then to the hall screens (last: the screen then starts
        # fetching the video from the same server).
        _publish(browser, server, "Short-video platform", title)
        wait.until(lambda b: platform.videos and platform.publishes)
        _publish(browser, server, "Hall screens: hq-central anti-fraud playlist", title)

        video = WebDriverWait(hall, 180).until(
            lambda b: b.find_element(By.CSS_SELECTOR, "#ac-broadcast video")
        )
        assert video.get_attribute("src") == video_url
        hall.save_screenshot(str(tmp_path / "studio-hall.png"))

    (published,) = platform.publishes.values()
    assert published["title"] == title[:55]
    (uploaded,) = platform.videos.values()
    assert uploaded[4:8] == b"ftyp"  # an MP4 arrived whole
