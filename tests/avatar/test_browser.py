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
        # ?scenario= skips the kiosk's start menu (tests/clients walk the menus).
        page = "/devices/demo-kiosk/console/%3Fscenario%3Dcredit_card"
        browser.get(server.http() + "/admin/login/?next=" + page)
        Select(browser.find_element(By.ID, "language-select")).select_by_value("zh-hans")
        WebDriverWait(browser, 10).until(lambda b: "用户名" in b.page_source)
        browser.find_element(By.ID, "id_username").send_keys("ops")
        browser.find_element(By.ID, "id_password").send_keys(demo_password)
        browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
        wait = WebDriverWait(browser, 60)
        wait.until(
            lambda b: b.find_element(By.ID, "ac-status").get_attribute("data-state") == "online"
        )
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
            streamed.append(
                browser.execute_script(
                    "return [...document.querySelectorAll('.ac-msg.customer')].pop().dataset.stored"
                )
            )
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


@pytest.fixture(scope="module")
def redis_server(django_db_setup, django_db_blocker) -> Iterator[Live]:  # noqa: ANN001
    import os

    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip("REDIS_URL is not set: pushes from another process need the Redis layer")
    with live_servers(django_db_blocker, count=1, redis_url=url, name="browserpush") as live:
        yield live


@pytest.mark.redis
def test_the_vtm_page_shows_pushed_agent_words_qr_codes_broadcasts_and_calls(
    redis_server: Live, demo_password: str
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    from tests.browser import chromium

    with chromium() as browser:
        page = "/devices/demo-vtm/console/%3Fscenario%3Dsuper_teller"
        browser.get(redis_server.http() + "/admin/login/?next=" + page)
        browser.find_element(By.ID, "id_username").send_keys("ops")
        browser.find_element(By.ID, "id_password").send_keys(demo_password)
        browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
        wait = WebDriverWait(browser, 60)
        wait.until(lambda b: _answers(b) == 1)
        session_id = browser.execute_script("return window.bankAvatar.state.sessionId")
        code = (
            "from devices.models import Device;"
            "from devices.push import push_to_device, push_to_session;"
            f"push_to_session('{session_id}', {{'type': 'avatar.say', 'agent': 'Wang', "
            "'text': '您好，我是客户经理小王，由我继续为您服务。'});"
            f"push_to_session('{session_id}', {{'type': 'ui.action', 'action': "
            "{'type': 'show_qr', 'payload': 'https://harbourbank.example/app/cards/apply'}});"
            "vtm = Device.objects.get(name='demo-vtm').pk;"
            "push_to_device(vtm, {'type': 'broadcast.play', 'item': "
            "{'kind': 'anti_fraud', 'title': '防骗提示', 'text': '银行不会索要验证码'}});"
            "push_to_device(vtm, {'type': 'ticket.called', 'number': 'A012', 'counter': 3})"
        )
        redis_server.manage("shell", "-c", code)
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, ".ac-qr svg path"))
        agent = browser.find_element(By.CSS_SELECTOR, ".ac-msg.agent").text
        assert "客户经理小王" in agent
        qr = browser.find_element(By.CSS_SELECTOR, ".ac-qr svg path").get_attribute("d")
        assert qr.count("h1v1h-1z") > 100  # a real module matrix, not a placeholder
        assert "银行不会索要验证码" in browser.find_element(By.ID, "ac-broadcast").text
        assert "A012" in browser.find_element(By.ID, "ac-announce").text
        browser.save_screenshot("/tmp/avatar-vtm.png")
