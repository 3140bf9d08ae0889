"""Replay of a dead-letter file: resend every entry once; nothing is stranded or dropped.

The file is claimed by renaming it to `FILE.replaying-PID` (emitters keep appending to a new
`FILE` meanwhile). Claims left by a replay that died are picked up first. Entries the current
contract no longer allows, and entries that fail again, go back to `FILE`; lines that are not
entries go to `FILE.rejected` and are reported. The claim is removed only once all of that is
written, so a replay killed at any point loses nothing (at worst an event is sent twice: delivery
is at least once).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hotelmate_rt.contracts import (
    ChannelKind,
    NameStatus,
    payload_rules,
    resolve_channel,
    resolve_event,
)

from .deadletter import CLAIM_MARK, BadLine, DeadEvent, DeadLetterFile
from .results import EmitResult, Outcome
from .validation import describe

if TYPE_CHECKING:
    from hotelmate_rt.contracts import Contract

    from .emitter import Emitter


@dataclass(slots=True)
class ReplayReport:
    """What a replay did: entries resent, entries still failing (kept), lines set aside."""

    path: str
    resent: list[DeadEvent] = field(default_factory=list)
    remaining: list[DeadEvent] = field(default_factory=list)
    rejected: list[BadLine] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Tell whether everything was delivered and every line was an entry."""
        return not self.remaining and not self.rejected

    def to_dict(self) -> dict[str, Any]:
        """Describe the replay for JSON output."""
        def brief(e: DeadEvent) -> dict[str, Any]:
            out = {"event": e.event, "channels": e.channels, "ids": e.ids, "error": e.error,
                   "status": e.status, "replays": e.replays}
            if e.ref is not None:
                out["ref"] = e.ref
            return out
        return {"path": self.path, "ok": self.ok, "resent": [brief(e) for e in self.resent],
                "remaining": [brief(e) for e in self.remaining],
                "rejected": [b.to_dict() for b in self.rejected],
                "recovered": list(self.recovered)}


def replay_problem(contract: Contract, entry: DeadEvent) -> str | None:
    """Say why a dead entry may not be resent under the current contract, or None.

    Names and payload are judged by the contract resolution API: the event and every channel
    must be canonical (an alias is refused), and the payload must still pass the event's rules.
    """
    name = resolve_event(contract, entry.event)
    event = name.event
    if event is None or name.status is not NameStatus.CANONICAL:
        return f"refused: {name.problem}"
    for channel in entry.channels:
        resolved = resolve_channel(contract, channel)
        if resolved.status is not NameStatus.CANONICAL or resolved.channel is None or \
                resolved.channel.id not in event.channels:
            return f"refused: {entry.event} is not carried by {channel!r} in the contract"
    public = next((c for c in entry.channels if ChannelKind.of_name(c) is ChannelKind.PUBLIC),
                  None)
    check = payload_rules(contract, event).check_wire(entry.data, public_channel=public)
    if not check.ok:
        return f"refused: payload no longer matches the contract: {describe(check.findings)}"
    return None


def resend(emitter: Emitter, entry: DeadEvent) -> bool:
    """Resend one dead entry once (after the contract check); update it and log the outcome."""
    entry.replays += 1
    problem = replay_problem(emitter.contract, entry)
    if problem is not None:
        entry.error = problem
        return False
    attempted = emitter._send_trigger(entry.channels, entry.event, entry.data, None,
                                      use_breaker=False)
    if attempted.error is not None:
        entry.error = str(attempted.error)
        entry.status = attempted.error.status
        entry.attempts = attempted.attempts
    result = EmitResult(entry.event, tuple(entry.channels),
                        Outcome.SENT if attempted.error is None else Outcome.FAILED,
                        attempted.attempts, entry.status if attempted.error else None,
                        entry.error if attempted.error else None, entry.ids)
    emitter._log(logging.INFO if result.ok else logging.WARNING, result, replay=True)
    return attempted.error is None


def _claim(target: DeadLetterFile) -> Path | None:
    """Rename the live file to a fresh claim of this process, or None when there is none."""
    if not target.path.exists():
        return None
    base = target.path.with_name(f"{target.path.name}{CLAIM_MARK}{os.getpid()}")
    claimed, n = base, 0
    while claimed.exists():
        n += 1
        claimed = base.with_name(f"{base.name}.{n}")
    try:
        os.replace(target.path, claimed)
    except FileNotFoundError:  # another replay claimed it first
        return None
    return claimed


def replay_file(emitter: Emitter, path: str | os.PathLike[str] | None = None) -> ReplayReport:
    """Resend every entry of a dead-letter file and of its stranded claims, once."""
    target = DeadLetterFile(path) if path is not None else (
        emitter.dead_letter if isinstance(emitter.dead_letter, DeadLetterFile)
        else DeadLetterFile())
    report = ReplayReport(str(target.path))
    claims = target.stranded()
    report.recovered = [str(c) for c in claims]
    fresh = _claim(target)
    if fresh is not None:
        claims.append(fresh)
    for claim in claims:
        scan = DeadLetterFile(claim)
        entries, bad = [], []
        for number, entry, problem in scan._lines(claim):
            if entry is None:
                bad.append(BadLine(str(target.path), number, problem, scan._raw(claim, number)))
            else:
                entries.append(entry)
        failed: list[DeadEvent] = []
        for entry in entries:
            (report.resent if resend(emitter, entry) else failed).append(entry)
        target.append_many(failed)
        target.reject(bad)
        report.remaining.extend(failed)
        report.rejected.extend(bad)
        claim.unlink(missing_ok=True)
    return report
