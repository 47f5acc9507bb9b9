"""Headless Chromium against daphne: a quality supervisor opens the review queue (lowest score
first), reads the transcript with the failed rules marked on their turns, overrides the score
with a reason, and finds the override in the audit trail."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.avatar.live import Live, live_servers

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db]

_SETUP = """
from tests.quality.conftest import build_session
from tests.quality.test_inspection import GOOD, RUDE_PROMISE
from scenarios.quality.services import inspection_run
for lines in (GOOD, RUDE_PROMISE, GOOD):
    inspection_run(session_id=build_session(lines).pk)
"""


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker) -> Iterator[Live]:  # noqa: ANN001
    with live_servers(django_db_blocker, count=1, name="quality") as live:
        live.manage("shell", "-c", _SETUP)
        yield live


def test_a_supervisor_reviews_the_worst_conversation_and_overrides_its_score(
    server: Live, demo_password: str
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    from tests.browser import chromium

    with chromium() as browser:
        # Each click below loads a new page: wait for what that page shows (an element found
        # before the load goes stale, as one run found).
        wait = WebDriverWait(browser, 60, ignored_exceptions=(StaleElementReferenceException,))
        browser.get(f"{server.http()}/admin/login/?next=/admin/quality/inspection/")
        browser.find_element(By.ID, "id_username").send_keys("supervisor")
        browser.find_element(By.ID, "id_password").send_keys(demo_password)
        browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()

        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#result_list tbody tr"))
        rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
        scores = [
            float(r.find_element(By.CSS_SELECTOR, "th, td.field-score_badge").text) for r in rows
        ]
        assert len(scores) == 3
        assert scores == sorted(scores)  # lowest first
        rows[0].find_element(By.CSS_SELECTOR, "th a").click()

        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#review-form"))
        failed_turns = browser.find_elements(By.CSS_SELECTOR, ".qa-turn-failed")
        assert failed_turns
        promise_turn = browser.find_element(By.CSS_SELECTOR, '.qa-turn[data-seq="3"]')
        assert "qa-turn-failed" in promise_turn.get_attribute("class")
        marks = [
            e.get_attribute("data-criterion")
            for e in promise_turn.find_elements(By.CSS_SELECTOR, ".qa-fail")
        ]
        assert "forbidden_promises" in marks
        # Failed rules stand out: red, unlike a turn that passed.
        colour = promise_turn.find_element(By.CSS_SELECTOR, ".qa-fail").value_of_css_property(
            "color"
        )
        assert colour in {"rgba(186, 33, 33, 1)", "rgb(186, 33, 33)"}

        browser.find_element(By.CSS_SELECTOR, "select[name=action] option[value=override]").click()
        browser.find_element(By.NAME, "score").send_keys("65")
        browser.find_element(By.NAME, "reason").send_keys("客户已确认理解风险")
        browser.find_element(By.CSS_SELECTOR, "#review-form input[type=submit]").click()

        wait.until(
            lambda b: b.find_element(By.CSS_SELECTOR, ".qa-score strong").text == "65",
            message=f"the overridden score was not shown: {browser.page_source[-2000:]}",
        )
        trail = browser.find_element(By.CSS_SELECTOR, "table.qa-reviews tbody").text
        assert "客户已确认理解风险" in trail
        assert "→ 65" in trail
    assert server.sql("SELECT count(*) FROM quality_scorereview")[0][0] == 1
