"""The app service over the avatar websocket (protocol bank-avatar/1), as the app's chat uses
it: streamed knowledge answers, the guide's confirm button, a tapped rating."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync

from scenarios.models import DialogueSession
from tests.avatar.conftest import Client, token_for

pytestmark = pytest.mark.django_db


def test_after_sales_streams_its_knowledge_answer_with_sources() -> None:
    token = token_for("demo-app")

    async def scenario() -> tuple[list[dict], list[dict]]:
        client = Client(f"/ws/avatar/?token={token}")
        await client.connect()
        await client.start("after_sales", "zh-hans")
        await client.say("我的银行卡丢了怎么办")
        answer = await client.say("对")
        rated = []
        for text in ("解决了", "5分，很快"):
            rated = await client.say(text)
        await client.close()
        return answer, rated

    answer, rated = async_to_sync(scenario)()
    kinds = [frame["type"] for frame in answer]
    assert kinds[0] == "turn.ack"
    assert kinds.count("answer.delta") >= 2
    done = answer[-1]
    assert done["step"] == "answer"
    # The protocol's sources are {n, title, url, snippet}; the url pins the cited revision.
    assert "/kb/faq-lost-stolen-card/revisions/" in done["sources"][0]["url"]
    assert any(action["type"] == "related_questions" for action in done["actions"])
    assert rated[-1]["status"] == "completed"
    session = DialogueSession.objects.get(pk=done["session_id"])
    assert session.channel == "app"
    assert session.memory["satisfaction"] == {"score": 5, "comment": "很快"}


def test_pre_sales_guide_steps_follow_the_guide_step_button() -> None:
    token = token_for("demo-app")

    async def scenario() -> list[dict]:
        client = Client(f"/ws/avatar/?token={token}")
        await client.connect()
        await client.start("pre_sales", "en")
        await client.say("pay off my mortgage early")
        await client.say("yes")
        first = (await client.say("ok"))[-1]
        await client.send({"type": "ui.event", "name": "confirm", "step": "guide", "data": {}})
        second = (await client.recv_until("answer.done"))[-1]
        await client.close()
        return [first, second]

    first, second = async_to_sync(scenario)()
    guide = [a for a in first["actions"] if a["type"] == "guide_step"][0]
    assert guide["index"] == 1
    assert guide["step"] == "guide"
    assert guide["confirm_label"] == "Done"
    assert [a for a in second["actions"] if a["type"] == "guide_step"][0]["index"] == 2
    assert [a for a in second["actions"] if a["type"] == "deep_link"][0]["url"] == (
        "harbourbank://loans/early-repayment"
    )
