"""Speech on the server from the kiosk page in real headless Chromium against a real daphne:
the page's microphone (Chromium's fake capture device, fed a WAV made by the project's TTS)
asks a spoken question, and the answer is spoken by the server (headless Chromium has no
voices, so the page asks for server speech)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bank_ai.ai.speech import error_rate, get_synthesizer
from tests.avatar.live import Live, live_servers

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db]

QUESTION = "I would like to apply for a credit card."


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker) -> Iterator[Live]:  # noqa: ANN001
    with live_servers(django_db_blocker, count=1, name="speechbrowser") as live:
        yield live


def _answers(browser) -> int:  # noqa: ANN001
    return len(browser.find_elements("css selector", ".ac-msg.assistant:not(.streaming)"))


# Chromium's fake capture device plays its one pass of the WAV on its own timer from when the
# page opens the microphone. The page now reads samples on the audio thread (nothing is lost when
# its main thread is busy), but at load average 3-4.5 the fake device itself still delivered
# garbled sound now and then ("How would you like to buy it?", 2 of 7 runs): rerun twice; a real
# break (no transcript, no answer, no server speech) fails all three.
@pytest.mark.flaky(reruns=2, reruns_delay=5)
def test_the_kiosk_page_asks_a_spoken_question_and_plays_the_servers_speech(
    server: Live, demo_password: str, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.select import Select
    from selenium.webdriver.support.wait import WebDriverWait

    from tests.browser import chromium

    question = tmp_path / "question.wav"
    question.write_bytes(get_synthesizer().synthesize(QUESTION, language="en").wav)
    flags = (
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={question}%noloop",
        "--autoplay-policy=no-user-gesture-required",
    )
    with chromium(flags=flags) as browser:
        # ?scenario= skips the kiosk's start menu.
        page = "/devices/demo-kiosk/console/%3Fscenario%3Dcredit_card"
        browser.get(server.http() + "/admin/login/?next=" + page)
        Select(browser.find_element(By.ID, "language-select")).select_by_value("en")
        WebDriverWait(browser, 10).until(lambda b: "Username" in b.page_source)
        browser.find_element(By.ID, "id_username").send_keys("ops")
        browser.find_element(By.ID, "id_password").send_keys(demo_password)
        browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
        wait = WebDriverWait(browser, 120)
        wait.until(lambda b: _answers(b) == 1)  # the greeting
        # No browser voice for the language: the page asked for server speech and got clips.
        assert browser.execute_script("return window.bankAvatarSpeech.server") is True
        wait.until(lambda b: b.execute_script("return window.bankAvatarSpeech.clips") > 0)
        # From here on, every text the caption shows is recorded.
        browser.execute_script(
            "window.captionsShown = [];"
            "new MutationObserver(() => window.captionsShown.push("
            "document.getElementById('ac-caption').textContent))"
            ".observe(document.getElementById('ac-caption'),"
            " {childList: true, characterData: true, subtree: true});"
        )
        mic = browser.find_element(By.ID, "ac-mic")
        assert mic.is_displayed()
        mic.click()
        wait.until(lambda b: mic.get_attribute("aria-pressed") == "true")
        # The fake device plays the question once (~2 s) from when the page opens it; on a
        # loaded machine the page's recorder starts late and runs slow, so record well past it
        # (the silence after is harmless; 3.5 s cut the question short under load).
        browser.execute_script("return new Promise((resolve) => setTimeout(resolve, 6500))")
        mic.click()
        wait.until(lambda b: b.execute_script("return window.bankAvatarSpeech.heard.length") > 0)
        # Read on the audio thread (AudioWorklet), not by the page's busy main thread.
        assert browser.execute_script("return window.bankAvatarSpeech.capture") == "audio-thread"
        heard = browser.execute_script("return window.bankAvatarSpeech.heard[0]")
        # Chromium's fake capture resamples the WAV: the socket tests pin the accuracy on clean
        # audio, this one that the page's microphone reaches the recogniser and is answered.
        assert "card" in heard.lower(), heard
        assert error_rate(QUESTION, heard, language="en") <= 0.5, heard
        wait.until(lambda b: _answers(b) == 2)
        customer = browser.find_elements(By.CSS_SELECTOR, ".ac-msg.customer")[-1].text
        assert "card" in customer.lower()
        # The answer is shown under the teller only as the server speaks it, sentence by
        # sentence: the client does not caption the same answer on its own clock.
        wait.until(
            lambda b: b.execute_script(
                "const s = window.bankAvatarSpeech; return !s.playing && s.queue.length === 0"
                " && s.said.length > 1"
            )
        )
        shown = browser.execute_script("return window.captionsShown")
        said = set(browser.execute_script("return window.bankAvatarSpeech.said"))
        heard = set(browser.execute_script("return window.bankAvatarSpeech.heard"))
        stray = [text for text in shown if text and text not in said | heard]
        assert not stray, stray
        browser.save_screenshot("/tmp/avatar-speech.png")
