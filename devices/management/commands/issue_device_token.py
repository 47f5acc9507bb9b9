from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from devices.models import Device
from devices.services import device_token_issue


class Command(BaseCommand):
    help = "Issue a new credential for a device and print it (it is shown only once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("device_name")
        parser.add_argument("--label", default="issued from the command line")

    def handle(self, *args: object, device_name: str, label: str, **options: object) -> None:
        device = Device.objects.filter(name=device_name).first()
        if device is None:
            known = ", ".join(Device.objects.values_list("name", flat=True)[:20]) or "none"
            raise CommandError(f"No device named {device_name!r}. Known devices: {known}")
        if not device.is_active:
            raise CommandError(f"Device {device_name!r} is disabled; enable it in the admin first")
        self.stdout.write(device_token_issue(device=device, label=label))
