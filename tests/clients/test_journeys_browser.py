"""Every journey walked to its end through the browser pages only, in zh-Hans and in English.

One headless Chromium per language against a real daphne: the app page (credit card to
submission with uploads and the disclosure, activation, card use with the bill chart and an
instalment quote, pre-sales and after-sales with a rating), the hall screen (card quiz, ticket,
broadcasts, idle reset, keyboard, touch targets) and the VTM (the super-teller guide with a
failed step, a takeover from the agent console in a second window and the hand-back).
Screenshots of each page are saved when `CLIENT_SHOTS_DIR` names a directory.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.avatar.live import Live, live_servers

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db]

SHOTS = Path(os.environ["CLIENT_SHOTS_DIR"]) if os.environ.get("CLIENT_SHOTS_DIR") else None
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass(frozen=True)
class Script:
    language: str
    needs: str
    income: str
    fee: str
    apply: str
    activation: str
    spending: str
    instalment: str
    finished: str
    pre_sales: str
    start_guide: str
    after_sales: str
    quiz: tuple[str, str, str, str]
    service: str
    yes: str
    card_loss: str
    agent_words: str


SCRIPTS = [
    Script(
        language="zh-hans",
        needs="我经常出国旅游，也喜欢吃美食",
        income="年收入大概25万",
        fee="年费无所谓",
        apply="好的",
        activation="好的",
        spending="上个月各类消费占比是多少？",
        instalment="我想分期",
        finished="没有了，谢谢",
        pre_sales="我想在手机上办一张信用卡",
        start_guide="好的，开始吧",
        after_sales="我的银行卡丢了怎么办",
        quiz=("我经常出国旅游", "年收入30万", "年费无所谓", "对"),
        service="我要取钱",
        yes="好的",
        card_loss="我的银行卡丢了",
        agent_words="您好，我是人工坐席，我来帮您完成挂失。",
    ),
    Script(
        language="en",
        needs="I travel a lot for business and eat out",
        income="I earn about 400k a year",
        fee="I don't mind the fee",
        apply="great, let's apply",
        activation="yes please",
        spending="show me my spending last month",
        instalment="I'd like to pay in instalments",
        finished="that's all",
        pre_sales="I need to buy some US dollars for my trip",
        start_guide="ok",
        after_sales="I forgot my card PIN",
        quiz=("mostly online shopping and study", "I'm a student", "no annual fee please", "yes"),
        service="I want to exchange some euros",
        yes="yes please",
        card_loss="I lost my bank card",
        agent_words="Hello, I'm a colleague at the bank and will finish the card loss with you.",
    ),
]


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Live]:  # noqa: ANN001
    private = tmp_path_factory.mktemp("private-media")
    env = {"PRIVATE_MEDIA_ROOT": str(private), "AVATAR_IDLE_RESET_SECONDS": "900"}
    with live_servers(django_db_blocker, count=1, name="clients", extra_env=env) as live:
        yield live


class Screen:
    """One device page in the browser, driven the way a customer does: taps and typing."""

    def __init__(self, browser, language: str) -> None:  # noqa: ANN001
        from selenium.webdriver.support.wait import WebDriverWait

        self.browser = browser
        self.language = language
        # Polls below count elements that are often absent: an implicit wait would make each
        # such count take its full 10 s.
        browser.implicitly_wait(0)
        # The first turns load the embedding and intent models in the server: give it time.
        self.wait = WebDriverWait(browser, 180)

    def js(self, script: str, *args: object) -> object:
        return self.browser.execute_script(script, *args)

    def answers(self) -> int:
        return len(self.browser.find_elements("css selector", ".ac-msg.assistant:not(.streaming)"))

    def errors(self) -> list[str]:
        return [e.text for e in self.browser.find_elements("css selector", ".ac-msg.error")]

    @property
    def step(self) -> str:
        return str(self.js("return window.bankAvatar.state.step"))

    @property
    def status(self) -> str:
        return str(
            self.js(
                "const all = document.querySelectorAll('.ac-msg.assistant[data-status]');"
                "return all.length ? all[all.length - 1].dataset.status : ''"
            )
        )

    def turn(self, act: Callable[[], None]) -> str:
        """Do something that the server answers; wait for the answer; its text."""
        before, errors = self.answers(), len(self.errors())

        def answered(_browser) -> bool:  # noqa: ANN001
            if len(self.errors()) > errors:
                raise AssertionError(f"the server refused: {self.errors()[-1]}")
            return self.answers() > before

        act()
        self.wait.until(answered)
        return self.last_text()

    def last_text(self) -> str:
        return self.browser.find_elements("css selector", ".ac-msg.assistant .ac-bubble")[-1].text

    def say(self, text: str) -> str:
        box = self.browser.find_element("id", "ac-text")

        def act() -> None:
            box.send_keys(text)
            self.browser.find_element("css selector", ".ac-send").click()

        return self.turn(act)

    def last(self, css: str):  # noqa: ANN201
        self.wait.until(lambda b: b.find_elements("css selector", css))
        element = self.browser.find_elements("css selector", css)[-1]
        self.js("arguments[0].scrollIntoView({block: 'center'})", element)
        return element

    def tap(self, css: str) -> str:
        element = self.last(css)
        return self.turn(element.click)

    def menu(self, key: str) -> str:
        self.wait.until(lambda b: b.find_element("id", "ac-menu").is_displayed())
        button = self.browser.find_element("css selector", f'#ac-menu-items [data-key="{key}"]')
        self.wait.until(lambda b: button.is_enabled())
        button.click()
        self.wait.until(
            lambda b: self.answers() >= 1 and not b.find_element("id", "ac-menu").is_displayed()
        )
        return self.last_text()

    def back_to_menu(self) -> None:
        self.browser.find_element("id", "ac-new").click()
        self.wait.until(lambda b: b.find_element("id", "ac-menu").is_displayed())

    def online(self) -> None:
        self.wait.until(
            lambda b: b.find_element("id", "ac-status").get_attribute("data-state") == "online"
        )

    def shot(self, name: str) -> None:
        if SHOTS is not None and SHOTS.is_dir():
            self.browser.save_screenshot(str(SHOTS / f"{self.language}-{name}.png"))


def _log_in(browser, server: Live, user: str, password: str, language: str, nxt: str) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.select import Select
    from selenium.webdriver.support.wait import WebDriverWait

    browser.get(f"{server.http()}/admin/login/?next={nxt}")
    Select(browser.find_element(By.ID, "language-select")).select_by_value(language)
    WebDriverWait(browser, 30).until(
        lambda b: b.find_element(By.ID, "language-select").get_attribute("value") == language
    )
    browser.find_element(By.ID, "id_username").send_keys(user)
    browser.find_element(By.ID, "id_password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()


def _credit_card_to_submission_and_activation(app: Screen, script: Script, files: Path) -> None:
    app.menu("credit_card")
    app.say(script.needs)
    app.say(script.income)
    app.say(script.fee)
    assert app.step == "confirm_needs"
    app.tap(".ac-summary > button:first-of-type")  # "yes, that is right"
    assert app.step == "choose_card"
    assert app.browser.find_elements("css selector", ".ac-card")
    app.tap(".ac-card button")
    assert app.step == "card_details"
    app.say(script.apply)
    assert app.step == "documents"
    # Upload every document, the ID with its validity date; the progress bar fills and the
    # pre-check result is shown; the last one moves the conversation on through the socket.
    items = app.browser.find_elements("css selector", ".ac-upload .ac-doc")
    assert items
    before = app.answers()
    for item in items:
        kind = item.get_attribute("data-kind")
        path = files / f"{kind}.pdf"
        path.write_bytes(PDF)
        item.find_element("css selector", "input[type=file]").send_keys(str(path))
        dates = item.find_elements("css selector", "input[type=date]")
        if dates:
            # The date picker's typed format depends on the locale: set the ISO value.
            app.js(
                "arguments[0].value = '2035-06-30';"
                "arguments[0].dispatchEvent(new Event('input', {bubbles: true}))",
                dates[0],
            )
        item.find_element("css selector", "button").click()
        app.wait.until(lambda b, i=item: i.get_attribute("data-state") == "received")
        assert item.find_element("css selector", "progress").get_attribute("value") == "100"
    app.wait.until(lambda b: app.answers() > before)
    assert (
        app.browser.find_element("css selector", ".ac-precheck").get_attribute("data-complete")
        == "1"
    )
    app.shot("app-upload")
    assert app.step == "value_added_services", app.last_text()
    app.tap(".ac-options form button[type=submit]")  # none of the optional services
    assert app.step == "risk_disclosure"
    acknowledge = app.last(".ac-disclosure button.ac-primary")
    assert not acknowledge.is_enabled(), "acknowledging needs the explicit tick first"
    app.last(".ac-disclosure input[type=checkbox]").click()
    app.shot("app-disclosure")
    app.turn(acknowledge.click)
    assert app.step == "submit_application"
    app.tap(".ac-confirm-application button.ac-primary")
    assert app.step == "application_status"
    reference = app.last(".ac-application h3").text
    assert any(ch.isdigit() for ch in reference)
    app.shot("app-application")
    # Activation guide in the app: each step confirmed with its button.
    app.say(script.activation)
    for _ in range(6):
        if app.status == "completed":
            break
        assert app.browser.find_elements("css selector", ".ac-guide")
        app.tap(".ac-guide button.ac-primary")
    assert app.status == "completed"
    app.shot("app-activation-done")


def _card_use(app: Screen, script: Script) -> None:
    from selenium.webdriver.support.select import Select

    app.back_to_menu()
    card_use = app.browser.find_element("css selector", '#ac-menu-items [data-key="card_use"]')
    assert not card_use.is_enabled(), "card use needs a signed-in customer"
    Select(app.browser.find_element("id", "ac-customer")).select_by_index(1)
    app.menu("card_use")
    app.say(script.spending)
    if not app.browser.find_elements("css selector", ".ac-chart svg rect"):
        # Asked which period: the last month's name, as a customer would answer.
        app.say(app.browser.find_elements("css selector", ".ac-chip-button")[0].text)
    bars = app.browser.find_elements("css selector", ".ac-chart svg rect.ac-bar")
    assert bars
    app.shot("app-bill-chart")
    app.say(script.instalment)
    assert app.step == "instalment"
    app.tap(".ac-instalments button[data-periods]")
    fee = app.last(".ac-instalment-quote .ac-total-fee").text
    assert fee.replace(".", "").isdigit(), fee
    assert app.browser.find_elements("css selector", ".ac-instalment-quote table tr")
    app.shot("app-instalment-quote")
    app.say(script.finished)
    assert app.status == "completed"


def _pre_and_after_sales(app: Screen, script: Script) -> None:
    app.back_to_menu()
    app.menu("pre_sales")
    app.say(script.pre_sales)
    app.tap('.ac-confirm button[data-event="confirm"]')
    assert app.step == "requirements"
    assert app.browser.find_elements("css selector", ".ac-requirements")
    app.say(script.start_guide)
    for _ in range(12):
        if app.browser.find_elements("css selector", ".ac-rating .ac-star:not([disabled])"):
            break
        assert app.browser.find_elements("css selector", ".ac-deep-link a")
        app.tap(".ac-guide button.ac-primary")
    app.shot("app-pre-sales-rating")
    app.tap('.ac-rating .ac-star[data-score="5"]')
    assert app.status == "completed"

    app.back_to_menu()
    app.menu("after_sales")
    app.say(script.after_sales)
    app.tap('.ac-confirm button[data-event="confirm"]')
    app.tap('.ac-confirm button[data-event="resolved"]')
    assert app.browser.find_elements("css selector", ".ac-rating")
    app.tap('.ac-rating .ac-star[data-score="4"]')
    assert app.status == "completed"
    app.shot("app-after-sales-done")


def _hall(hall: Screen, script: Script) -> None:
    from selenium.webdriver.common.keys import Keys

    hall.online()
    hall.wait.until(lambda b: b.find_element("id", "ac-menu").is_displayed())
    assert "large-text" in hall.browser.find_element("tag name", "body").get_attribute("class")
    assert hall.browser.find_elements("css selector", "#ac-avatar .ac-legs")  # full body
    keys = [
        b.get_attribute("data-key")
        for b in hall.browser.find_elements("css selector", ".ac-menu-item")
    ]
    assert keys == ["card_quiz", "ticket", "materials", "broadcasts"]
    # Touch targets: every visible control is at least 44 × 44 px.
    small = hall.js(
        "return [...document.querySelectorAll('button, select, input')]"
        ".filter((e) => e.offsetParent && (e.getBoundingClientRect().height < 44 ||"
        " (e.tagName === 'BUTTON' && !e.classList.contains('ac-link') &&"
        " e.getBoundingClientRect().width < 44))).map((e) => e.id || e.className)"
    )
    assert small == []
    hall.shot("hall-menu")
    # Keyboard: the menu has focus; Enter on the first tile starts the card quiz.
    focused = hall.js("return document.activeElement.dataset.key")
    assert focused == "card_quiz"
    hall.turn(lambda: hall.browser.switch_to.active_element.send_keys(Keys.ENTER))
    for answer in script.quiz:
        hall.say(answer)
    assert hall.browser.find_elements("css selector", ".ac-card")
    hall.tap(".ac-card button")
    assert hall.browser.find_elements("css selector", ".ac-card-detail")
    hall.shot("hall-quiz-card")
    hall.back_to_menu()
    hall.menu("ticket")
    hall.say(script.service)
    hall.say(script.yes)
    number = hall.last(".ac-ticket .ac-number").text
    assert number
    hall.shot("hall-ticket")
    # "What to bring" opens the hall flow with the customer's question already asked.
    hall.back_to_menu()
    hall.menu("materials")
    hall.wait.until(lambda b: hall.answers() >= 2)
    asked = hall.browser.find_elements("css selector", ".ac-msg.customer .ac-bubble")[0].text
    assert asked == (
        "办业务需要带什么材料？" if script.language == "zh-hans" else "What do I need to bring?"
    )
    # Broadcasts: what the screen has on air (or that nothing is).
    hall.back_to_menu()
    hall.browser.find_element("css selector", '[data-key="broadcasts"]').click()
    hall.wait.until(lambda b: b.find_element("id", "ac-broadcast").is_displayed())
    # Idle: a screen left alone goes back to its menu (the limit shortened for the test).
    hall.menu("ticket")
    hall.js("window.bankAvatar.config.idle_seconds = 2")
    hall.wait.until(lambda b: b.find_element("id", "ac-menu").is_displayed())
    assert hall.browser.find_elements("css selector", ".ac-msg") == []
    # The mouth: each word's first vowel picks the shape; timings from the server drive it.
    shapes = hall.js("return ['apple', 'boat', 'mm', 'film', '我'].map(bankAvatar.visemeFor)")
    assert shapes == ["open", "round", "closed", "spread", "cjk"]
    hall.js(
        "bankAvatar.avatar.say({speak: 'hello world', mouth: 0.8, speak_ms: 900,"
        " words: [{ms: 0, text: 'hello'}, {ms: 400, text: 'world'}]}, 'hello world')"
    )
    hall.wait.until(
        lambda b: b.find_element("id", "ac-mouth").get_attribute("data-viseme") == "round"
    )


def _vtm_guide_with_takeover(vtm: Screen, script: Script, server: Live, password: str) -> None:
    browser = vtm.browser
    vtm.online()
    vtm.shot("vtm-menu")
    vtm.menu("super_teller")
    vtm.say(script.card_loss)
    assert vtm.step == "confirm_guide", vtm.last_text()
    vtm.say(script.yes)
    assert vtm.browser.find_elements("css selector", ".ac-guide")
    first_step = vtm.step
    vtm.shot("vtm-guide")
    # The machine cannot read the ID twice: the avatar hands over to a colleague.
    vtm.tap(".ac-guide button.ac-secondary")
    vtm.tap(".ac-guide button.ac-secondary")
    assert vtm.status == "handed_over"
    assert browser.find_elements("css selector", ".ac-handoff")
    session_id = vtm.js("return window.bankAvatar.state.sessionId")
    window = browser.current_window_handle

    # The agent console in a second window takes over, speaks, and hands back.
    browser.switch_to.new_window("window")
    # The browser is still signed in as operations from the app page; the VTM page runs on its
    # device token, so the agent signs in from scratch.
    browser.get(f"{server.http()}/staff/login/")
    browser.delete_all_cookies()
    browser.get(f"{server.http()}/staff/login/?next=/agent/")
    browser.find_element("id", "id_username").send_keys("agent")
    browser.find_element("id", "id_password").send_keys(password)
    browser.find_element("id", "login-submit").click()
    wait = vtm.wait
    wait.until(
        lambda b: b.find_element("id", "connection").get_attribute("class").endswith("pill-on")
    )
    row = f'tr[data-session="{session_id}"]'
    wait.until(lambda b: b.execute_script("return !!document.querySelector(arguments[0])", row))

    def watching(b) -> bool:  # noqa: ANN001
        # The list re-renders on every update; a click landing mid-render is lost: click again.
        if b.find_element("id", "take-over").is_enabled():
            return True
        b.execute_script("const r = document.querySelector(arguments[0]); if (r) r.click()", row)
        return False

    from selenium.webdriver.support.wait import WebDriverWait

    WebDriverWait(browser, 180, poll_frequency=3).until(watching)
    browser.find_element("id", "take-over").click()
    wait.until(lambda b: b.find_element("id", "say-text").is_enabled())
    browser.find_element("id", "say-text").send_keys(script.agent_words)
    browser.find_element("id", "say-send").click()
    wait.until(lambda b: script.agent_words in b.find_element("id", "transcript").text)
    console = browser.current_window_handle
    browser.switch_to.window(window)
    wait.until(
        lambda b: any(
            script.agent_words in e.text for e in b.find_elements("css selector", ".ac-msg.agent")
        )
    )
    vtm.shot("vtm-takeover")
    before = vtm.answers()
    browser.switch_to.window(console)
    browser.find_element("id", "hand-back").click()
    browser.switch_to.window(window)
    # The machine shows the step again and the customer finishes the guide with its buttons.
    wait.until(lambda b: vtm.answers() > before)
    assert vtm.step == first_step
    for _ in range(8):
        if vtm.status == "completed":
            break
        vtm.tap(".ac-guide button.ac-primary")
    assert vtm.status == "completed"
    assert browser.find_elements("css selector", ".ac-guide-done")
    vtm.shot("vtm-guide-done")


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.language for s in SCRIPTS])
def test_every_journey_is_walked_to_its_end_through_the_pages(
    server: Live, demo_password: str, script: Script, tmp_path: Path
) -> None:
    from tests.browser import chromium

    token = server.manage("issue_device_token", "demo-vtm").strip()
    with chromium(width=1280, height=1000) as browser:
        _log_in(
            browser, server, "ops", demo_password, script.language, "/devices/demo-app/console/"
        )
        app = Screen(browser, script.language)
        app.online()
        app.shot("app-menu")
        _credit_card_to_submission_and_activation(app, script, tmp_path)
        _card_use(app, script)
        _pre_and_after_sales(app, script)

        browser.get(f"{server.http()}/devices/demo-kiosk/console/")
        kiosk = Screen(browser, script.language)
        kiosk.online()
        kiosk.shot("kiosk-menu")

        browser.set_window_size(720, 1280)  # a portrait hall screen (1080 × 1920 scaled)
        browser.get(f"{server.http()}/devices/demo-hall-screen/console/")
        _hall(Screen(browser, script.language), script)

        browser.set_window_size(1280, 1000)
        browser.get(f"{server.http()}/devices/client/vtm/#token={token}")
        _vtm_guide_with_takeover(Screen(browser, script.language), script, server, demo_password)
