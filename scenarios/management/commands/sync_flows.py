"""Create the flows the scenario packages ship and the database lacks (or export edited ones)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from scenarios.flows import flow_sync, flows_export


class Command(BaseCommand):
    help = _(
        "Create the flows each scenario package ships (flows.json) that the database lacks; "
        "flows edited in the admin are kept unless --replace. --export writes the database's "
        "flows back into their packages."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scenario", default=None, help=_("one scenario code; all if left out")
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help=_("rewrite flows that differ from their package (admin edits are lost)"),
        )
        parser.add_argument(
            "--export",
            action="store_true",
            help=_("write the database's flows into the packages' flows.json instead"),
        )

    def handle(self, *args: object, **options: object) -> None:
        scenario = options["scenario"]
        try:
            if options["export"]:
                for path in flows_export(scenario=scenario):
                    self.stdout.write(_("wrote %(path)s") % {"path": path})
                return
            report = flow_sync(scenario=scenario, replace=bool(options["replace"]))
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        for label, codes in (
            (_("created"), report.created),
            (_("replaced"), report.replaced),
            (_("unchanged"), report.unchanged),
            (_("kept (edited in the admin; --replace to overwrite)"), report.kept),
        ):
            if codes:
                self.stdout.write(f"{label}: {', '.join(codes)}")
