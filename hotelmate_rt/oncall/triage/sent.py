"""Triage checks of what was sent for the booking: the dead letter, the outbox, the emitter's log."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from hotelmate_rt.oncall.checks import Outcome, failed, passed, skipped, warned
from hotelmate_rt.oncall.model import Section

from .context import TRIAGE, TriageContext, when

_EMIT_LINE = re.compile(r"emit (\w+) (\{.*\})\s*$")


def dead_letter_path(ctx: TriageContext) -> Path | None:
    """Return --dead-letter, else the default dead-letter file when it (or a claim) exists."""
    from hotelmate_rt.emitters import DeadLetterFile

    if ctx.options.dead_letter is not None:
        return ctx.options.dead_letter
    candidate = DeadLetterFile()
    return candidate.path if candidate.exists() else None


@TRIAGE.fact("dead-letter")
def dead_letter_file(ctx: TriageContext) -> str | None:
    """A dead-letter file is known."""
    return None if dead_letter_path(ctx) is not None else \
        "no dead-letter file (--dead-letter or HOTELMATE_RT_DEAD_LETTER)"


@TRIAGE.fact("log-file")
def log_file(ctx: TriageContext) -> str | None:
    """The backend's log was given."""
    return None if ctx.options.log_file is not None else "no --log given"


@TRIAGE.check("sent.dead-letter", Section.SENT,
              "Events for this booking that failed to send (dead letter)", needs=("dead-letter",))
def dead_letter(ctx: TriageContext) -> Outcome:
    """Report this booking's dead-lettered events, newest first (stranded replay claims too)."""
    from hotelmate_rt.emitters import DeadLetterFile

    path = dead_letter_path(ctx)
    assert path is not None
    dead = DeadLetterFile(path)
    if not dead.exists():  # neither the file nor a FILE.replaying-PID claim of a replay
        return passed(f"{path} does not exist: nothing has failed to send")
    try:
        entries = dead.scan().entries
    except OSError as exc:
        return failed(f"the dead-letter file cannot be read: {exc}", code="unreadable")
    booking = ctx.options.booking_id
    mine = [e for e in entries if any(ctx.mentions(c) for c in e.channels)
            or ctx.mentions(e.data) or e.ids.get("booking_id") == booking]
    mine.sort(key=lambda e: e.failed_at, reverse=True)
    ctx.report.sent.extend(ctx.keep({
        "source": "dead-letter", "event": e.event, "channels": e.channels, "outcome": "failed",
        "error": e.error, "status": e.status, "attempts": e.attempts, "at": when(e.failed_at),
        "replays": e.replays}) for e in mine[:ctx.options.recent])
    if not mine:
        return passed(f"nothing for {booking} in {path} ({len(entries)} entries for other "
                      "bookings)")
    last = mine[0]
    ctx.say(4, f"{len(mine)} event(s) for this booking never reached Pusher: the last was "
               f"{last.event} at {when(last.failed_at)} ({last.error}).")
    return failed(f"{len(mine)} event(s) for this booking were never delivered; the last: "
                  f"{last.event} at {when(last.failed_at)} ({last.error})",
                  evidence=[f"{when(e.failed_at)} {e.event} -> {', '.join(e.channels)}: {e.error}"
                            + (f" (HTTP {e.status})" if e.status else "") for e in mine[:10]],
                  next_action=f"fix the cause, then resend: `hotelmate-rt replay {path}`",
                  code="dead-lettered")


@TRIAGE.check("sent.outbox", Section.SENT, "This booking's events in the outbox",
              only_if=("database",), needs=("app-database",))
def outbox(ctx: TriageContext) -> Outcome:
    """Report this booking's dead and stuck outbox rows (the relay's backlog)."""
    from django.db import DatabaseError

    from hotelmate_rt.django.history import booking_outbox

    booking = ctx.options.booking_id
    try:
        summary = booking_outbox(booking, using=ctx.options.database, redact=ctx.redactor.text)
    except DatabaseError as exc:
        return skipped(f"skipped: the outbox table cannot be read ({exc})",
                       next_action="run `python manage.py migrate hotelmate_rt`")
    evidence = [f"#{r.id} {r.event} -> {', '.join(r.channels)}: {r.status} after {r.attempts} "
                f"tries ({r.last_error or 'no error'})" for r in [*summary.dead, *summary.stuck]]
    counts = ", ".join(f"{n} {status}" for status, n in summary.counts.items())
    data = summary.to_dict()
    if not summary.dead and not summary.stuck:
        return passed(f"{summary.sentence} ({counts})", evidence=evidence, data=data)
    ctx.say(4, summary.sentence)
    if summary.dead:
        return failed(f"{summary.sentence} ({counts})", evidence=evidence, data=data,
                      code="outbox-dead",
                      next_action="fix the cause, then `python manage.py hotelmate_rt_replay "
                                  f"--booking {booking}`")
    return failed(f"{summary.sentence} ({counts})", evidence=evidence, data=data,
                  code="outbox-stuck",
                  next_action="run `python manage.py hotelmate_rt_relay` under a process manager")


@TRIAGE.check("sent.log", Section.SENT, "Emitter log for this booking", only_if=("log-file",))
def log(ctx: TriageContext) -> Outcome:
    """Report this booking's emit lines from the backend's structured log."""
    path = ctx.options.log_file
    assert path is not None
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        return skipped(f"cannot read {path}: {exc.strerror or exc}")
    seen: list[dict[str, Any]] = []
    for line in lines:
        match = _EMIT_LINE.search(line)
        if match is None or not ctx.mentions(line):
            continue
        try:
            fields = json.loads(match.group(2))
        except ValueError:
            continue
        if isinstance(fields, dict):
            fields.setdefault("outcome", match.group(1))
            seen.append(fields)
    recent = seen[-ctx.options.recent:]
    ctx.report.sent.extend(ctx.keep({"source": "log", **fields}) for fields in recent)
    failures = [f for f in recent if f.get("outcome") in {"failed", "refused"}]
    evidence = [f"{f.get('outcome')} {f.get('event')} -> {', '.join(f.get('channels') or [])}"
                + (f": {f.get('error')}" if f.get("error") else "") for f in recent[-10:]]
    booking = ctx.options.booking_id
    if not recent:
        ctx.say(5, f"The backend log shows no event sent for {booking}.")
        return warned(f"the log has no emit line for {booking}: the backend may not emit for "
                      "this booking at all", evidence=evidence, code="nothing-emitted",
                      next_action="check the staff action calls the emitter (`hotelmate-rt scan`)")
    if failures:
        ctx.say(4, f"The backend's last emits for this booking failed: "
                   f"{failures[-1].get('event')} ({failures[-1].get('error')}).")
        return failed(f"{len(failures)} of the last {len(recent)} emit(s) failed or were refused",
                      evidence=evidence, next_action="read the errors above", code="emit-failed")
    return passed(f"{len(recent)} emit(s) for this booking, none failed", evidence=evidence)
