"""Triage evidence from the app's database: the guest channels' webhook history, the outbox.

Used when DJANGO_SETTINGS_MODULE names the backend's settings and `hotelmate_rt.django` is
installed there; otherwise each check says why it was skipped. The answers themselves come
from `hotelmate_rt.django.history` (data plus one sentence); this module turns them into checks
and verdict sentences.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from hotelmate_rt.errors import HotelmateRtError

from .model import Check, Redactor, Section, Status

if TYPE_CHECKING:
    from hotelmate_rt.contracts import Contract

Finding = tuple[Check, int | None, str | None]
"""A check, and the verdict sentence it offers with its priority (lower wins), if any."""

HISTORY_TITLE = "Subscription history of the guest's channels (webhooks)"
OUTBOX_TITLE = "This booking's events in the outbox"


def database_problem() -> str | None:
    """Say why the app's database cannot be read here, or None when it can (sets Django up)."""
    from hotelmate_rt.django.transactions import django_ready

    if not django_ready():
        if not os.environ.get("DJANGO_SETTINGS_MODULE"):
            return "set DJANGO_SETTINGS_MODULE to the backend's settings to read it"
        try:
            import django

            django.setup()
        except Exception as exc:
            return f"Django settings do not load ({type(exc).__name__}: {exc})"
    from django.apps import apps

    if not apps.ready:
        import django

        django.setup()
    if not apps.is_installed("hotelmate_rt.django"):
        return 'the backend does not install "hotelmate_rt.django"'
    from django.db import DEFAULT_DB_ALIAS, connections

    connection = connections[DEFAULT_DB_ALIAS]
    name = str(connection.settings_dict.get("NAME") or "")
    if connection.vendor == "sqlite" and name != ":memory:" and not name.startswith("file:") \
            and not Path(name).exists():
        return f"the backend's SQLite database {name} does not exist here"
    return None


def triage_checks(contract: Contract, params: Mapping[str, str],
                  redactor: Redactor) -> list[Finding]:
    """Webhook history of the guest's channels and the booking's outbox rows, as checks."""
    problem = database_problem()
    if problem is not None:
        return [(Check(check_id, Section.BOOKING if check_id.startswith("booking") else
                       Section.SENT, title, Status.SKIP, f"skipped: {problem}"), None, None)
                for check_id, title in (("booking.history", HISTORY_TITLE),
                                        ("sent.outbox", OUTBOX_TITLE))]
    return [_history(contract, params), _outbox(params["booking_id"], redactor)]


def _history(contract: Contract, params: Mapping[str, str]) -> Finding:
    """The history check: the booking channel's periods, the other guest channels as evidence."""
    from django.db import DatabaseError

    from hotelmate_rt.django.history import channel_history

    names: list[tuple[str, str]] = []
    for channel in contract.readable_channels("guest"):
        try:
            names.append((channel.id, contract.render(channel.id, **{
                p: params[p] for p in channel.template.parameters if p in params})))
        except HotelmateRtError:
            continue
    try:
        histories = {cid: channel_history(name, label=f"The guest's {cid} channel {name}")
                     for cid, name in names}
    except DatabaseError as exc:
        return (Check("booking.history", Section.BOOKING, HISTORY_TITLE, Status.SKIP,
                      f"skipped: the webhook table cannot be read ({exc})",
                      next_action="run `python manage.py migrate hotelmate_rt`"), None, None)
    main = histories.get("guest-booking") or next(iter(histories.values()), None)
    evidence = [h.sentence for h in histories.values()]
    data = {"channels": [h.to_dict() for h in histories.values()]}
    if main is None:
        return (Check("booking.history", Section.BOOKING, HISTORY_TITLE, Status.SKIP,
                      "skipped: no guest channel could be named"), None, None)
    if main.occupied is None:
        return (Check("booking.history", Section.BOOKING, HISTORY_TITLE, Status.WARN,
                      main.sentence, evidence,
                      "point the server's webhooks at the backend's /pusher/webhooks/ and check "
                      "it with `hotelmate-rt doctor --webhook-url`", code="no-webhooks",
                      data=data), None, None)
    if main.occupied:
        return (Check("booking.history", Section.BOOKING, HISTORY_TITLE, Status.PASS,
                      main.sentence, evidence, data=data), None, None)
    status, priority = (Status.WARN, 6) if main.tentative else (Status.FAIL, 3)
    return (Check("booking.history", Section.BOOKING, HISTORY_TITLE, status, main.sentence,
                  evidence, "ask the guest to reload the booking page; if it stays empty, check "
                  "the page subscribes to this exact channel", code="vacated", data=data),
            priority, main.sentence)


def _outbox(booking_id: str, redactor: Redactor) -> Finding:
    """The outbox check: dead and stuck rows of this booking."""
    from django.db import DatabaseError

    from hotelmate_rt.django.history import booking_outbox

    try:
        summary = booking_outbox(booking_id, redact=redactor.text)
    except DatabaseError as exc:
        return (Check("sent.outbox", Section.SENT, OUTBOX_TITLE, Status.SKIP,
                      f"skipped: the outbox table cannot be read ({exc})",
                      next_action="run `python manage.py migrate hotelmate_rt`"), None, None)
    evidence = [f"#{r.id} {r.event} -> {', '.join(r.channels)}: {r.status} after {r.attempts} "
                f"tries ({r.last_error or 'no error'})" for r in [*summary.dead, *summary.stuck]]
    counts = ", ".join(f"{n} {status}" for status, n in summary.counts.items())
    data = summary.to_dict()
    if summary.dead or summary.stuck:
        code = "outbox-dead" if summary.dead else "outbox-stuck"
        return (Check("sent.outbox", Section.SENT, OUTBOX_TITLE, Status.FAIL,
                      f"{summary.sentence} ({counts})", evidence,
                      "fix the cause, then `python manage.py hotelmate_rt_replay --booking "
                      f"{booking_id}`" if summary.dead else
                      "run `python manage.py hotelmate_rt_relay` under a process manager",
                      code=code, data=data), 4, summary.sentence)
    return (Check("sent.outbox", Section.SENT, OUTBOX_TITLE, Status.PASS,
                  f"{summary.sentence} ({counts})", evidence, data=data), None, None)
