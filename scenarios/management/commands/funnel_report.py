"""Print the seed scenario's funnel KPIs (definitions in scenarios.dialogue.credit_card.kpis)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from scenarios.dialogue.credit_card.kpis import FunnelKpis, Ratio, funnel_kpis
from scenarios.models import Flow, FunnelEvent
from scenarios.models.dialogue import DEVICE_CHANNELS
from scenarios.selectors import session_channels


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            _("%(option)s must be a date like 2026-11-01, not %(value)r")
            % {"option": option, "value": value}
        ) from None


def _ratio(ratio: Ratio) -> str:
    value = ratio.value
    return "–" if value is None else f"{value * 100:.1f}%"


def _number(value: Decimal | None) -> str:
    return "–" if value is None else f"{value}"


class Command(BaseCommand):
    help = _("Print the funnel KPIs of a scenario (turns to recommendation, drop-off, completion).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scenario", default="credit_card")
        parser.add_argument(
            "--channel",
            default=None,
            help=f"{', '.join(DEVICE_CHANNELS)} or another channel sessions were recorded on",
        )
        parser.add_argument("--since", default=None, help="first day (YYYY-MM-DD), inclusive")
        parser.add_argument("--until", default=None, help="last day (YYYY-MM-DD), inclusive")

    def handle(self, *args: object, **options: object) -> None:
        scenario = str(options["scenario"])
        channel = options["channel"]
        if not (
            Flow.objects.filter(scenario=scenario).exists()
            or FunnelEvent.objects.filter(scenario=scenario).exists()
        ):
            raise CommandError(_("unknown scenario %(name)r") % {"name": scenario})
        if channel is not None and channel not in (channels := session_channels()):
            raise CommandError(
                _("unknown channel %(name)r; one of %(names)s")
                % {"name": channel, "names": ", ".join(channels)}
            )
        since = _date(str(options["since"]), "--since") if options["since"] else None
        until = _date(str(options["until"]), "--until") if options["until"] else None
        if since and until and since > until:
            raise CommandError(_("--since is after --until"))
        self.print(funnel_kpis(scenario=scenario, channel=channel, since=since, until=until))

    def print(self, kpis: FunnelKpis) -> None:
        def based(ratio: Ratio) -> str:
            return f"{ratio.part} / {ratio.whole}"

        rows = [
            (_("sessions"), str(kpis.sessions), ""),
            (
                _("turns to recommendation (mean / median)"),
                f"{_number(kpis.turns_to_recommendation_mean)} / "
                f"{_number(kpis.turns_to_recommendation_median)}",
                "",
            ),
            (
                _("recommendation success"),
                _ratio(kpis.recommendation_success),
                based(kpis.recommendation_success),
            ),
            (_("selection rate"), _ratio(kpis.selection), based(kpis.selection)),
            (
                _("drop-off at document upload"),
                _ratio(kpis.drop_off["documents"]),
                based(kpis.drop_off["documents"]),
            ),
            (
                _("drop-off at value-added services"),
                _ratio(kpis.drop_off["value_added_services"]),
                based(kpis.drop_off["value_added_services"]),
            ),
            (
                _("drop-off at risk disclosure"),
                _ratio(kpis.drop_off["risk_disclosure"]),
                based(kpis.drop_off["risk_disclosure"]),
            ),
            (_("overall completion"), _ratio(kpis.completion), based(kpis.completion)),
            (
                _("satisfaction (1-5)"),
                _number(kpis.satisfaction_mean),
                _("%(count)d ratings") % {"count": kpis.ratings},
            ),
        ]
        scope = ", ".join(
            part
            for part in (
                kpis.scenario,
                kpis.channel or _("all channels"),
                f"{kpis.since or '…'} – {kpis.until or '…'}",
            )
        )
        measure, value, based_on = _("measure"), _("value"), _("based on")
        self.stdout.write(scope)
        self.stdout.write(f"{measure:<42}  {value:>14}  {based_on}")
        for name, value, note in rows:
            self.stdout.write(f"{name:<42}  {value:>14}  {note}")
