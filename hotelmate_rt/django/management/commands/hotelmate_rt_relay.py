"""`python manage.py hotelmate_rt_relay [--once]`: deliver the outbox (a worker, or one pass)."""

from __future__ import annotations

import json
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ._common import check_installed, transport_from_env


class Command(BaseCommand):
    """Send pending outbox rows in order per channel; retry with backoff; mark dead rows."""

    help = ("Deliver the hotelmate-rt outbox: run as a worker under a process manager, or with "
            "--once from a scheduler. Exit 0 when nothing failed, 1 when rows are retrying or "
            "dead, 2 on a configuration error.")

    def add_arguments(self, parser: CommandParser) -> None:
        """Options of the relay."""
        parser.add_argument("--once", action="store_true",
                            help="Send what is due (until nothing is left) and exit.")
        parser.add_argument("--database", default="default", help="Database alias.")
        parser.add_argument("--batch-size", type=int, default=200, help="Rows per pass.")
        parser.add_argument("--max-attempts", type=int, default=10,
                            help="Tries before a row is marked dead.")
        parser.add_argument("--backoff", type=float, default=2.0,
                            help="First retry delay in seconds (doubles per try, jittered).")
        parser.add_argument("--max-backoff", type=float, default=300.0,
                            help="Longest retry delay in seconds.")
        parser.add_argument("--idle", type=float, default=1.0,
                            help="Seconds between passes when there is nothing to send.")
        parser.add_argument("--timeout", type=float, default=5.0,
                            help="HTTP timeout per attempt, seconds.")
        parser.add_argument("--keep-sent-days", type=float, default=None,
                            help="Prune sent rows older than this (default: setting, 7).")
        parser.add_argument("--json", action="store_true", help="One JSON line per pass.")

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the relay."""
        from hotelmate_rt.django.relay import PassReport, Relay, RelayOptions
        from hotelmate_rt.emitters import RetryPolicy

        using = options["database"]
        check_installed(using)
        relay = Relay(transport_from_env(options["timeout"]), using=using,
                      options=RelayOptions(
                          batch_size=options["batch_size"], max_attempts=options["max_attempts"],
                          backoff=RetryPolicy(base_delay=options["backoff"],
                                              max_delay=options["max_backoff"])))
        as_json = options["json"]

        def show(report: PassReport) -> None:
            """Print a pass that did something."""
            if report.sent or report.retrying or report.dead:
                if as_json:
                    self.stdout.write(json.dumps(report.to_dict()))
                else:
                    self.stdout.write(f"sent {report.sent}, retrying {report.retrying}, "
                                      f"dead {report.dead}, waiting {report.waiting}")
        failed = False
        try:
            if options["once"]:
                while True:
                    report = relay.run_once()
                    show(report)
                    failed = failed or not report.ok
                    if not report.sent:
                        break
                pruned = relay.prune(options["keep_sent_days"])
                if pruned["sent"] or pruned["webhooks"]:
                    self.stdout.write(json.dumps({"pruned": pruned}) if as_json else
                                      f"pruned {pruned['sent']} sent rows, "
                                      f"{pruned['webhooks']} webhook events")
            else:
                stop = threading.Event()
                for sig in (signal.SIGTERM, signal.SIGINT):
                    signal.signal(sig, lambda *_: stop.set())
                self.stderr.write(f"hotelmate-rt relay on database {using!r} (Ctrl-C or SIGTERM "
                                  "stops it after the current pass)")
                relay.run(stop, idle=options["idle"], on_pass=show)
        finally:
            relay.close()
        if failed:
            raise SystemExit(1)
