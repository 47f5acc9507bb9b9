"""A daphne process killed mid-answer: the session goes on at once on another process.

The answer's `seq` was reserved by the killed process. Before, every later frame of the session
waited behind it for the pending timeout (300 s); now the reservation is known to belong to a
dead process and is closed as interrupted at once, and nothing the customer said is lost.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Iterator

import pytest
import websockets

from tests.avatar.live import Live, live_servers
from tests.fakes.anthropic_server import FakeAnthropicServer, reply

# django_db: makes pytest-django set up the test database the servers copy.
pytestmark = [pytest.mark.slow, pytest.mark.django_db]

# A knowledge question at the card journey's first step: answered by the model, not the flow.
# (A question the step reads as its answer, "出国前…" say, gets a flow reply that is sent
# whole at the end, and killing the process then races the reply's last write.)
QUESTION = "信用卡怎么挂失？"
# Streamed slowly (28 chunks, half a second apart), so the process can be killed mid-answer.
CHUNKS = tuple("挂失请立即通过App或致电客服办理，挂失即时生效[1]。")
SLOW_ANSWER = reply("".join(CHUNKS), chunks=CHUNKS, delta_delay_s=0.5)
# Well under the 300 s pending timeout that used to hold the session up.
PROMPT = 60


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeAnthropicServer]:
    with FakeAnthropicServer(default_reply=SLOW_ANSWER) as server:
        yield server


@pytest.fixture(scope="module")
def servers(django_db_setup, django_db_blocker, llm: FakeAnthropicServer) -> Iterator[Live]:  # noqa: ANN001
    env = {
        "ANTHROPIC_API_KEY": llm.api_key,
        "ANTHROPIC_BASE_URL": llm.base_url,
        "AVATAR_PROCESS_BEAT_SECONDS": "2",
    }
    with live_servers(django_db_blocker, count=2, name="crash", extra_env=env) as live:
        yield live


async def _recv(ws: websockets.ClientConnection, kind: str, timeout: float) -> list[dict]:
    frames = []
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        frames.append(frame)
        if frame["type"] == kind:
            return frames


def test_after_a_process_is_killed_mid_answer_the_session_goes_on_at_once(
    servers: Live,
) -> None:
    token = servers.manage("issue_device_token", "demo-kiosk").strip()
    doomed = servers.processes[0]

    async def warm_up() -> float:
        # The other process answers the same turn once in another session first, so the timing
        # printed below is the recovery's and not that of loading its models.
        async with websockets.connect(f"{servers.ws(1)}?token={token}") as warm:
            await _recv(warm, "hello", 30)
            await warm.send(json.dumps({"type": "session.start", "scenario": "credit_card"}))
            await _recv(warm, "answer.done", 120)
            started = time.monotonic()
            await warm.send(json.dumps({"type": "user.text", "text": "年收入30万"}))
            await _recv(warm, "answer.done", 120)
            return time.monotonic() - started

    async def scenario() -> dict:
        result = {"warm": await warm_up()}
        async with websockets.connect(f"{servers.ws(0)}?token={token}") as first:
            await _recv(first, "hello", 30)
            await first.send(json.dumps({"type": "session.start", "scenario": "credit_card"}))
            ready = (await _recv(first, "session.ready", 60))[-1]
            greeting = (await _recv(first, "answer.done", 60))[-1]
            await first.send(json.dumps({"type": "user.text", "text": QUESTION, "id": "q"}))
            ack = (await _recv(first, "turn.ack", 120))[-1]
            await _recv(first, "answer.delta", 120)
            # Mid-answer: the reservation for ack["seq"] is pending in the database.
            os.killpg(doomed.pid, signal.SIGKILL)
            await asyncio.to_thread(doomed.wait, 30)
        async with websockets.connect(f"{servers.ws(1)}?token={token}") as second:
            await _recv(second, "hello", 30)
            await second.send(
                json.dumps(
                    {
                        "type": "session.resume",
                        "session_id": ready["session_id"],
                        "last_seq": greeting["seq"],
                    }
                )
            )
            resumed = (await _recv(second, "session.ready", PROMPT))[-1]
            replayed = (await _recv(second, "answer.done", PROMPT))[-1]
            await second.send(json.dumps({"type": "user.text", "text": "年收入30万", "id": "n"}))
            started = time.monotonic()
            after = await _recv(second, "answer.done", PROMPT)
            waited = time.monotonic() - started
        return result | {
            "ready": ready,
            "ack": ack,
            "resumed": resumed,
            "replayed": replayed,
            "after": after,
            "waited": waited,
        }

    result = asyncio.run(scenario())
    ack, replayed, after = result["ack"], result["replayed"], result["after"]
    assert result["resumed"]["replaying"] == 1
    assert replayed["seq"] == ack["seq"]
    assert replayed["interrupted"] is True
    next_ack = next(frame for frame in after if frame["type"] == "turn.ack")
    assert next_ack["seq"] == ack["seq"] + 1
    assert after[-1]["seq"] == ack["seq"] + 1
    assert after[-1]["interrupted"] is False
    # Nothing the customer said was lost: both turns are stored, in order.
    customer_turns = servers.sql(
        "SELECT text FROM scenarios_turn WHERE session_id = %s AND role = 'customer' ORDER BY id",
        (result["ready"]["session_id"],),
    )
    assert [text for (text,) in customer_turns] == [QUESTION, "年收入30万"]
    # The killed process's socket does not keep the kiosk looking connected.
    killed_server = f"%:{doomed.pid}"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and servers.sql(
        "SELECT 1 FROM devices_deviceconnection WHERE server LIKE %s", (killed_server,)
    ):
        time.sleep(0.5)
    assert not servers.sql(
        "SELECT 1 FROM devices_deviceconnection WHERE server LIKE %s", (killed_server,)
    )
    print(
        f"next answer.done {result['waited']:.2f} s after the turn was sent "
        f"(the same turn on that process before the crash: {result['warm']:.2f} s)"
    )
