"""The bank's staff roles as Django groups, with the permissions each one needs.

Applied by `manage.py sync_roles` (and by `seed_demo`); running it again resets each group's
model permissions to exactly this list, so the code is the reviewable source of truth.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission
from django.db import transaction


@dataclass(frozen=True)
class Role:
    group: str
    description: str
    # "app_label.codename" or "app_label.*" for every permission of an app.
    permissions: tuple[str, ...]
    is_staff: bool  # may log in to /admin/


ROLES: tuple[Role, ...] = (
    Role(
        "operations",
        "Runs devices, branches, the card catalogue and background tasks from the admin.",
        (
            "devices.*",
            # The branches moved to the domain (issue 14, step 2) and took their permissions.
            "branches.*",
            # So did the device registry (step 3).
            "touchpoints.*",
            "scenarios.*",
            # Contact centre: routing queues and agents, outbound campaigns, channel accounts.
            "agentrouting.*",
            "outbound.*",
            "omni.*",
            "django_q.*",
            # The operations analytics dashboards (scenarios.analytics).
            "analytics.view_dailyrollup",
            "content.view_knowledgecollection",
            # Video studio: where videos are published, and the render queue.
            "content.view_publishtarget",
            "content.add_publishtarget",
            "content.change_publishtarget",
            "content.view_renderbatch",
            "content.view_renderitem",
            "content.change_renderitem",
            "content.view_publication",
            "content.view_publishattempt",
            "authtoken.view_tokenproxy",
            "ai.view_intent",
            "ai.add_intent",
            "ai.change_intent",
            "ai.view_intentexample",
            "ai.add_intentexample",
            "ai.change_intentexample",
            "ai.delete_intentexample",
            "ai.view_intentmodel",
            "ai.view_indexingrun",
            "ai.add_indexingrun",
            "ai.view_knowledgechunk",
            "ai.view_llmcall",
            # Quality inspection: the review queue and scorecards, read only.
            "quality.view_inspection",
            "quality.view_criterion",
            "quality.view_scorereview",
        ),
        True,
    ),
    Role(
        "quality supervisor",
        "Edits the quality rubric, works the review queue and overrides scores with a reason.",
        (
            "quality.*",
            "scenarios.view_dialoguesession",
            "scenarios.view_turn",
            "scenarios.view_takeover",
        ),
        True,
    ),
    Role(
        "knowledge editor",
        "Writes and publishes knowledge pages in Wagtail.",
        (
            "wagtailadmin.access_admin",
            "content.view_knowledgecollection",
            "content.add_knowledgecollection",
            "content.change_knowledgecollection",
            "wagtaildocs.add_document",
            "wagtaildocs.change_document",
            "wagtailimages.add_image",
            "wagtailimages.change_image",
            "content.ask_staff_assistant",
            "content.view_questionhit",
            "staff_assistant.view_feedback",
            "staff_assistant.change_feedback",
            # Customer-need mining: clusters of unanswered questions, turned into FAQ drafts.
            "needs.view_needcluster",
            "needs.change_needcluster",
        ),
        False,
    ),
    Role(
        "compliance officer",
        "Reviews conversations, answers and restricted regulations; reads everything.",
        (
            "wagtailadmin.access_admin",
            "touchpoints.view_device",
            "branches.view_branch",
            "scenarios.view_cardproduct",
            "scenarios.view_cardbenefit",
            "scenarios.view_customer",
            "content.view_knowledgecollection",
            "content.ask_staff_assistant",
            "ai.view_answeraudit",
            "ai.view_llmcall",
            "ai.view_knowledgechunk",
            "ai.view_curatedquestion",
            "ai.view_intent",
            "content.view_questionhit",
            "staff_assistant.view_conversation",
            "staff_assistant.view_message",
            "staff_assistant.view_feedback",
            "scenarios.view_takeover",
            "scenarios.view_takeoveraudit",
            "analytics.view_dailyrollup",
            "scenarios.view_dialoguesession",
            "scenarios.view_turn",
            "agentrouting.view_routingevent",
            "outbound.view_campaign",
            "outbound.view_contactattempt",
            "outbound.view_contacthold",
            "outbound.view_donotcontact",
            # Video studio: compliance approves or sends back scripts.
            "content.review_videoscript",
            "content.view_videoscript",
            "content.view_scriptversion",
            "content.view_reviewevent",
            "content.view_topic",
            "content.view_scripttemplate",
            "content.view_renderbatch",
            "content.view_renderitem",
            "content.view_publication",
            "quality.view_inspection",
            "quality.view_criterion",
            "quality.view_scorereview",
            "quality.review_inspection",
        ),
        True,
    ),
    Role(
        "video producer",
        "Produces avatar videos: topic pool, scripts, styles, render batches and publishing.",
        (
            "content.view_feedsource",
            "content.add_feedsource",
            "content.change_feedsource",
            "content.view_topic",
            "content.change_topic",
            "content.view_topicsource",
            "content.view_scripttemplate",
            "content.add_scripttemplate",
            "content.change_scripttemplate",
            "content.view_styleentry",
            "content.add_styleentry",
            "content.change_styleentry",
            "content.view_videoscript",
            "content.add_videoscript",
            "content.change_videoscript",
            "content.view_scriptversion",
            "content.view_reviewevent",
            "content.view_wealthmanager",
            "content.add_wealthmanager",
            "content.change_wealthmanager",
            "content.view_renderbatch",
            "content.add_renderbatch",
            "content.view_renderitem",
            "content.change_renderitem",
            "content.view_publishtarget",
            "content.view_publication",
            "content.add_publication",
            "content.view_publishattempt",
            "content.ask_staff_assistant",
        ),
        True,
    ),
    Role(
        "remote agent",
        "Watches live avatar sessions and takes them over from the agent console.",
        (
            "touchpoints.view_device",
            "branches.view_branch",
            "scenarios.view_cardproduct",
            "scenarios.view_customer",
            "scenarios.view_dialoguesession",
            "scenarios.view_turn",
            "scenarios.view_takeover",
            "scenarios.change_takeover",
            "content.ask_staff_assistant",
        ),
        False,
    ),
    Role(
        "branch staff",
        "Calls queue tickets at a counter and manages the branch's screens.",
        (
            "branches.view_branch",
            "branches.view_counter",
            "branches.change_counter",
            "touchpoints.view_device",
            "branches.view_servicetype",
            "branches.view_ticket",
            "branches.add_ticket",
            "branches.change_ticket",
            "devices.view_playlist",
            "content.ask_staff_assistant",
        ),
        False,
    ),
    Role(
        "employee",
        "Asks the staff assistant about products, processes, campaigns and regulations.",
        ("content.ask_staff_assistant",),
        False,
    ),
)


def _resolve(spec: str) -> list[Permission]:
    app_label, codename = spec.split(".", 1)
    permissions = Permission.objects.filter(content_type__app_label=app_label)
    if codename != "*":
        permissions = permissions.filter(codename=codename)
    found = list(permissions)
    if not found:
        raise LookupError(f"permission {spec!r} does not exist (is the app migrated?)")
    return found


@transaction.atomic
def roles_sync() -> dict[str, Group]:
    groups: dict[str, Group] = {}
    for role in ROLES:
        group, _created = Group.objects.get_or_create(name=role.group)
        permissions: list[Permission] = []
        for spec in role.permissions:
            permissions.extend(_resolve(spec))
        group.permissions.set(permissions)
        groups[role.group] = group
    return groups
