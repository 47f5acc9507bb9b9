from __future__ import annotations

import pytest
from django.contrib.auth import authenticate, get_user_model

from bank_ai.demo.users import DEMO_USERS
from content.models import KnowledgeCollection

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.mark.parametrize("username", list(DEMO_USERS))
def test_each_demo_user_logs_in_with_the_demo_password(username: str, demo_password: str) -> None:
    assert authenticate(username=username, password=demo_password) is not None


@pytest.mark.parametrize(
    ("username", "group"), [(name, group) for name, (group, *_rest) in DEMO_USERS.items() if group]
)
def test_each_demo_user_belongs_to_its_group(username: str, group: str) -> None:
    assert list(User.objects.get(username=username).groups.values_list("name", flat=True)) == [
        group
    ]


def test_operations_manage_devices_but_not_knowledge_pages() -> None:
    ops = User.objects.get(username="ops")
    assert ops.has_perm("touchpoints.change_device")
    assert ops.has_perm("devices.change_devicetoken")
    assert ops.has_perm("branches.change_branch")
    assert ops.has_perm("django_q.view_task")
    assert not ops.has_perm("wagtailadmin.access_admin")


def test_knowledge_editors_reach_wagtail_but_not_devices() -> None:
    editor = User.objects.get(username="editor")
    assert editor.has_perm("wagtailadmin.access_admin")
    assert not editor.has_perm("touchpoints.change_device")


def test_only_compliance_may_be_answered_from_the_restricted_collection() -> None:
    restricted = KnowledgeCollection.objects.get(slug="compliance-restricted")
    assert User.objects.get(username="compliance").has_perm(
        "content.answer_from_collection", restricted
    )
    assert not User.objects.get(username="employee").has_perm(
        "content.answer_from_collection", restricted
    )


def test_employees_may_be_answered_from_the_staff_handbook() -> None:
    handbook = KnowledgeCollection.objects.get(slug="staff-handbook")
    assert User.objects.get(username="employee").has_perm(
        "content.answer_from_collection", handbook
    )
