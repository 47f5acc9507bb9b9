"""A simulated day of the contact centre, for the dashboards' contact-centre and outbound pages.

Hand-overs: app customers ask for a person; the real routing puts each in a queue and offers it
to an agent; time passes (the entry's clock is moved back by the wait, as `traffic` dates whole
conversations back); the routing sweep flags SLA breaches and overflows, the customer may give
up, an agent takes over, sometimes warm-transfers, and hands back. Campaigns: the real campaign
run contacts the next customers at a moment of the day, and some customers reply through the
real reply handling. Every figure is the services' own records, dated back to the day. For
occupancy, each agent is online for the day's shift (09:00-21:00) and holds a conversation for a
few minutes before handing it back.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import F
from django.utils import timezone

from scenarios import dialogue
from scenarios.agentrouting.models import (
    AgentProfile,
    HandlingPeriod,
    PresencePeriod,
    QueueEntry,
    RoutingEvent,
    RoutingQueue,
)
from scenarios.agentrouting.services import (
    RoutingError,
    agent_presence_set,
    routing_sweep,
    transfer_accept,
    transfer_offer,
)
from scenarios.dialogue import DialogueError
from scenarios.models import CustomerNotification, DialogueSession, Takeover
from scenarios.outbound.models import Campaign, ContactAttempt
from scenarios.outbound.services import OutboundError, attempt_reply, campaign_run
from scenarios.takeover import TakeoverError, agent_say, takeover_end, takeover_start

ASK = (["我要转人工", "人工客服", "帮我转人工"], ["I want to talk to a person", "agent please"])
# Replies to the demo campaigns' scripts (bank_ai.demo.contact), weighted like real inboxes.
REPLIES = [
    (["1", "办理"], 3),
    (["1", "考虑"], 2),
    (["1"], 2),
    (["不感兴趣"], 2),
    (["退订"], 1),
]


def _agents() -> list[Any]:
    return [
        p.user
        for p in AgentProfile.objects.filter(queues__is_active=True, user__is_active=True)
        .select_related("user")
        .distinct()
        .order_by("user__username")
    ]


def routed_agent(session: DialogueSession, default: Any) -> Any:
    """The agent the routing offered the session to (any agent when it is not routed)."""
    entry = (
        QueueEntry.objects.filter(session=session, state__in=QueueEntry.OPEN_STATES)
        .select_related("agent")
        .first()
    )
    return entry.agent if entry is not None and entry.agent is not None else default


def shift_routing(session: DialogueSession, shift: timedelta) -> None:
    """Move the session's routing records by `shift` (dating back, or letting a wait pass)."""
    QueueEntry.objects.filter(session=session).update(
        entered_at=F("entered_at") - shift,
        queued_at=F("queued_at") - shift,
        assigned_at=F("assigned_at") - shift,
        answered_at=F("answered_at") - shift,
        ended_at=F("ended_at") - shift,
    )
    RoutingEvent.objects.filter(entry__session=session).update(at=F("at") - shift)
    HandlingPeriod.objects.filter(entry__session=session).update(
        started_at=F("started_at") - shift, ended_at=F("ended_at") - shift
    )


def _wait(rng: random.Random) -> int:
    """Seconds before an agent picks up: mostly quick, some past the SLA, a few very long."""
    band = rng.choices([(3, 25), (25, 75), (75, 240)], weights=[6, 3, 1])[0]
    return int(rng.uniform(*band))


def _handover(
    rng: random.Random, agents: list[Any], device: Any, mark: str
) -> DialogueSession | None:
    language = "en" if rng.random() < 0.3 else "zh-hans"
    zh = language == "zh-hans"
    # Now and then every agent is busy elsewhere: the customer waits in the queue, and a
    # long wait overflows to the next queue.
    busy = rng.random() < 0.25
    try:
        if busy:
            for agent in agents:
                agent_presence_set(user=agent, presence=AgentProfile.Presence.AWAY)
        session, _result = dialogue.session_start(
            scenario="after_sales", channel="app", language=language, device=device
        )
        DialogueSession.objects.filter(pk=session.pk).update(memory={**session.memory, mark: True})
        dialogue.session_turn(session_id=session.pk, text=rng.choice(ASK[0] if zh else ASK[1]))
        session.refresh_from_db()
        if session.status != DialogueSession.Status.HANDED_OVER:
            return session
        # With everybody away the wait runs on until somebody is back: often past overflow.
        waited = timedelta(seconds=_wait(rng) + (rng.randint(60, 240) if busy else 0))
        shift_routing(session, waited)
        Takeover.objects.filter(session=session).update(requested_at=F("requested_at") - waited)
        routing_sweep()
        if rng.random() < 0.12:
            # The customer closes the app before anybody answers.
            DialogueSession.objects.filter(pk=session.pk).update(
                status=DialogueSession.Status.ABANDONED
            )
            # The sweep withdraws the request with the session; it ends in simulated time.
            routing_sweep()
            Takeover.objects.filter(session=session, state=Takeover.State.ENDED).update(
                ended_at=F("requested_at") + waited
            )
            return session
        if busy:
            for agent in agents:
                agent_presence_set(user=agent, presence=AgentProfile.Presence.ONLINE)
            busy = False
        agent = routed_agent(session, agents[0])
        takeover_start(session_id=session.pk, agent=agent)
        agent_say(
            session_id=session.pk,
            agent=agent,
            text="您好，我是人工客服，请问有什么可以帮您？" if zh else "Hello, how can I help?",
        )
        others = [a for a in agents if a.pk != agent.pk]
        if others and rng.random() < 0.15:
            colleague = rng.choice(others)
            transfer_offer(
                session_id=session.pk, agent=agent, to_agent=colleague, note="客户需要额度调整"
            )
            transfer_accept(session_id=session.pk, agent=colleague)
            agent = colleague
        takeover_end(session_id=session.pk, agent=agent)
        # The agent talked with the customer for a few minutes (the script takes none).
        HandlingPeriod.objects.filter(entry__session=session).update(
            started_at=F("started_at") - timedelta(seconds=rng.randint(90, 600))
        )
        return session
    except (DialogueError, TakeoverError, RoutingError):
        return None
    finally:
        if busy:
            for agent in agents:
                agent_presence_set(user=agent, presence=AgentProfile.Presence.ONLINE)


def simulate_handovers(
    rng: random.Random,
    moments: list[datetime],
    device: Any,
    mark: str,
    backdate: Callable[[DialogueSession, datetime], None],
) -> int:
    """One hand-over per moment, each dated back to its moment; the sessions made."""
    if not RoutingQueue.objects.filter(is_active=True).exists():
        return 0
    agents = _agents()
    if not agents:
        return 0
    for agent in agents:
        # The previous simulation sent the second agents home (`rest_second_agents`).
        if agent.agent_profile.presence != AgentProfile.Presence.ONLINE:
            agent_presence_set(user=agent, presence=AgentProfile.Presence.ONLINE)
    for day in sorted({timezone.localtime(moment).date() for moment in moments}):
        _shift_online(agents, day)
    made = 0
    for moment in moments:
        session = _handover(rng, agents, device, mark)
        if session is not None:
            backdate(session, moment)
            made += 1
    return made


def _shift_online(agents: list[Any], day: Any) -> None:
    """Each agent's online shift on a simulated day (once per agent and day), dated there:
    the presence changes above happen now, not on that day."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(day, time(9), tzinfo=zone)
    end = datetime.combine(day, time(21), tzinfo=zone)
    for agent in agents:
        PresencePeriod.objects.get_or_create(
            agent=agent,
            presence=AgentProfile.Presence.ONLINE,
            started_at=start,
            defaults={"ended_at": end},
        )


def rest_second_agents(keep: str = "agent") -> None:
    """Only the demo's `agent` stays online after the simulation, so a live hand-over reaches
    the agent one can log in as (the others served the simulated days)."""
    for profile in AgentProfile.objects.exclude(user__username=keep).select_related("user"):
        if profile.presence != AgentProfile.Presence.OFFLINE:
            agent_presence_set(user=profile.user, presence=AgentProfile.Presence.OFFLINE)


def simulate_campaigns(rng: random.Random, moment: datetime) -> int:
    """Each running campaign runs once at `moment`; some customers reply within the hour.
    The attempts made."""
    made = 0
    for campaign in Campaign.objects.filter(status=Campaign.Status.RUNNING).order_by("code"):
        before = set(ContactAttempt.objects.filter(campaign=campaign).values_list("pk", flat=True))
        campaign_run(campaign, moment)
        fresh = ContactAttempt.objects.filter(campaign=campaign).exclude(pk__in=before)
        for attempt in fresh.order_by("pk"):
            made += 1
            if attempt.status != ContactAttempt.Status.SENT:
                continue
            replied = moment + timedelta(minutes=rng.randint(2, 50))
            CustomerNotification.objects.filter(reference=f"outbound:{attempt.pk}").update(
                created_at=moment
            )
            if rng.random() < 0.35:
                continue  # no answer
            texts = rng.choices([r for r, _w in REPLIES], weights=[w for _r, w in REPLIES])[0]
            try:
                for text in texts:
                    attempt_reply(attempt_id=attempt.pk, text=text)
            except OutboundError:
                continue
            ContactAttempt.objects.filter(pk=attempt.pk, outcome_at__isnull=False).update(
                outcome_at=replied
            )
    return made
