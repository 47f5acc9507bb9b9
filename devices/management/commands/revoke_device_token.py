from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from devices.models import DeviceToken
from devices.services import TOKEN_SCHEME, device_tokens_revoke


class Command(BaseCommand):
    help = (
        "Revoke device tokens (by the token itself or its prefix, or every token of a device) "
        "and close the sockets they opened, on every server process."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("token", nargs="?", help="the token (dvt_…) or its public prefix")
        parser.add_argument("--device", help="revoke every token of this device instead")

    def handle(
        self, *args: object, token: str | None, device: str | None, **options: object
    ) -> None:
        if bool(token) == bool(device):
            raise CommandError("Name either a token (or its prefix) or --device <name>.")
        if device:
            tokens = DeviceToken.objects.filter(device__name=device)
            if not tokens.exists():
                raise CommandError(f"Device {device!r} has no tokens (or does not exist).")
        else:
            parts = token.strip().split("_")
            prefix = parts[1] if len(parts) >= 3 and parts[0] == TOKEN_SCHEME else token.strip()
            tokens = DeviceToken.objects.filter(prefix=prefix)
            if not tokens.exists():
                raise CommandError(f"No device token with prefix {prefix!r}.")
        revoked = device_tokens_revoke(tokens=tokens)
        self.stdout.write(f"Revoked {revoked} token(s); their open connections are being closed.")
