from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from bank_ai.roles import ROLES, roles_sync

# username -> (group, first name, last name)
DEMO_USERS: dict[str, tuple[str | None, str, str]] = {
    "admin": (None, "System", "Administrator"),
    "ops": ("operations", "运营", "王"),
    "editor": ("knowledge editor", "编辑", "李"),
    "compliance": ("compliance officer", "合规", "张"),
    "agent": ("remote agent", "坐席", "陈"),
    "branch": ("branch staff", "大堂", "刘"),
    "employee": ("employee", "员工", "赵"),
    "producer": ("video producer", "制作", "周"),
    "supervisor": ("quality supervisor", "质检", "孙"),
}
STAFF_ROLES = {role.group: role.is_staff for role in ROLES}


@transaction.atomic
def seed(log: Callable[[str], None]) -> dict[str, int]:
    groups = roles_sync()
    user_model = get_user_model()
    created = 0
    for username, (group_name, first_name, last_name) in DEMO_USERS.items():
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model(
                username=username,
                first_name=first_name,
                last_name=last_name,
                email=f"{username}@harbourbank.example",
            )
            # The password is set only on creation so an operator's change survives a re-seed.
            user.set_password(settings.DEMO_PASSWORD)
            created += 1
        if group_name is None:
            user.is_superuser = True
            user.is_staff = True
        else:
            user.is_staff = user.is_staff or STAFF_ROLES[group_name]
        user.save()
        if group_name is not None:
            user.groups.add(groups[group_name])
    log(f"users: {len(DEMO_USERS)} ({created} new), groups: {len(groups)}")
    return {"users": len(DEMO_USERS), "groups": len(groups)}
