"""The demo kiosk page in real headless Chromium against a real daphne."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.avatar.live import Live, live_servers

# django_db: makes pytest-django set up the test database the server copies.
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db]


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker) -> Iterator[Live]:  # noqa: ANN001
    with live_servers(django_db_blocker, count=1, name="browser") as live:
        yield live


def _answers(browser) -> int:  # noqa: ANN001
    return len(browser.find_elements("css selector", ".ac-msg.assistant:not(.streaming)"))


def test_the_kiosk_page_talks_streams_answers_and_renders_cards(
    server: Live, demo_password: str, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.select import Select
    from selenium.webdriver.support.wait import WebDriverWait

    from tests.browser import chromium

    with chromium() as browser:
        browser.get(server.http() + "/admin/login/?next=/devices/demo-kiosk/console/")
        Select(browser.find_element(By.ID, "language-select")).select_by_value("zh-hans")
        WebDriverWait(browser, 10).until(lambda b: "用户名" in b.page_source)
        browser.find_element(By.ID, "id_username").send_keys("ops")
        browser.find_element(By.ID, "id_password").send_keys(demo_password)
        browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
        wait = WebDriverWait(browser, 60)
        wait.until(lambda b: b.find_element(By.ID, "ac-status").get_attribute("data-state")
                   == "online")
        wait.until(lambda b: _answers(b) == 1)  # the greeting
        assert "信用卡" in browser.find_element(By.CSS_SELECTOR, ".ac-msg.assistant").text
        assert "数字柜员" in browser.page_source or "Digital teller" in browser.page_source
        streamed = []
        for number, text in enumerate(
            ["我经常出国旅游，也喜欢美食", "年收入30万", "不想要年费", "对"], start=2
        ):
            box = browser.find_element(By.ID, "ac-text")
            box.send_keys(text)
            browser.find_element(By.CSS_SELECTOR, ".ac-send").click()
            wait.until(lambda b, n=number: _answers(b) == n)
            streamed.append(browser.execute_script(
                "return [...document.querySelectorAll('.ac-msg.customer')].pop().dataset.stored"
            ))
        cards = browser.find_elements(By.CSS_SELECTOR, ".ac-card")
        assert cards, "the recommendation shows card tiles"
        assert all(card.find_element(By.CSS_SELECTOR, ".ac-card-name").text for card in cards)
        assert browser.find_elements(By.CSS_SELECTOR, ".ac-comparison table th")
        assert streamed == ["1"] * 4  # every turn was acknowledged as stored
        mouth = browser.find_element(By.ID, "ac-mouth").get_attribute("ry")
        assert float(mouth) >= 2
        browser.save_screenshot(str(tmp_path / "kiosk.png"))
        browser.save_screenshot("/tmp/avatar-kiosk.png")
        # A reload resumes the same session: the transcript comes back from the replay.
        browser.refresh()
        wait.until(lambda b: _answers(b) == 5)
        assert browser.find_elements(By.CSS_SELECTOR, ".ac-card")
