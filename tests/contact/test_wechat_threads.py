"""The WeChat 5-second rule with the production turn runner: turns on threads of their own,
each with its own database connection, so these tests commit for real (like
tests/scenarios/test_turn_order.py) and delete what they created."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings

from devices.omni import wechat
from devices.omni.models import ChannelIdentity, WeChatAccount, WeChatMessage
from scenarios.models import DialogueSession
from tests.fakes.wechat_platform import APP_ID, APP_SECRET, FakeWeChatAPI, message_xml


@pytest.fixture
def threads_account(
    django_db_setup: None, django_db_blocker: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[WeChatAccount]:
    runner = wechat.WorkerThreads()
    monkeypatch.setattr(wechat, "RUNNER", runner)
    with django_db_blocker.unblock():
        account = WeChatAccount.objects.create(
            code="threads", app_id=APP_ID, app_secret=APP_SECRET, token="t"
        )
        try:
            yield account
        finally:
            if runner.pool is not None:
                runner.pool.shutdown(wait=True)
            identities = ChannelIdentity.objects.filter(external_id__startswith="threads:")
            sessions = list(identities.values_list("session_id", flat=True))
            identities.delete()
            DialogueSession.objects.filter(pk__in=sessions).delete()
            account.delete()
            connection.close()


def _message(openid: str, msg_id: str) -> wechat.Inbound:
    parsed = wechat.parse_message(message_xml(openid, Content="信用卡年费是多少", msg_id=msg_id))
    inbound = wechat.inbound_of(WeChatAccount(code="threads"), parsed)
    assert inbound is not None
    return inbound


# Generous: the first answer of a process loads the knowledge models, on a loaded machine.
@override_settings(WECHAT_PASSIVE_REPLY_SECONDS=60)
def test_a_turn_done_in_time_on_a_worker_thread_is_the_passive_reply(threads_account) -> None:  # noqa: ANN001
    reply = wechat.callback_answer(threads_account, _message("openid-t1", "t1"))
    stored = WeChatMessage.objects.get(account=threads_account, msg_key="t1")
    assert stored.state == "passive"
    assert reply == stored.reply != ""
    assert stored.session.turns.filter(role="customer").count() == 1


@override_settings(WECHAT_PASSIVE_REPLY_SECONDS=0.3)
def test_a_slow_turn_on_a_worker_thread_is_sent_through_the_api_after_success(
    threads_account,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_converse = wechat.converse

    def slow_converse(*args: Any, **kwargs: Any) -> Any:
        time.sleep(1.5)  # a slow LLM answer
        return real_converse(*args, **kwargs)

    monkeypatch.setattr(wechat, "converse", slow_converse)
    with FakeWeChatAPI() as api:
        WeChatAccount.objects.filter(pk=threads_account.pk).update(api_base=api.base_url)
        threads_account.refresh_from_db()
        started = time.monotonic()
        reply = wechat.callback_answer(threads_account, _message("openid-t2", "t2"))
        waited = time.monotonic() - started
        assert reply == ""  # "success": nothing shown now, no retry
        assert waited < 1.5
        rows = WeChatMessage.objects.filter(account=threads_account, msg_key="t2")
        deadline = time.monotonic() + 120
        while rows.filter(state="late").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    stored = rows.get()
    assert stored.state == "sent"
    assert api.sent == [
        {"touser": "openid-t2", "msgtype": "text", "text": {"content": stored.reply}}
    ]


@pytest.mark.django_db
def test_a_message_is_stored_once_per_msg_id() -> None:
    # Also what makes pytest-django create the test database when this module runs alone.
    account = WeChatAccount.objects.create(code="once", app_id=APP_ID, app_secret=APP_SECRET)
    first, new = wechat.message_receive(account, _message("openid-o", "o1"))
    again, new_again = wechat.message_receive(account, _message("openid-o", "o1"))
    assert (new, new_again, again.pk) == (True, False, first.pk)
