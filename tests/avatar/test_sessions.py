"""Sessions over the avatar socket: start, streamed turns, sequencing, resume and replay."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async

from devices.models import Device, SessionFrame
from devices.push import push_to_session
from scenarios.models import DialogueSession, Turn
from tests.avatar.conftest import Client, token_for

pytestmark = pytest.mark.django_db


def test_session_start_sends_ready_then_the_greeting_as_frame_1(kiosk_token: str) -> None:
    async def scenario() -> tuple[dict, dict]:
        client = Client(f"/ws/avatar/?token={kiosk_token}")
        await client.connect()
        await client.send({"type": "session.start", "scenario": "credit_card", "language": "en"})
        ready = await client.recv()
        greeting = await client.recv()
        await client.close()
        return ready, greeting

    ready, greeting = async_to_sync(scenario)()
    assert ready["type"] == "session.ready"
    assert ready["resumed"] is False
    assert ready["last_seq"] == 1
    assert greeting["seq"] == 1
    assert greeting["session_id"] == ready["session_id"]
    assert greeting["in_reply_to"] is None
    assert "credit card" in greeting["text"]
    assert greeting["cue"]["gesture"] == "wave"
    session = DialogueSession.objects.get(pk=ready["session_id"])
    assert session.device == Device.objects.get(name="demo-kiosk")
    assert session.channel == "kiosk"


def test_a_turn_is_acknowledged_then_streamed_with_the_seq_of_its_answer(
    kiosk_token: str,
) -> None:
    async def scenario() -> list[dict]:
        client = Client(f"/ws/avatar/?token={kiosk_token}")
        await client.connect()
        await client.start()
        frames = await client.say("我经常出国旅游，也喜欢吃美食")
        await client.close()
        return frames

    frames = async_to_sync(scenario)()
    kinds = [frame["type"] for frame in frames]
    assert kinds[0] == "turn.ack"
    assert kinds[-1] == "answer.done"
    assert set(kinds[1:-1]) == {"answer.delta"}
    ack, done = frames[0], frames[-1]
    assert ack["id"] == "t"
    assert ack["seq"] == done["seq"] == 2
    deltas = frames[1:-1]
    assert all(delta["seq"] == 2 for delta in deltas)
    assert [delta["index"] for delta in deltas] == list(range(len(deltas)))
    assert "".join(delta["text"] for delta in deltas) == done["text"]
    assert all(0 <= delta["cue"]["mouth"] <= 1 for delta in deltas)
    assert done["in_reply_to"] == {
        "kind": "text",
        "text": "我经常出国旅游，也喜欢吃美食",
        "source": "typed",
    }
    assert done["step"] == "ask_income"


def test_the_turn_is_stored_masked_before_the_answer(kiosk_token: str) -> None:
    async def scenario() -> list[dict]:
        client = Client(f"/ws/avatar/?token={kiosk_token}")
        await client.connect()
        await client.start()
        frames = await client.say("我的卡号 4111 1111 1111 1111 出国能用吗？", source="asr")
        await client.close()
        return frames

    frames = async_to_sync(scenario)()
    done = frames[-1]
    assert "4111 1111 1111 1111" not in done["in_reply_to"]["text"]
    assert done["in_reply_to"]["source"] == "asr"
    customer = Turn.objects.get(session_id=done["session_id"], role=Turn.Role.CUSTOMER)
    assert "4111 1111 1111 1111" not in customer.text
    assert (
        customer.seq
        < Turn.objects.filter(session_id=done["session_id"], role=Turn.Role.ASSISTANT)
        .order_by("-seq")
        .first()
        .seq
    )


def test_resume_replays_exactly_the_frames_after_last_seq_then_continues(
    kiosk_token: str,
) -> None:
    async def scenario() -> tuple[list[dict], list[dict]]:
        first = Client(f"/ws/avatar/?token={kiosk_token}")
        await first.connect()
        await first.start()
        await first.say("我经常出国旅游")
        await first.say("年收入30万")
        session_id = first.session_id
        await first.close()
        # A new socket that saw only the greeting (seq 1) before it dropped.
        second = Client(f"/ws/avatar/?token={kiosk_token}")
        await second.connect()
        await second.send({"type": "session.resume", "session_id": session_id, "last_seq": 1})
        replay = [await second.recv() for _ in range(3)]
        more = await second.say("不想要年费")
        await second.close()
        return replay, more

    replay, more = async_to_sync(scenario)()
    ready, *frames = replay
    assert ready["type"] == "session.ready"
    assert ready["resumed"] is True
    assert ready["replaying"] == 2
    assert ready["last_seq"] == 3
    assert [frame["seq"] for frame in frames] == [2, 3]
    assert [frame["in_reply_to"]["text"] for frame in frames] == ["我经常出国旅游", "年收入30万"]
    assert more[0]["seq"] == more[-1]["seq"] == 4


def test_a_push_made_while_the_device_was_away_is_replayed_once(kiosk_token: str) -> None:
    async def scenario() -> tuple[list[dict], dict]:
        first = Client(f"/ws/avatar/?token={kiosk_token}")
        await first.connect()
        await first.start()
        session_id = first.session_id
        await first.close()
        await sync_to_async(push_to_session)(
            session_id, {"type": "avatar.say", "text": "您好，我是客户经理小王。"}
        )
        second = Client(f"/ws/avatar/?token={kiosk_token}")
        await second.connect()
        await second.send({"type": "session.resume", "session_id": session_id, "last_seq": 1})
        frames = [await second.recv(), await second.recv()]
        await second.send({"type": "ping", "nonce": 1})
        after = await second.recv()
        await second.close()
        return frames, after

    (ready, pushed), after = async_to_sync(scenario)()
    assert ready["replaying"] == 1
    assert pushed == {
        **pushed,
        "type": "avatar.say",
        "seq": 2,
        "text": "您好，我是客户经理小王。",
    }
    assert after["type"] == "pong"  # and no second copy of the push


def test_a_live_push_reaches_the_bound_socket_with_the_next_seq(
    kiosk_token: str, django_capture_on_commit_callbacks
) -> None:
    def push(session_id: str) -> None:
        # The test runs in a transaction: run the on-commit send as a commit would.
        with django_capture_on_commit_callbacks(execute=True):
            push_to_session(
                session_id, {"type": "ui.action", "action": {"type": "show_qr", "payload": "x"}}
            )

    async def scenario() -> dict:
        client = Client(f"/ws/avatar/?token={kiosk_token}")
        await client.connect()
        await client.start()
        await sync_to_async(push)(client.session_id)
        frame = await client.recv()
        await client.close()
        return frame

    frame = async_to_sync(scenario)()
    assert frame["type"] == "ui.action"
    assert frame["seq"] == 2
    assert SessionFrame.objects.get(session_id=frame["session_id"], seq=2).type == "ui.action"


def test_a_device_cannot_resume_another_devices_session(kiosk_token: str) -> None:
    vtm_token = token_for("demo-vtm")

    async def scenario() -> dict:
        kiosk = Client(f"/ws/avatar/?token={kiosk_token}")
        await kiosk.connect()
        await kiosk.start()
        await kiosk.close()
        vtm = Client(f"/ws/avatar/?token={vtm_token}")
        await vtm.connect()
        await vtm.send({"type": "session.resume", "session_id": kiosk.session_id, "last_seq": 0})
        error = await vtm.recv()
        await vtm.close()
        return error

    assert async_to_sync(scenario)()["code"] == "session_forbidden"


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (
            {
                "type": "session.resume",
                "session_id": "0" * 8 + "-0000-4000-8000-" + "0" * 12,
                "last_seq": 0,
            },
            "session_not_found",
        ),
        ({"type": "user.text", "text": "你好"}, "no_session"),
        ({"type": "ui.event", "name": "confirm", "step": "x"}, "no_session"),
        ({"type": "session.start", "scenario": "no-such-flow"}, "unknown_scenario"),
    ],
)
def test_session_frames_out_of_place_get_a_coded_error(
    kiosk_token: str, frame: dict, code: str
) -> None:
    async def scenario() -> dict:
        client = Client(f"/ws/avatar/?token={kiosk_token}")
        await client.connect()
        await client.send(frame)
        error = await client.recv()
        await client.close()
        return error

    error = async_to_sync(scenario)()
    assert error["type"] == "error"
    assert error["code"] == code


def test_a_last_seq_ahead_of_the_session_is_refused(kiosk_token: str) -> None:
    async def scenario() -> dict:
        client = Client(f"/ws/avatar/?token={kiosk_token}")
        await client.connect()
        await client.start()
        await client.send(
            {"type": "session.resume", "session_id": client.session_id, "last_seq": 9}
        )
        error = await client.recv()
        await client.close()
        return error

    assert async_to_sync(scenario)()["code"] == "bad_seq"


def test_a_client_dropping_mid_answer_loses_neither_its_turn_nor_the_answer(
    kiosk_token: str,
) -> None:
    async def scenario() -> tuple[str, int, list[dict]]:
        first = Client(f"/ws/avatar/?token={kiosk_token}")
        await first.connect()
        await first.start()
        await first.send({"type": "user.text", "text": "信用卡年费怎么免？"})
        ack = await first.recv()
        assert ack["type"] == "turn.ack"
        delta = await first.recv()
        assert delta["type"] == "answer.delta"
        await first.close()  # gone before answer.done
        second = Client(f"/ws/avatar/?token={kiosk_token}")
        await second.connect()
        await second.send({"type": "session.resume", "session_id": first.session_id, "last_seq": 1})
        frames = [await second.recv(), await second.recv()]
        await second.close()
        return first.session_id, ack["seq"], frames

    session_id, seq, (ready, answer) = async_to_sync(scenario)()
    assert Turn.objects.filter(
        session_id=session_id, role=Turn.Role.CUSTOMER, text="信用卡年费怎么免？"
    ).exists()
    assert ready["replaying"] == 1
    assert answer["type"] == "answer.done"
    assert answer["seq"] == seq
    assert answer["text"]
    stored = SessionFrame.objects.get(session_id=session_id, seq=seq)
    assert stored.state == SessionFrame.State.READY


def test_a_second_turn_while_one_is_answered_is_refused_as_busy(kiosk_token: str) -> None:
    async def scenario() -> list[dict]:
        client = Client(f"/ws/avatar/?token={kiosk_token}")
        await client.connect()
        await client.start()
        await client.send({"type": "user.text", "text": "信用卡年费怎么免？"})
        await client.send({"type": "user.text", "text": "第二句", "id": "second"})
        frames = await client.recv_until("answer.done")
        await client.close()
        return frames

    frames = async_to_sync(scenario)()
    busy = [frame for frame in frames if frame["type"] == "error"]
    assert busy == [{**busy[0], "code": "busy", "id": "second"}]
    assert not Turn.objects.filter(text="第二句").exists()


def _to_recommendation(client: Client):  # noqa: ANN202 - a coroutine
    async def run() -> dict:
        await client.start()
        for text in ("我经常出国旅游，也喜欢美食", "年收入30万", "不想要年费", "对"):
            frames = await client.say(text)
        return frames[-1]

    return run()


def test_a_ui_event_moves_the_step_and_is_answered_with_the_next_frame(kiosk_token: str) -> None:
    async def scenario() -> tuple[dict, list[dict]]:
        client = Client(f"/ws/avatar/?token={kiosk_token}")
        await client.connect()
        recommendation = await _to_recommendation(client)
        card = recommendation["actions"][0]["cards"][1]["code"]
        await client.send(
            {
                "type": "ui.event",
                "name": "choose_card",
                "step": recommendation["step"],
                "data": {"card": card},
                "id": "e1",
            }
        )
        frames = await client.recv_until("answer.done")
        await client.close()
        return recommendation, frames

    recommendation, frames = async_to_sync(scenario)()
    assert [a["type"] for a in recommendation["actions"]][:2] == ["show_cards", "show_comparison"]
    ack, done = frames[0], frames[-1]
    assert ack == {**ack, "type": "turn.ack", "id": "e1", "event": "choose_card"}
    assert done["seq"] == ack["seq"] == recommendation["seq"] + 1
    assert done["in_reply_to"] == {
        "kind": "event",
        "name": "choose_card",
        "step": recommendation["step"],
    }
    assert done["actions"][0]["type"] == "show_card"
    assert done["cue"]["gesture"] == "point"


def test_a_ui_event_for_another_step_is_refused_in_sequence(kiosk_token: str) -> None:
    async def scenario() -> tuple[dict, dict]:
        client = Client(f"/ws/avatar/?token={kiosk_token}")
        await client.connect()
        await client.start()
        await client.send({"type": "ui.event", "name": "confirm", "step": "confirm_needs"})
        refused = await client.recv()
        await client.send({"type": "ping"})
        pong = await client.recv()
        await client.close()
        return refused, pong

    refused, pong = async_to_sync(scenario)()
    # Nothing was stored, so nothing is acknowledged: the refusal holds the reserved number.
    assert refused == {**refused, "type": "error", "code": "event_refused", "seq": 2}
    assert refused["in_reply_to"] == {"kind": "event", "name": "confirm", "step": "confirm_needs"}
    assert pong["type"] == "pong"


def test_a_session_frame_the_channel_layer_dropped_arrives_with_the_next_ping(
    kiosk_token: str, settings
) -> None:
    settings.AVATAR_HEARTBEAT_SECONDS = 0

    async def scenario() -> list[dict]:
        client = Client(f"/ws/avatar/?token={kiosk_token}")
        await client.connect()
        await client.start()
        # Inside the test's transaction the on-commit send never happens: as if the layer
        # had dropped the group message.
        await sync_to_async(push_to_session)(
            client.session_id, {"type": "avatar.say", "text": "请稍等"}
        )
        await client.send({"type": "ping", "nonce": 1})
        frames = [await client.recv(), await client.recv()]
        await client.close()
        return frames

    pong, pushed = async_to_sync(scenario)()
    assert pong["type"] == "pong"
    assert pushed == {**pushed, "type": "avatar.say", "seq": 2, "text": "请稍等"}
