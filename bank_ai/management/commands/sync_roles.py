from __future__ import annotations

from django.core.management.base import BaseCommand

from bank_ai.roles import roles_sync


class Command(BaseCommand):
    help = "Create or reset the staff groups and their permissions from bank_ai/roles.py."

    def handle(self, *args: object, **options: object) -> None:
        for name, group in roles_sync().items():
            self.stdout.write(f"{name}: {group.permissions.count()} permissions")
