"""A listening session: connect, subscribe, judge every channel event, stop when told to.

`Probe.events()` yields the `ProbeEvent` stream described in `hotelmate_rt.probes.events`;
`Probe.summary` accumulates what was seen (counts per verdict kind and per channel, gaps,
subscriptions, refusals, frame problems) and why the session stopped. Judging happens on the
consumer's thread, so the reader thread only reads.

A session is `ok` only when it listened (at least one channel subscribed), everything it saw
conformed, it was never blind (no gap: events may have been missed during one), no channel was
refused, no frame was malformed or unexpected, and `--until` (if given) came. `listened` is
False when it never got that far (never connected, nothing subscribed before a timeout or
Ctrl-C): the CLI exits 2 then, and 1 for the other findings.
"""

from __future__ import annotations

import queue
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from hotelmate_rt.contracts import Contract, Finding, Verdict, VerdictKind, judge

from .auth import Authorizer, Redactor
from .connection import Connection, ConnectionOptions, Fatal, Finished, RawEvent, ServerAddress
from .events import (
    FrameProblem,
    Gap,
    Judged,
    Note,
    ProbeEvent,
    StateChanged,
    Subscribed,
    SubscriptionFailed,
    unanswered,
)
from .plan import PlannedChannel, SubscriptionPlan

__all__ = ["Probe", "ProbeSummary", "StopWhen", "judge_event"]


def judge_event(contract: Contract, channel: str, event: str, data: Any,
                target: str | None = None) -> Verdict:
    """Judge one event; data too deeply nested to decode is a not-json finding, never a crash."""
    try:
        return judge(contract, channel, event, data, target)
    except RecursionError:
        return Verdict(channel, event, [Finding(VerdictKind.NOT_JSON, "data is nested too "
                                                "deeply to decode")])


@dataclass(frozen=True, slots=True)
class StopWhen:
    """When a session ends by itself: after `count` events, on event `until`, after `timeout` s."""

    count: int | None = None
    until: str | None = None
    timeout: float | None = None


@dataclass(slots=True)
class ProbeSummary:
    """What a session saw: events per verdict kind, violations, gaps, and why it stopped."""

    events: int = 0
    violations: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    gaps: list[Gap] = field(default_factory=list)
    subscribed: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    frame_problems: Counter[str] = field(default_factory=Counter)
    per_channel: Counter[str] = field(default_factory=Counter)
    connected: bool = False
    last_failure: str = ""
    pusher_errors: int = 0
    until: str | None = None
    until_seen: bool = False
    stopped: str = ""
    error: str | None = None
    started_at: float = field(default_factory=time.time)
    ended_at: float | None = None

    @property
    def listened(self) -> bool:
        """Tell whether the session got as far as listening (some channel subscribed)."""
        return bool(self.subscribed)

    @property
    def frame_findings(self) -> int:
        """Count the frames reported as problems (unknown protocol events are notes)."""
        return sum(n for kind, n in self.frame_problems.items()
                   if kind not in FrameProblem.NOTE_KINDS)

    @property
    def ok(self) -> bool:
        """Tell whether the session listened, saw only conforming events and was never blind."""
        return self.error is None and self.listened and self.violations == 0 and \
            not self.gaps and not self.refused and not self.frame_findings and \
            (self.until is None or self.until_seen)

    @property
    def problems(self) -> list[str]:
        """Say in short phrases why the session is not ok (empty when it is)."""
        out = []
        if self.error is not None:
            out.append(self.error)
        elif not self.connected:
            out.append("never connected")
        elif not self.listened:
            out.append("no channel was subscribed")
        if self.violations:
            out.append(f"{self.violations} violation(s)")
        if self.gaps:
            out.append(f"{len(self.gaps)} gap(s): events may have been missed")
        silent = sum(1 for why in self.refused.values() if unanswered(None, why))
        if len(self.refused) > silent:
            out.append(f"{len(self.refused) - silent} channel(s) refused")
        if silent:
            out.append(f"{silent} channel(s) not subscribed: no answer")
        if self.frame_findings:
            out.append(f"{self.frame_findings} malformed or unexpected frame(s)")
        if self.until is not None and not self.until_seen:
            out.append(f"never saw {self.until}")
        return out

    def to_dict(self) -> dict[str, Any]:
        """Describe the summary as one JSON object (the last NDJSON line)."""
        ended = self.ended_at or time.time()
        return {"type": "summary", "ok": self.ok, "events": self.events,
                "violations": self.violations, "verdicts": dict(self.kinds),
                "gaps": [g.to_dict() for g in self.gaps],
                "gap_seconds": round(sum(g.seconds for g in self.gaps), 3),
                "subscribed": sorted(set(self.subscribed)), "refused": dict(self.refused),
                "frame_problems": dict(self.frame_problems), "connected": self.connected,
                "listened": self.listened, "problems": self.problems,
                "pusher_errors": self.pusher_errors,
                "until": self.until, "until_seen": self.until_seen, "stopped": self.stopped,
                "error": self.error,
                "seconds": round(ended - self.started_at, 3)}


class Probe:
    """Subscribe to planned channels as one audience and judge every event against a contract."""

    def __init__(self, contract: Contract, server: ServerAddress | Sequence[ServerAddress],
                 channels: SubscriptionPlan | Sequence[PlannedChannel],
                 authorizer: Authorizer | None = None, *, target: str | None = None,
                 stop: StopWhen | None = None, options: ConnectionOptions | None = None,
                 redactor: Redactor | None = None) -> None:
        """Prepare the session; nothing connects until `events()` is iterated."""
        self.contract = contract
        self.target = target
        contract.target(target)  # fail early on an unknown target
        self.stop = stop or StopWhen()
        self.plan = channels if isinstance(channels, SubscriptionPlan) else \
            SubscriptionPlan(None, list(channels))
        self.authorizer = authorizer
        self.redactor = redactor or Redactor()
        self.connection = Connection(server, [(c.name, c.channel_id) for c in self.plan.channels],
                                     authorizer, options, self.redactor)
        self.summary = ProbeSummary(until=self.stop.until)
        self._closed = False

    def judge(self, seq: int, raw: RawEvent) -> Judged:
        """Judge one raw event and account for it in the summary."""
        verdict = judge_event(self.contract, raw.channel, raw.event, raw.data, self.target)
        summary = self.summary
        summary.events += 1
        summary.per_channel[verdict.channel_id or raw.channel] += 1
        if verdict.findings:
            summary.violations += 1
            for kind in verdict.kinds:
                summary.kinds[kind.value] += 1
        else:
            summary.kinds[VerdictKind.CONFORMS.value] += 1
        return Judged(at=raw.at, seq=seq, channel=raw.channel, event=raw.event, data=raw.data,
                      verdict=verdict)

    def events(self) -> Iterator[ProbeEvent]:
        """Connect and yield every probe event until a stop condition, a close or a fatal error."""
        stop = self.stop
        summary = self.summary
        deadline = time.monotonic() + stop.timeout if stop.timeout is not None else None
        for channel_id, missing in self.plan.skipped:
            yield Note(message=f"not subscribing to {channel_id}: it needs "
                               f"{', '.join(missing)}", channel_id=channel_id, kind="skipped")
        self.connection.start()
        get = self.connection.queue.get
        seq = 0
        try:
            while True:
                if deadline is not None:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        summary.stopped = f"timeout after {stop.timeout:g} s"
                        return
                    try:
                        item = get(timeout=remaining)
                    except queue.Empty:
                        summary.stopped = f"timeout after {stop.timeout:g} s"
                        return
                else:
                    try:
                        item = get(timeout=1.0)
                    except queue.Empty:
                        continue
                if isinstance(item, RawEvent):
                    seq += 1
                    judged = self.judge(seq, item)
                    yield judged
                    if stop.until is not None and item.event == stop.until:
                        summary.until_seen = True
                        summary.stopped = f"saw {stop.until}"
                        return
                    if stop.count is not None and summary.events >= stop.count:
                        summary.stopped = f"{stop.count} event(s) received"
                        return
                    continue
                if isinstance(item, Fatal):
                    summary.stopped = "error"
                    summary.error = self.redactor(str(item.error))
                    raise item.error
                if isinstance(item, Finished):
                    summary.stopped = item.reason
                    return
                if isinstance(item, Subscribed):
                    summary.subscribed.append(item.channel)
                    summary.refused.pop(item.channel, None)
                elif isinstance(item, StateChanged) and item.state == "connected":
                    summary.connected = True
                elif isinstance(item, Gap):
                    summary.gaps.append(item)
                elif isinstance(item, SubscriptionFailed):
                    summary.refused[item.channel] = item.reason or item.meaning
                    summary.last_failure = f"{item.channel}: {item.reason or item.meaning}"
                elif isinstance(item, FrameProblem):
                    summary.frame_problems[item.kind] += 1
                elif isinstance(item, Note) and item.kind == "auth-retry":
                    summary.last_failure = item.message
                elif isinstance(item, StateChanged) and item.state == "reconnecting":
                    summary.last_failure = item.reason
                elif item.type == "pusher-error":
                    summary.pusher_errors += 1
                yield item
        finally:
            summary.ended_at = time.time()
            self.close()

    def close(self) -> None:
        """Close the connection and the authorizer (bounded waits)."""
        if self._closed:
            return
        self._closed = True
        self.connection.close()
        if self.authorizer is not None:
            self.authorizer.close()

    def __enter__(self) -> Probe:
        """Use the probe in a `with` block so it always closes."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the probe."""
        self.close()
