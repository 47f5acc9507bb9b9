"""End to end in headless Chromium against a real daphne: the VTM demo page (the device's own
socket) hands over, the agent console takes the session over, and the VTM shows and speaks the
agent's words; hand-back returns the session to the AI."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.avatar.live import Live, live_servers

# django_db: makes pytest-django set up the test database the server copies.
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db]

AGENT_WORDS = "您好，我是人工坐席，我来帮您完成挂失。"


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker) -> Iterator[Live]:  # noqa: ANN001
    with live_servers(django_db_blocker, count=1, name="console") as live:
        # Under REDIS_URL the test database has no cache table (Redis is the cache there); the
        # server here runs without Redis, on the database cache Wagtail's page URLs use.
        live.manage("createcachetable")
        yield live


def _agent_bubbles(browser) -> list[str]:  # noqa: ANN001
    return [
        element.text
        for element in browser.find_elements("css selector", ".ac-msg.agent .ac-bubble")
    ]


@contextmanager
def _explained(server: Live, browser, session_id: str) -> Iterator[None]:  # noqa: ANN001
    """On a wait that times out, say what the console and the server held at that moment.

    As a warning: the warnings summary is printed for every attempt, reruns included, so a CI
    log shows why a first attempt failed even when a rerun passed.
    """
    from selenium.common.exceptions import TimeoutException

    try:
        yield
    except TimeoutException:
        page = browser.execute_script(
            "const t = (id) => (document.getElementById(id) || {}).textContent || '';"
            "return {error: t('console-error'), connection: t('connection'),"
            " transcript: t('transcript'), rows: t('session-rows'), title: t('watched-title'),"
            " meta: t('watched-meta')};"
        )
        queue = server.sql(
            "SELECT e.state, u.username FROM agentrouting_queueentry e"
            " LEFT JOIN auth_user u ON u.id = e.agent_id WHERE e.session_id = %s",
            (session_id,),
        )
        turns = server.sql(
            "SELECT seq, role, left(text, 40) FROM scenarios_turn WHERE session_id = %s"
            " ORDER BY seq",
            (session_id,),
        )
        log = Path(server.processes[0].log_path).read_text(errors="replace")[-2500:]  # type: ignore[attr-defined]
        warnings.warn(
            f"console wait timed out: page={page} queue={queue} turns={turns}\nserver log:\n{log}",
            stacklevel=1,
        )
        raise


def _teller_texts(browser) -> list[str]:  # noqa: ANN001
    return [
        element.text
        for element in browser.find_elements("css selector", ".ac-msg.assistant .ac-bubble")
        if element.text
    ]


# Failed once on CI (5 December, the transcript wait after the click on the session's row) and
# not in nine runs on this machine with four busy loops beside it. `_explained` puts what the
# console showed and the server held into the warnings summary, which CI prints for every
# attempt; a real break fails all three.
@pytest.mark.flaky(reruns=2, reruns_delay=5)
def test_the_console_takes_over_and_the_vtm_speaks_the_agents_words(
    server: Live, demo_password: str, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    from tests.browser import chromium

    token = server.manage("issue_device_token", "demo-vtm").strip()
    with chromium() as browser:
        # The first turn loads the embedding and intent models in the server: give it time.
        wait = WebDriverWait(browser, 150)
        # The VTM: the avatar demo page, speaking bank-avatar/1 with the device's token.
        browser.get(f"{server.http()}/devices/client/vtm/?scenario=super_teller#token={token}")
        vtm = browser.current_window_handle
        wait.until(
            lambda b: b.find_element(By.ID, "ac-status").get_attribute("data-state") == "online"
        )
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, ".ac-msg.assistant"))
        browser.find_element(By.ID, "ac-text").send_keys("我要转人工")
        browser.find_element(By.CSS_SELECTOR, ".ac-send").click()
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, ".ac-handoff, [class*=handoff]"))
        session_id = browser.execute_script(
            "return JSON.parse(Object.entries(sessionStorage)"
            ".find(([k]) => k.startsWith('bank-avatar:'))[1]).sessionId"
        )
        assert session_id

        with _explained(server, browser, session_id):
            # The agent: staff login, then the console in a second window.
            browser.switch_to.new_window("window")
            browser.get(f"{server.http()}/staff/login/?next=/agent/")
            browser.find_element(By.ID, "id_username").send_keys("agent")
            browser.find_element(By.ID, "id_password").send_keys(demo_password)
            browser.find_element(By.ID, "login-submit").click()
            wait.until(
                lambda b: (
                    b.find_element(By.ID, "connection").get_attribute("class").endswith("pill-on")
                )
            )
            # The list re-renders on every update: read and click through selectors, not elements.
            row = f'tr[data-session="{session_id}"]'
            wait.until(
                lambda b: (
                    "demo-vtm"
                    in b.execute_script(
                        "const r = document.querySelector(arguments[0]);"
                        "return r ? r.textContent : ''",
                        row,
                    )
                )
            )
            browser.execute_script("document.querySelector(arguments[0]).click()", row)
            wait.until(lambda b: "我要转人工" in b.find_element(By.ID, "transcript").text)
            wait.until(lambda b: b.find_element(By.ID, "take-over").is_enabled())
            browser.find_element(By.ID, "take-over").click()
            wait.until(lambda b: b.find_element(By.ID, "say-text").is_enabled())
            browser.find_element(By.ID, "say-text").send_keys(AGENT_WORDS)
            browser.find_element(By.ID, "say-send").click()
            wait.until(lambda b: AGENT_WORDS in b.find_element(By.ID, "transcript").text)
            browser.save_screenshot(str(tmp_path / "console.png"))
            browser.save_screenshot("/tmp/agent-console.png")
            console = browser.current_window_handle

            # The VTM shows (and speaks) the agent's words, pushed to the session's socket.
            browser.switch_to.window(vtm)
            wait.until(lambda b: AGENT_WORDS in _agent_bubbles(b))
            browser.save_screenshot(str(tmp_path / "vtm.png"))
            browser.save_screenshot("/tmp/vtm-agent-words.png")

            # A customer turn while the agent has the session reaches the console, unanswered.
            browser.find_element(By.ID, "ac-text").send_keys("好的，谢谢")
            browser.find_element(By.CSS_SELECTOR, ".ac-send").click()
            browser.switch_to.window(console)
            wait.until(lambda b: "好的，谢谢" in b.find_element(By.ID, "transcript").text)

            # Hand back: the AI resumes at its step and the VTM hears it as the teller again.
            browser.find_element(By.ID, "hand-back").click()
            wait.until(lambda b: not b.find_element(By.ID, "say-text").is_enabled())
            browser.switch_to.window(vtm)
            # (the session rested on the first step, so the teller asks its first question again)
            wait.until(
                lambda b: _teller_texts(b)[-1] == _teller_texts(b)[0] and len(_teller_texts(b)) > 2
            )
    rows = server.sql(
        "SELECT action FROM scenarios_takeoveraudit WHERE session_id = %s ORDER BY id",
        (session_id,),
    )
    assert [action for (action,) in rows] == ["requested", "taken", "handed_back"]
    turns = server.sql(
        "SELECT role, text FROM scenarios_turn WHERE session_id = %s ORDER BY seq", (session_id,)
    )
    assert ("agent", AGENT_WORDS) in turns
    assert ("customer", "好的，谢谢") in turns
