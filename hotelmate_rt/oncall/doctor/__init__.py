"""`doctor`: walk the whole realtime path; each step is a declared check with one next action.

The checks, in walking order, one module per part of the path (adding a check = adding one
decorated function to the module its section names):

    configuration.py   config.backend, config.frontend, config.contract
    http_api.py        http-api.credentials
    websocket.py       websocket.connect
    auth_endpoint.py   auth.reachable, auth.cors, auth.guest.*, auth.staff.*
    webhook.py         webhook.endpoint (only with --webhook-url / HOTELMATE_RT_WEBHOOK_URL)
    subscriptions.py   subscription.<audience>.<channel>
    round_trip.py      round-trip (sent through the real Emitter)
    cluster.py         cluster.node.HOST:PORT, cluster.round-trip (with --node, two or more)
    frontend.py        frontend.names (the scan's findings, env-file names)

`facts.py` holds the facts checks need, `advice.py` the next action for each named failure,
`context.py` what every check reads. The shared runner (`oncall/checks.py`) orders, skips,
times, redacts and streams them.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from hotelmate_rt.oncall.checks import CheckSpec
from hotelmate_rt.oncall.model import Check, DoctorReport

from . import (  # noqa: F401  (each module declares its checks when imported)
    auth_endpoint,
    cluster,
    configuration,
    facts,
    frontend,
    http_api,
    round_trip,
    subscriptions,
    webhook,
    websocket,
)
from .context import DIAGNOSTIC_BOOKING, DOCTOR, DoctorContext, DoctorOptions

__all__ = ["DIAGNOSTIC_BOOKING", "DOCTOR", "DoctorContext", "DoctorOptions", "run_doctor"]


def run_doctor(options: DoctorOptions, on_check: Callable[[Check], None] | None = None,
               on_start: Callable[[CheckSpec[DoctorContext]], None] | None = None
               ) -> DoctorReport:
    """Run the doctor once and return its report (never raises for a failing setup).

    `on_check` sees each check as soon as it is done, `on_start` each check as it starts (a
    progress line, a browser console); ConfigError means the doctor could not run at all.
    """
    started = time.monotonic()
    ctx = DoctorContext(options)
    report = DoctorReport(budget_s=options.budget)
    try:
        DOCTOR.collect(ctx, report.checks, on_check, on_start)
    finally:
        report.duration_s = time.monotonic() - started
        report.target = ctx.target()
        report.could_not_run = ctx.crashes[0] if ctx.crashes else ""
    return report
