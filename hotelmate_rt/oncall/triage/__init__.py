"""`triage booking ID`: why doesn't this guest see the update? A plain verdict, then evidence.

The checks, one module per question (adding a check = adding one decorated function):

    booking.py   booking.channels, booking.history (webhooks in the app's database),
                 booking.occupied (HTTP API), booking.token (auth endpoint)
    sent.py      sent.dead-letter (file and stranded replay claims), sent.outbox (the app's
                 database), sent.log
    watch.py     watch (listen as guest and staff while someone performs the action)

Each check may offer a verdict sentence (`ctx.say(priority, sentence)`); the lowest priority
number becomes the report's verdict. The shared runner (`oncall/checks.py`) orders and runs them.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from hotelmate_rt.oncall.checks import CheckSpec
from hotelmate_rt.oncall.model import Check, Status, TriageReport

from . import booking, sent, watch  # noqa: F401  (each module declares its checks when imported)
from .context import TRIAGE, TriageContext, TriageOptions

__all__ = ["TRIAGE", "TriageContext", "TriageOptions", "run_triage"]


def run_triage(options: TriageOptions, on_check: Callable[[Check], None] | None = None,
               on_start: Callable[[CheckSpec[TriageContext]], None] | None = None
               ) -> TriageReport:
    """Run one triage and return its report (raises only when it cannot run at all).

    A report whose every check was skipped says why in `could_not_run` (exit 2): nothing was
    checked, so "no problem found" would be a lie. A skipped check among others that ran (the
    app's database without DJANGO_SETTINGS_MODULE) says why in its own line and the exit code
    is the others'.
    """
    started = time.monotonic()
    ctx = TriageContext(options)
    report = ctx.report
    try:
        TRIAGE.collect(ctx, report.checks, on_check, on_start)
    finally:
        report.duration_s = time.monotonic() - started
        report.could_not_run = ctx.crashes[0] if ctx.crashes else ""
    if not report.could_not_run and all(c.status is Status.SKIP for c in report.checks):
        database = f" (--database {options.database}: {ctx.database_problem})" \
            if options.database and ctx.database_problem else ""
        report.could_not_run = ctx.settings.errors[0] if ctx.settings.errors else (
            f"nothing could be checked for {options.booking_id}{database}: set PUSHER_URL (or "
            "PUSHER_APP_ID/KEY/SECRET) to ask the server, or pass --guest-token with "
            "--auth-endpoint, --dead-letter, --log or --watch")
        report.verdict = f"Triage could not run: {report.could_not_run}."
        return report
    report.verdict = ctx.verdict()
    return report
