"""`python manage.py hotelmate_rt_replay`: send dead outbox rows once more."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ._common import check_installed, transport_from_env


class Command(BaseCommand):
    """Resend dead outbox rows (all, one booking's, or given ids); what fails stays dead."""

    help = ("Resend dead hotelmate-rt outbox rows once, in order per channel. Exit 0 when all "
            "were sent, 1 when some stay dead, 2 on a configuration error.")

    def add_arguments(self, parser: CommandParser) -> None:
        """Options of the replay."""
        parser.add_argument("--database", default="default", help="Database alias.")
        parser.add_argument("--booking", default=None, help="Only this booking's rows.")
        parser.add_argument("--id", type=int, action="append", default=[], dest="ids",
                            help="Only this row id (repeatable).")
        parser.add_argument("--contract", default=None, help="Contract file (default setting).")
        parser.add_argument("--timeout", type=float, default=5.0,
                            help="HTTP timeout per attempt, seconds.")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        """Replay dead rows and report."""
        from hotelmate_rt.django.relay import replay_database
        from hotelmate_rt.errors import HotelmateRtError

        using = options["database"]
        check_installed(using)
        try:
            report = replay_database(transport_from_env(options["timeout"]), using=using,
                                     contract=options["contract"], booking_id=options["booking"],
                                     ids=options["ids"])
        except HotelmateRtError as exc:
            raise CommandError(str(exc), returncode=2) from None
        if options["json"]:
            self.stdout.write(json.dumps(report.to_dict()))
        else:
            self.stdout.write(f"resent {len(report.resent)}, still failing "
                              f"{len(report.remaining)} ({report.path})")
            for entry in report.remaining:
                self.stdout.write(f"  {entry.ref} {entry.event} {', '.join(entry.channels)}: "
                                  f"{entry.error}")
        if not report.ok:
            raise SystemExit(1)
