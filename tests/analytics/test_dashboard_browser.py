"""The dashboards in headless Chromium against a real daphne, after simulated traffic: `ops`
sees data for every scenario, a filter changes the chart, and the export downloads."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.avatar.live import BASE_DIR, Live, live_servers

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db]

SCENARIO_PAGES = ("credit_card", "branch_hall", "super_teller", "app_service")


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker) -> Iterator[Live]:  # noqa: ANN001
    with live_servers(django_db_blocker, count=1, name="analytics") as live:
        live.manage("createcachetable")
        # A few days of conversations through the engine (each scenario at least once a day);
        # longer than `Live.manage` waits: every conversation runs the real engine.
        subprocess.run(
            [sys.executable, "manage.py", "simulate_traffic", "--days", "2", "--per-day", "6"],
            cwd=BASE_DIR,
            env=live.env,
            capture_output=True,
            check=True,
            timeout=900,
        )
        yield live


def _login(browser, server: Live, password: str) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    browser.get(f"{server.http()}/admin/login/?next=/admin/analytics/")
    browser.find_element(By.ID, "id_username").send_keys("ops")
    browser.find_element(By.ID, "id_password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()


def test_ops_sees_every_scenario_filters_the_chart_and_exports(
    server: Live, demo_password: str, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.select import Select
    from selenium.webdriver.support.wait import WebDriverWait

    from tests.browser import chromium

    with chromium() as browser:
        wait = WebDriverWait(browser, 60)
        _login(browser, server, demo_password)
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "[data-overview]"))
        # The index: sessions for every scenario page.
        for page in SCENARIO_PAGES:
            card = browser.find_element(By.CSS_SELECTOR, f'[data-overview="{page}"] .figure')
            assert int(card.text) > 0, page
        # Each scenario page shows figures (not "–") next to their definitions.
        for page in SCENARIO_PAGES:
            browser.find_element(By.CSS_SELECTOR, f'[data-page-link="{page}"]').click()
            wait.until(
                lambda b, p=page: b.find_element(By.ID, "analytics").get_attribute("data-page") == p
            )
            values = [
                e.text for e in browser.find_elements(By.CSS_SELECTOR, "tr[data-kpi] td.value")
            ]
            assert any(v not in ("", "–") for v in values), page
            assert browser.find_element(By.CSS_SELECTOR, "td.definition").text
        browser.save_screenshot(str(tmp_path / "analytics-app-service.png"))

        # A filter changes the chart: the hall page for one channel only.
        browser.find_element(By.CSS_SELECTOR, '[data-page-link="branch_hall"]').click()
        wait.until(lambda b: b.find_element(By.ID, "analytics").get_attribute("data-charts-ready"))
        chart = browser.find_element(By.ID, "kpi-chart")
        before = json.loads(chart.get_attribute("data-points"))
        channels = Select(browser.find_element(By.NAME, "channel"))
        options = [o.get_attribute("value") for o in channels.options if o.get_attribute("value")]
        assert "kiosk" in options
        changed = None
        for channel in options:
            Select(browser.find_element(By.NAME, "channel")).select_by_value(channel)
            browser.find_element(By.CSS_SELECTOR, "#analytics-filters button[type=submit]").click()
            wait.until(lambda b, c=channel: f"channel={c}" in b.current_url)
            wait.until(
                lambda b: b.find_element(By.ID, "analytics").get_attribute("data-charts-ready")
            )
            points = browser.find_elements(By.ID, "kpi-chart")
            after = json.loads(points[0].get_attribute("data-points")) if points else []
            if after != before:
                changed = channel
                break
        assert changed, "no channel filter changed the chart"
        assert (
            Select(browser.find_element(By.NAME, "channel")).first_selected_option.get_attribute(
                "value"
            )
            == changed
        )

        # Export downloads, with the filter applied.
        browser.execute_cdp_cmd(
            "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)}
        )
        browser.find_element(By.ID, "export-xlsx").click()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not list(tmp_path.glob("branch_hall-*.xlsx")):
            time.sleep(0.2)
        [download] = list(tmp_path.glob("branch_hall-*.xlsx"))
        from openpyxl import load_workbook

        sheet = load_workbook(download).active
        header = [cell.value for cell in sheet[1]]
        assert f"channel={changed}" in header[1]
        codes = [row[0] for row in sheet.iter_rows(min_row=3, values_only=True)]
        assert "branch_hall.ticket_success" in codes


def test_ops_sees_the_contact_centre_with_a_chart_and_filters_it_by_queue(
    server: Live, demo_password: str
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.select import Select
    from selenium.webdriver.support.wait import WebDriverWait

    from tests.browser import chromium

    def total(browser, code: str) -> int:  # noqa: ANN001
        cell = browser.find_element(
            By.CSS_SELECTOR, f'tr[data-kpi="{code}"]:not(.breakdown) .value'
        )
        return int(cell.text)

    with chromium() as browser:
        wait = WebDriverWait(browser, 60)
        _login(browser, server, demo_password)
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "[data-overview]"))
        browser.find_element(By.CSS_SELECTOR, '[data-page-link="contact_centre"]').click()
        wait.until(
            lambda b: (
                b.find_element(By.ID, "analytics").get_attribute("data-page") == "contact_centre"
            )
        )
        wait.until(lambda b: b.find_element(By.ID, "analytics").get_attribute("data-charts-ready"))
        # The simulated hand-overs went through the queues: the day-by-day chart has points.
        trend = json.loads(browser.find_element(By.ID, "trend-chart").get_attribute("data-points"))
        assert any(point is not None for point in trend)
        assert total(browser, "contact_centre.offered") > 0
        assert total(browser, "contact_centre.answered") > 0

        Select(browser.find_element(By.NAME, "queue")).select_by_value("priority")
        browser.find_element(By.CSS_SELECTOR, "#analytics-filters button[type=submit]").click()
        wait.until(lambda b: "queue=priority" in b.current_url)
        wait.until(lambda b: b.find_element(By.ID, "analytics").get_attribute("data-charts-ready"))
        keys = {
            row.get_attribute("data-key")
            for row in browser.find_elements(
                By.CSS_SELECTOR, 'tr.breakdown[data-kpi="contact_centre.offered"]'
            )
        }
        assert keys == {"priority"}

        # The number links to the routing events behind it.
        Select(browser.find_element(By.NAME, "queue")).select_by_value("")
        browser.find_element(By.CSS_SELECTOR, "#analytics-filters button[type=submit]").click()
        wait.until(lambda b: "queue=priority" not in b.current_url)
        answered = total(browser, "contact_centre.answered")
        browser.find_element(
            By.CSS_SELECTOR, 'tr[data-kpi="contact_centre.answered"]:not(.breakdown) a.drill'
        ).click()
        wait.until(lambda b: "/admin/agentrouting/routingevent/" in b.current_url)
        assert len(browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")) == answered

        browser.get(f"{server.http()}/admin/analytics/outbound/")
        wait.until(lambda b: b.find_element(By.ID, "analytics").get_attribute("data-charts-ready"))
        assert total(browser, "outbound.targeted") > 0
        assert browser.find_elements(By.ID, "trend-chart")

        # Held back has a day-by-day series: its 'per day' link redraws the chart with it.
        browser.find_element(
            By.CSS_SELECTOR, 'a.chart-link[data-chart="outbound.held_back"]'
        ).click()
        wait.until(lambda b: "chart=outbound.held_back" in b.current_url)
        wait.until(lambda b: b.find_element(By.ID, "analytics").get_attribute("data-charts-ready"))
        assert browser.find_elements(
            By.CSS_SELECTOR, 'a.chart-link.current[data-chart="outbound.held_back"]'
        )
        held = json.loads(browser.find_element(By.ID, "trend-chart").get_attribute("data-points"))
        assert held
        assert all(point is not None for point in held)  # a count: 0 on a day nobody was held
