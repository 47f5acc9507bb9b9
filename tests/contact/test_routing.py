"""Skills-based routing: queues, presence and capacity, SLA and overflow, warm transfer, inbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from devices.models import Device
from scenarios import dialogue
from scenarios.agentrouting.models import AgentProfile, QueueEntry, RoutingEvent, RoutingQueue
from scenarios.agentrouting.selectors import inbox_for, queue_figures, session_visible_to
from scenarios.agentrouting.services import (
    RoutingError,
    agent_presence_set,
    routing_sweep,
    transfer_accept,
    transfer_offer,
)
from scenarios.models import Customer, DialogueSession, Takeover, TakeoverAudit
from scenarios.takeover import TakeoverError, takeover_end, takeover_start
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _agent(
    username: str,
    *queues: RoutingQueue,
    capacity: int = 1,
    online: bool = True,
    languages: list[str] | None = None,
):  # noqa: ANN202
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name="remote agent"))
    profile = AgentProfile.objects.create(
        user=user,
        capacity=capacity,
        languages=languages or [],
        presence="online" if online else "offline",
    )
    profile.queues.set(queues)
    return user


def _queue(code: str, **fields) -> RoutingQueue:  # noqa: ANN003
    return RoutingQueue.objects.create(code=code, name=code, **fields)


def _waiting(
    language: str = "zh-hans", customer: Customer | None = None, text: str = "转人工"
) -> DialogueSession:
    session, _ = dialogue.session_start(
        scenario="super_teller",
        channel="vtm",
        language=language,
        device=Device.objects.get(name="demo-vtm"),
        customer=customer,
    )
    dialogue.session_turn(session_id=session.pk, text=text)
    session.refresh_from_db()
    assert session.status == DialogueSession.Status.HANDED_OVER
    return session


def _entry(session: DialogueSession) -> QueueEntry:
    return QueueEntry.objects.select_related("queue").get(session=session)


def test_without_queues_nothing_is_routed_and_every_agent_sees_every_session() -> None:
    session = _waiting()
    assert not QueueEntry.objects.exists()
    bob = _agent("bob")
    assert session_visible_to(bob, session.pk)
    assert str(session.pk) in [row["id"] for row in inbox_for(bob)]


def test_a_session_goes_to_the_queue_matching_its_language_and_to_a_skilled_agent() -> None:
    general = _queue("general")
    english = _queue("english", languages=["en"])
    _agent("zh_agent", general)
    en_agent = _agent("en_agent", english)
    session = _waiting(language="en", text="I want to talk to a person")
    entry = _entry(session)
    assert entry.queue == english
    assert (entry.state, entry.agent) == ("assigned", en_agent)


def test_the_most_specific_queue_wins_over_a_catch_all() -> None:
    _queue("general", rank=5)
    teller = _queue("teller", service_types=["super_teller"], languages=["zh-hans"])
    assert _entry(_waiting()).queue == teller


def test_vip_and_angry_customers_get_a_higher_priority_and_are_assigned_first() -> None:
    queue = _queue("general")
    plain = _waiting()
    vip = Customer.objects.filter(income_band="gt500k").first()
    assert vip is not None
    important = _waiting(customer=vip)
    assert _entry(important).priority > _entry(plain).priority
    agent = _agent("only", queue, capacity=1)
    agent_presence_set(user=agent, presence="online")
    assert _entry(important).agent == agent
    assert _entry(plain).state == "waiting"


def test_an_agent_at_capacity_gets_nothing_more_and_the_next_waits() -> None:
    queue = _queue("general")
    agent = _agent("single", queue, capacity=1)
    first, second = _waiting(), _waiting()
    assert _entry(first).agent == agent
    assert (_entry(second).state, _entry(second).agent) == ("waiting", None)
    takeover_start(session_id=first.pk, agent=agent)
    takeover_end(session_id=first.pk, agent=agent)
    # Handing back frees the place: the waiting session is routed at once.
    assert _entry(second).agent == agent
    assert _entry(first).state == "done"


def test_only_online_agents_receive_sessions_and_going_away_requeues_untaken_ones() -> None:
    queue = _queue("general")
    away = _agent("away", queue, online=False)
    session = _waiting()
    assert _entry(session).state == "waiting"
    agent_presence_set(user=away, presence="online")
    assert _entry(session).agent == away
    other = _agent("other", queue)
    agent_presence_set(user=away, presence="away")
    assert _entry(session).agent == other
    assert RoutingEvent.objects.filter(entry__session=session, kind="requeued").exists()


def test_the_inbox_shows_an_agent_only_what_is_routed_to_them() -> None:
    queue = _queue("general")
    alice = _agent("alice", queue, capacity=1)
    bob = _agent("bob", queue, capacity=1)
    first, second = _waiting(), _waiting()
    owner = {_entry(first).agent, _entry(second).agent}
    assert owner == {alice, bob}
    alice_sees = {row["id"] for row in inbox_for(alice)}
    bob_sees = {row["id"] for row in inbox_for(bob)}
    assert len(alice_sees) == len(bob_sees) == 1
    assert alice_sees.isdisjoint(bob_sees)
    assert not session_visible_to(alice, next(iter(bob_sees)))


def test_a_supervisor_sees_every_session() -> None:
    queue = _queue("general")
    _agent("worker", queue)
    boss = _agent("boss")
    AgentProfile.objects.filter(user=boss).update(is_supervisor=True)
    session = _waiting()
    assert str(session.pk) in {row["id"] for row in inbox_for(boss)}


def test_taking_over_a_session_routed_to_someone_else_is_refused() -> None:
    queue = _queue("general")
    owner = _agent("owner", queue)
    intruder = _agent("intruder", queue, online=False)
    session = _waiting()
    assert _entry(session).agent == owner
    with pytest.raises(TakeoverError) as refused:
        takeover_start(session_id=session.pk, agent=intruder)
    assert refused.value.code == "routed_to_other"
    takeover_start(session_id=session.pk, agent=owner)
    entry = _entry(session)
    assert entry.state == "answered"
    assert entry.answered_at is not None


def test_a_long_wait_breaches_the_sla_and_overflows_to_the_next_queue() -> None:
    backup = _queue("backup")
    main = _queue("main", sla_seconds=30, overflow_after_seconds=60, overflow_to=backup, rank=1)
    session = _waiting()
    entry = _entry(session)
    assert entry.queue == main
    helper = _agent("helper", backup)
    assert _entry(session).state == "waiting"  # helper serves backup only
    counts = routing_sweep(now=timezone.now() + timedelta(seconds=40))
    assert counts["sla_breached"] == 1
    assert counts["overflowed"] == 0
    counts = routing_sweep(now=timezone.now() + timedelta(seconds=61))
    entry = _entry(session)
    assert counts["overflowed"] == 1
    assert (entry.queue, entry.overflows, entry.sla_breached) == (backup, 1, True)
    assert entry.agent == helper


def test_a_customer_who_leaves_while_waiting_counts_as_abandoned() -> None:
    _queue("general")
    session = _waiting()
    DialogueSession.objects.filter(pk=session.pk).update(status="abandoned")
    assert routing_sweep()["abandoned"] == 1
    assert _entry(session).state == "abandoned"


def test_a_customer_who_left_no_longer_holds_a_place_among_the_devices_waiting_sessions(
    settings,  # noqa: ANN001
) -> None:
    settings.TAKEOVER_MAX_WAITING_PER_DEVICE = 1
    _queue("general")
    left = _waiting()
    DialogueSession.objects.filter(pk=left.pk).update(status="abandoned")
    routing_sweep()
    takeover = Takeover.objects.get(session=left)
    assert takeover.state == "ended"
    assert TakeoverAudit.objects.filter(
        session=left, action="withdrawn", reason="customer_left"
    ).exists()
    # The same VTM may hand over its next customer: the one who left does not count.
    _waiting()


def test_a_warm_transfer_keeps_the_first_agent_in_control_until_accepted() -> None:
    queue = _queue("general")
    first = _agent("first", queue)
    second = _agent("second", queue, online=False)
    session = _waiting()
    takeover_start(session_id=session.pk, agent=first)
    with pytest.raises(RoutingError):
        transfer_accept(session_id=session.pk, agent=second)
    transfer_offer(session_id=session.pk, agent=first, to_agent=second, note="挂失已办，需调额")
    assert Takeover.objects.get(session=session, state="active").agent == first
    assert session_visible_to(second, session.pk)
    transfer_accept(session_id=session.pk, agent=second)
    assert Takeover.objects.get(session=session, state="active").agent == second
    assert _entry(session).agent == second
    assert TakeoverAudit.objects.filter(session=session, reason="warm_transfer").exists()
    assert not session_visible_to(first, session.pk)


def test_equally_idle_agents_are_offered_work_in_the_order_they_joined() -> None:
    queue = _queue("general")
    first = _agent("first", queue)
    _agent("second", queue)
    # Rewritten rows go to the end of their tables, so an unordered scan would now meet the
    # second agent first; the tie must not depend on that.
    profile = AgentProfile.objects.get(user=first)
    profile.queues.remove(queue)
    profile.queues.add(queue)
    AgentProfile.objects.filter(pk=profile.pk).update(capacity=1)
    session = _waiting()
    assert _entry(session).agent == first


def test_only_the_agent_in_control_may_offer_a_transfer() -> None:
    queue = _queue("general")
    first = _agent("first", queue)
    second = _agent("second", queue)
    session = _waiting()
    takeover_start(session_id=session.pk, agent=first)
    with pytest.raises(RoutingError) as refused:
        transfer_offer(session_id=session.pk, agent=second, to_agent=first)
    assert refused.value.code == "not_taken"


def test_queue_figures_count_waiting_answered_abandoned_and_time_to_answer() -> None:
    queue = _queue("general", sla_seconds=60)
    answered_session, abandoned_session, still_waiting = _waiting(), _waiting(), _waiting()
    agent = _agent("counter", queue, capacity=5, online=False)
    QueueEntry.objects.filter(session=answered_session).update(
        entered_at=timezone.now() - timedelta(seconds=42)
    )
    agent_presence_set(user=agent, presence="online")
    takeover_start(session_id=answered_session.pk, agent=agent)
    # The other two were assigned too (capacity 5); one customer leaves, one is still waiting.
    agent_presence_set(user=agent, presence="offline")
    DialogueSession.objects.filter(pk=abandoned_session.pk).update(status="abandoned")
    routing_sweep()
    today = timezone.localdate()
    [row] = queue_figures(today, today)
    assert row["queue"] == "general"
    assert (row["entered"], row["answered"], row["abandoned"], row["waiting_now"]) == (3, 1, 1, 1)
    assert row["answer_seconds_avg"] == pytest.approx(42, abs=2)
    assert row["sla_met_rate"] == 1.0
    assert row["abandon_rate"] == 0.5
    assert still_waiting.pk in QueueEntry.objects.filter(state="waiting").values_list(
        "session_id", flat=True
    )
    yesterday = today - timedelta(days=1)
    assert queue_figures(yesterday, yesterday)[0]["entered"] == 0


def test_presence_and_each_agents_conversations_are_kept_as_periods_for_occupancy() -> None:
    from scenarios.agentrouting.models import HandlingPeriod, PresencePeriod

    queue = _queue("general")
    first = _agent("first", queue, online=False)
    second = _agent("second", queue, online=False)
    agent_presence_set(user=first, presence="online")
    agent_presence_set(user=first, presence="online", capacity=2)  # same presence: one period
    agent_presence_set(user=second, presence="online")
    session = _waiting()
    takeover_start(session_id=session.pk, agent=first)
    transfer_offer(session_id=session.pk, agent=first, to_agent=second)
    transfer_accept(session_id=session.pk, agent=second)
    takeover_end(session_id=session.pk, agent=second)
    agent_presence_set(user=first, presence="away")
    agent_presence_set(user=first, presence="offline")

    presence = list(
        PresencePeriod.objects.filter(agent=first)
        .order_by("started_at")
        .values_list("presence", "ended_at")
    )
    assert [p for p, _ended in presence] == ["online", "away"]
    assert all(ended is not None for _p, ended in presence)  # offline: nothing open
    handled = list(
        HandlingPeriod.objects.filter(entry=_entry(session)).order_by("started_at", "pk")
    )
    assert [h.agent for h in handled] == [first, second]
    # The first agent's time ends when the second accepts; the second's when handed back.
    assert handled[0].ended_at == handled[1].started_at
    assert handled[1].ended_at == _entry(session).ended_at
