"""Headless Chromium against a real daphne: with routing queues, a waiting session shows in
the console of the agent it is routed to, and not in another agent's console."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.avatar.live import Live, live_servers

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db]

SETUP = """
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.conf import settings
from scenarios import dialogue
from scenarios.agentrouting.models import AgentProfile, RoutingQueue
from scenarios.agentrouting.services import agent_presence_set
from scenarios.models import DialogueSession
from scenarios.takeover import takeover_request

queue = RoutingQueue.objects.create(code="cards", name="Cards")
agents = {}
for name, online in (("alice", True), ("bob", False)):
    user = get_user_model().objects.create_user(name, password=settings.DEMO_PASSWORD)
    user.groups.add(Group.objects.get(name="remote agent"))
    presence = "online" if online else "offline"
    profile = AgentProfile.objects.create(user=user, capacity=1, presence=presence)
    profile.queues.add(queue)
    agents[name] = user


def waiting_session():
    session, _ = dialogue.session_start(scenario="super_teller", channel="vtm", language="zh-hans")
    session.status = DialogueSession.Status.HANDED_OVER
    session.save()
    takeover_request(session=session, reason="asked_for_person")
    return session


first = waiting_session()  # only alice is online: hers
agent_presence_set(user=agents["bob"], presence="online")
second = waiting_session()  # alice is at capacity: bob's
print(first.pk, second.pk)
"""


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker) -> Iterator[Live]:  # noqa: ANN001
    with live_servers(django_db_blocker, count=1, name="inbox") as live:
        live.manage("createcachetable")
        yield live


def _console(browser, server: Live, username: str, password: str):  # noqa: ANN001, ANN202
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    wait = WebDriverWait(browser, 90)
    browser.delete_all_cookies()
    browser.get(f"{server.http()}/staff/login/?next=/agent/")
    browser.find_element(By.ID, "id_username").send_keys(username)
    browser.find_element(By.ID, "id_password").send_keys(password)
    browser.find_element(By.ID, "login-submit").click()
    wait.until(
        lambda b: b.find_element(By.ID, "connection").get_attribute("class").endswith("pill-on")
    )
    return wait


def _rows(browser) -> list[str]:  # noqa: ANN001
    return browser.execute_script(
        "return Array.from(document.querySelectorAll('#session-rows tr[data-session]'))"
        ".map(r => r.dataset.session)"
    )


def test_a_routed_session_shows_only_in_its_agents_inbox(
    server: Live, demo_password: str, tmp_path: Path
) -> None:
    from tests.browser import chromium

    alices, bobs = server.manage("shell", "-c", SETUP).strip().splitlines()[-1].split()
    owners = server.sql(
        "SELECT e.session_id::text, u.username FROM agentrouting_queueentry e "
        "JOIN auth_user u ON u.id = e.agent_id ORDER BY e.id"
    )
    assert owners == [(alices, "alice"), (bobs, "bob")]
    with chromium() as browser:
        for username, mine, other in (("alice", alices, bobs), ("bob", bobs, alices)):
            wait = _console(browser, server, username, demo_password)
            wait.until(lambda b, mine=mine: mine in _rows(b))
            assert other not in _rows(browser)
            browser.save_screenshot(str(tmp_path / f"{username}.png"))
