"""The hall screen in headless Chromium against a real daphne: the avatar issues a ticket, the
counter page calls a ticket and the screen announces it, and a playlist published in the admin
plays on the screen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.avatar.live import Live, live_servers

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db]


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker) -> Iterator[Live]:  # noqa: ANN001
    with live_servers(django_db_blocker, count=1, name="hall") as live:
        # Under REDIS_URL the test database has no cache table (Redis is the cache there); the
        # server here runs without Redis, on the database cache Wagtail's page URLs use.
        live.manage("createcachetable")
        yield live


def _answers(browser) -> int:  # noqa: ANN001
    return len(browser.find_elements("css selector", ".ac-msg.assistant:not(.streaming)"))


def test_the_hall_screen_issues_announces_and_plays(
    server: Live, demo_password: str, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    from tests.browser import chromium

    token = server.manage("issue_device_token", "demo-hall-screen").strip()
    [(counter_id,)] = server.sql(
        "SELECT c.id FROM devices_counter c JOIN devices_branch b ON b.id = c.branch_id "
        "JOIN devices_counter_services cs ON cs.counter_id = c.id "
        "JOIN devices_servicetype s ON s.id = cs.servicetype_id "
        "WHERE b.code = 'hq-central' AND s.code = 'cash' ORDER BY c.number LIMIT 1"
    )
    with chromium() as browser:
        # The first turn loads the embedding and intent models in the server: give it time.
        wait = WebDriverWait(browser, 150)
        browser.get(f"{server.http()}/devices/client/kiosk/?scenario=branch_hall#token={token}")
        screen = browser.current_window_handle
        wait.until(
            lambda b: b.find_element(By.ID, "ac-status").get_attribute("data-state") == "online"
        )
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, ".ac-msg.assistant"))
        for number, text in enumerate(("我要取钱", "好的"), start=2):
            browser.find_element(By.ID, "ac-text").send_keys(text)
            browser.find_element(By.CSS_SELECTOR, ".ac-send").click()
            # One turn at a time: the next is typed once this one is answered.
            wait.until(lambda b, n=number: _answers(b) == n)
        ticket = wait.until(lambda b: b.find_element(By.CSS_SELECTOR, ".ac-ticket .ac-number"))
        assert ticket.text.startswith("A")

        # Branch staff call the next ticket at the counter page.
        browser.switch_to.new_window("window")
        browser.get(f"{server.http()}/staff/login/?next=/branch/counter/?counter={counter_id}")
        browser.find_element(By.ID, "id_username").send_keys("branch")
        browser.find_element(By.ID, "id_password").send_keys(demo_password)
        browser.find_element(By.ID, "login-submit").click()
        wait.until(lambda b: b.find_element(By.ID, "call-next"))
        browser.find_element(By.ID, "call-next").click()
        called = wait.until(lambda b: b.find_element(By.ID, "current-ticket")).text
        browser.switch_to.window(screen)
        wait.until(lambda b: called in b.find_element(By.ID, "ac-announce").text)
        # Headless Chromium has no voice: the screen asks the server to read the call out.
        said = wait.until(
            lambda b: [
                text
                for text in b.execute_script("return window.bankAvatarSpeech.announced")
                if called in text
            ]
        )
        assert said
        browser.save_screenshot(str(tmp_path / "hall-called.png"))

        # Operations publish the anti-fraud playlist in the admin: the screen plays it.
        browser.switch_to.window(browser.window_handles[1])
        browser.get(f"{server.http()}/admin/login/?next=/admin/devices/playlist/")
        browser.find_element(By.ID, "id_username").send_keys("ops")
        browser.find_element(By.ID, "id_password").send_keys(demo_password)
        browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
        wait.until(lambda b: b.find_elements(By.ID, "changelist-form"))
        # Tick the playlist's row and run the "publish" action (through the DOM: the list's
        # script re-renders the action bar as rows are ticked).
        browser.execute_script(
            """
            const row = [...document.querySelectorAll('#result_list tbody tr')]
              .find((tr) => tr.textContent.includes(arguments[0]));
            row.querySelector('input.action-select').click();
            document.querySelector('select[name=action]').value = 'publish';
            document.querySelector('#changelist-form button[name=index]').click();
            """,
            "hq-central: anti-fraud notices",
        )
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, ".messagelist"))
        browser.switch_to.window(screen)
        banner = wait.until(
            lambda b: (
                b.find_element(By.ID, "ac-broadcast").is_displayed()
                and b.find_element(By.ID, "ac-broadcast")
            )
        )
        assert "fraud" in banner.get_attribute("class")
        assert banner.text.strip()
        browser.save_screenshot(str(tmp_path / "hall-broadcast.png"))
        browser.save_screenshot("/tmp/hall-broadcast.png")
