"""The demo bank's contact centre: routing queues, the remote agents who serve them, marketing
consent, and two outbound campaigns (found by code, created only when missing).

The queues route every hand-over (as the console did before routing, but now each waits in a
queue with a service level): VIP customers and upset ones to `priority`, the rest to
`general`, which overflows to `priority` after two minutes without an agent.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from scenarios.agentrouting.models import AgentProfile, RoutingQueue
from scenarios.models import Customer
from scenarios.outbound.models import Campaign, ContactConsent, DoNotContact, Segment

# A second agent so warm transfers have somebody to go to.
SECOND_AGENT = ("agent2", "坐席", "林")

CAMPAIGN_SCRIPT = {
    "start": "open",
    "steps": {
        "open": {
            "text": {
                "zh-hans": "{name}先生/女士，海港银行境外消费返现活动进行中，"
                "回复1了解详情，回复退订不再收到。",
                "en": "Hello {name}, Harbour Bank gives cash back abroad: reply 1 for details, "
                "STOP to unsubscribe.",
            },
            "replies": {"1": "details", "不感兴趣": "reached", "no": "reached"},
        },
        "details": {
            "text": {
                "zh-hans": "境外消费返现5%，回复 办理 立即开通，回复 考虑 稍后联系您。",
                "en": "5% back on spending abroad. Reply YES to sign up, LATER to hear again.",
            },
            "replies": {"办理": "converted", "yes": "converted", "考虑": "interested"},
        },
    },
}
REMINDER_SCRIPT = {
    "start": "open",
    "steps": {
        "open": {
            "text": {
                "zh-hans": "{name}先生/女士，您的信用卡账单即将到期，回复1设置自动还款。",
                "en": "Hello {name}, your card statement is due soon: reply 1 to set up autopay.",
            },
            "replies": {"1": "converted", "考虑": "interested", "later": "interested"},
        },
    },
}


def _agent(username: str, first: str, last: str) -> object:
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first,
            "last_name": last,
            "email": f"{username}@harbourbank.example",
            "is_staff": True,
        },
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    group = Group.objects.filter(name="remote agent").first()
    if group is not None:
        user.groups.add(group)
    return user


def seed(log: Callable[[str], None]) -> dict[str, int]:
    priority, _ = RoutingQueue.objects.get_or_create(
        code="priority",
        defaults={"name": "优先服务 Priority", "min_priority": 2, "rank": 10, "sla_seconds": 30},
    )
    general, _ = RoutingQueue.objects.get_or_create(
        code="general",
        defaults={
            "name": "综合服务 General",
            "sla_seconds": 60,
            "overflow_after_seconds": 120,
            "overflow_to": priority,
        },
    )
    agents = 0
    for username, first, last in (("agent", "坐席", "陈"), SECOND_AGENT):
        user = _agent(username, first, last)
        profile, created = AgentProfile.objects.get_or_create(
            user=user, defaults={"capacity": 3, "presence": AgentProfile.Presence.ONLINE}
        )
        if created:
            profile.queues.set([general, priority])
            agents += 1
    # Two in three customers agreed to marketing (by their number, the same everywhere); one
    # asked never to be contacted.
    customers = list(Customer.objects.order_by("customer_no"))
    for index, customer in enumerate(customers):
        ContactConsent.objects.get_or_create(
            customer=customer, defaults={"marketing": index % 3 != 2}
        )
    if customers and not DoNotContact.objects.filter(customer=customers[-1]).exists():
        DoNotContact.objects.create(customer=customers[-1], reason="demo: asked not to be called")
    everyone, _ = Segment.objects.get_or_create(code="all-customers", defaults={"name": "全部客户"})
    cardholders, _ = Segment.objects.get_or_create(
        code="cardholders",
        defaults={"name": "持卡客户 Cardholders", "rules": {"due_within_days": 20}},
    )
    # Started long ago, so simulated history can fall inside their dates.
    since = timezone.now() - timedelta(days=800)
    created = 0
    for code, name, segment, purpose, script in (
        ("cashback-abroad", "境外返现 Cash back abroad", everyone, "marketing", CAMPAIGN_SCRIPT),
        ("autopay-reminder", "自动还款提醒 Autopay", cardholders, "service", REMINDER_SCRIPT),
    ):
        _, made = Campaign.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "segment": segment,
                "purpose": purpose,
                "channel": "app_inbox",
                "status": Campaign.Status.RUNNING,
                "script": script,
                "starts_at": since,
                "quiet_from": time(21, 0),
                "quiet_until": time(9, 0),
                "batch_size": 2,
            },
        )
        created += int(made)
    log(f"contact centre: 2 queues, {agents} new agent profiles, {created} new campaigns")
    return {"routing_queues": 2, "campaigns": created}
