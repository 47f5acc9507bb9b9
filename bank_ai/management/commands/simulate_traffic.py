"""Run scripted conversations of every scenario through the engine, dated over past days."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bank_ai.demo.traffic import simulate_traffic


class Command(BaseCommand):
    help = (
        "Simulate customer conversations of every scenario through the real dialogue engine on "
        "each of the last --days days (days simulated before are skipped), then roll them up."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--per-day", type=int, default=12, help="conversations a day (± 1/3)")
        parser.add_argument("--seed", type=int, default=20261204, help="the random seed")
        parser.add_argument("--end", default=None, help="first day NOT simulated (default today)")
        parser.add_argument(
            "--no-contact-centre",
            action="store_true",
            help="no routing queues, hand-overs through them or campaign runs",
        )

    def handle(self, *args: object, **options: object) -> None:
        days, per_day = int(options["days"]), int(options["per_day"])  # type: ignore[call-overload]
        if not 1 <= days <= 400:
            raise CommandError("--days must be between 1 and 400")
        if not 1 <= per_day <= 500:
            raise CommandError("--per-day must be between 1 and 500")
        end = None
        if options["end"]:
            try:
                end = date.fromisoformat(str(options["end"]))
            except ValueError:
                raise CommandError("--end must be a date like 2026-11-01") from None
        try:
            report = simulate_traffic(
                days=days,
                per_day=per_day,
                seed=int(options["seed"]),  # type: ignore[call-overload]
                end=end,
                log=lambda line: self.stdout.write(f"  {line}"),
                contact_centre=not options["no_contact_centre"],
            )
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.sessions} conversations on {len(report.days)} days "
                f"({len(report.skipped)} days simulated before, skipped); "
                f"{report.rollup_rows} roll-up rows"
            )
        )
