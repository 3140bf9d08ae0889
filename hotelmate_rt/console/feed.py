"""One live session for the page: the probe in a thread, per-channel state, and the recording.

`Feed.start(probe)` consumes `probe.events()` on a thread of its own (the probe judges there,
as in `listen`); every probe event becomes one redacted page item (the probe's NDJSON object
plus `n`, a number within the session, and `sensitive`, the JSON paths of sensitive fields),
written to the session's recording with `RecordWriter` and queued for the page. The web app
drains the queue (`drain()`) and reads the per-channel state (`snapshot()`); `export()` yields the
recording, which `hotelmate-rt check` accepts as it is.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotelmate_rt.contracts import Contract
from hotelmate_rt.contracts.payloads import sensitive_paths
from hotelmate_rt.errors import AuthEndpointError, HotelmateRtError
from hotelmate_rt.probes import (
    Gap,
    Judged,
    Probe,
    ProbeEvent,
    PusherError,
    RecordWriter,
    StateChanged,
    Subscribed,
    SubscriptionFailed,
)

__all__ = ["Feed"]

log = logging.getLogger("hotelmate_rt.console")

RECENT_ITEMS = 2000
"""Items replayed to a page that (re)connects to the stream."""
TIMELINE_MARKS = 500
"""Connection and subscription marks kept for the timeline (the latest ones)."""
STOP_WAIT = 8.0
"""Seconds to wait for a stopping session's thread (the probe's own waits are bounded)."""


@dataclass(slots=True)
class _Channel:
    """What the page shows for one subscribed channel."""

    name: str
    channel_id: str | None
    state: str = "pending"
    detail: str = ""
    subscriptions: int = 0
    events: int = 0
    last_event: str | None = None
    last_at: float | None = None
    counts: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        """Describe the channel for the page."""
        return {"name": self.name, "channel_id": self.channel_id, "state": self.state,
                "detail": self.detail, "subscriptions": self.subscriptions,
                "events": self.events, "last_event": self.last_event, "last_at": self.last_at,
                "counts": dict(self.counts)}


class Feed:
    """Run one probe at a time for the page and keep what the page needs to show it."""

    def __init__(self, contract: Contract, workdir: Path | None = None) -> None:
        """Prepare an idle feed recording into `workdir` (default: a private temporary one)."""
        self.contract = contract
        self.workdir = workdir
        self._own_workdir = workdir is None
        self._lock = threading.Lock()
        self._session = 0
        self._probe: Probe | None = None
        self._thread: threading.Thread | None = None
        self._writer: RecordWriter | None = None
        self._who: dict[str, Any] = {}
        self._version = 0
        self._begin()
        self._status = "idle"
        self._error: str | None = None
        self._connection = "idle"
        self._socket_id: str | None = None
        self._channels: dict[str, _Channel] = {}
        self._summary: dict[str, Any] | None = None

    def _begin(self) -> None:
        """Start a session's story afresh: numbering, connection marks, gaps and counts."""
        self._n = 0
        self._connected_once = False
        self._timeline: deque[dict[str, Any]] = deque(maxlen=TIMELINE_MARKS)
        self._gaps: list[dict[str, Any]] = []
        self._reconnects = 0
        self._pusher_errors = 0
        self._started = time.time()
        self._reset_counts()

    def _reset_counts(self) -> None:
        """Forget the items and verdict counts (a clear keeps the connection's story)."""
        self._pending: list[dict[str, Any]] = []
        self._recent: deque[dict[str, Any]] = deque(maxlen=RECENT_ITEMS)
        self._totals: Counter[str] = Counter()
        self._events = 0
        self._violations = 0
        self._version += 1

    # -- session lifecycle -----------------------------------------------------------------

    @property
    def session(self) -> int:
        """The number of the current session (0 before the first connect)."""
        return self._session

    @property
    def running(self) -> bool:
        """Tell whether a probe is being consumed now."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def start(self, probe: Probe, who: dict[str, Any]) -> int:
        """Stop any running session, then consume `probe` on a new thread; return its number."""
        self.stop()
        with self._lock:
            self._session += 1
            self._begin()
            if self._writer is not None:
                self._writer.close()
            if self.workdir is None:
                self.workdir = Path(tempfile.mkdtemp(prefix="hotelmate-console-"))
            self._writer = RecordWriter(self.workdir / f"session-{self._session}.jsonl")
            self._probe = probe
            self._who = dict(who)
            self._status = "connecting"
            self._error = None
            self._connection = "connecting"
            self._socket_id = None
            self._summary = None
            self._channels = {c.name: _Channel(c.name, c.channel_id)
                              for c in probe.plan.channels}
            session = self._session
        self._thread = threading.Thread(target=self._consume, args=(probe, session),
                                        name=f"console-session-{session}", daemon=True)
        self._thread.start()
        return session

    def stop(self) -> None:
        """Close the running probe and wait (bounded) for its thread; blocks, so not on the loop."""
        probe, thread = self._probe, self._thread
        if probe is not None:
            probe.close()
        if thread is not None and thread is not threading.current_thread():
            thread.join(STOP_WAIT)

    def clear(self) -> None:
        """Forget the session's items, counts and recording so far; the probe keeps running."""
        with self._lock:
            self._reset_counts()
            for channel in self._channels.values():
                channel.events = 0
                channel.counts.clear()
                channel.last_event = None
                channel.last_at = None
            if self._writer is not None:
                self._writer.close()
                self._writer = RecordWriter(self._writer.path)

    def close(self) -> None:
        """Stop the session, close the recording and remove the files this feed made."""
        self.stop()
        with self._lock:
            if self._writer is not None:
                self._writer.close()
            if self._own_workdir and self.workdir is not None:
                shutil.rmtree(self.workdir, ignore_errors=True)

    # -- the consumer thread ---------------------------------------------------------------

    def _consume(self, probe: Probe, session: int) -> None:
        """Turn every probe event into a page item until the stream ends or fails."""
        try:
            for event in probe.events():
                self._add(session, probe, event)
        except HotelmateRtError as exc:
            status = exc.status if isinstance(exc, AuthEndpointError) else None
            self._finish(session, probe, {"type": "error", "at": time.time(),
                                          "message": probe.redactor(str(exc)), "status": status})
            return
        except Exception as exc:  # a console bug must end the session visibly, not silently
            log.exception("console session %s failed", session)
            self._finish(session, probe, {"type": "error", "at": time.time(),
                                          "message": f"the console failed: {type(exc).__name__}"})
            return
        finally:
            probe.close()
        self._finish(session, probe, None)

    def _finish(self, session: int, probe: Probe, error: dict[str, Any] | None) -> None:
        """Queue the fatal error (if any) and the summary; mark the session stopped."""
        summary = probe.redactor.value(probe.summary.to_dict())
        with self._lock:
            if session != self._session:
                return
            if error is not None:
                self._error = error["message"]
                self._queue(error, record=True)
                self._mark(error["at"], "error", error["message"])
            self._summary = summary
            self._status = "error" if error is not None else "stopped"
            self._connection = "stopped"
            self._queue(dict(summary), record=False)
            self._version += 1

    def _add(self, session: int, probe: Probe, event: ProbeEvent) -> None:
        """Account for one probe event, record it and queue it for the page."""
        record = probe.redactor.value(event.to_dict())
        sensitive = self._sensitive(event) if isinstance(event, Judged) else []
        with self._lock:
            if session != self._session:
                return
            self._account(event)
            self._queue(record, record=True, sensitive=sensitive)
            self._version += 1

    def _queue(self, item: dict[str, Any], *, record: bool,
               sensitive: Sequence[str] = ()) -> None:
        """Write an item to the recording (if asked), number it and queue it (lock held)."""
        if record and self._writer is not None:
            self._writer.write(item)
        self._n += 1
        page = {**item, "n": self._n}
        if sensitive:
            page["sensitive"] = list(sensitive)
        self._pending.append(page)
        self._recent.append(page)

    def _sensitive(self, event: Judged) -> list[str]:
        """List the JSON paths of the fields the contract marks sensitive for this event."""
        model = self.contract.events.get(event.verdict.canonical_event or event.event)
        names = self.contract.sensitive_for(model)
        data = event.data
        if isinstance(data, str):
            if not any(name in data for name in names):
                return []
            try:
                data = json.loads(data)
            except ValueError:
                return []
        return sensitive_paths(data, names)

    def _mark(self, at: float, kind: str, label: str, channel: str | None = None,
              until: float | None = None) -> None:
        """Put one mark on the timeline (lock held)."""
        mark: dict[str, Any] = {"at": at, "kind": kind, "label": label}
        if channel is not None:
            mark["channel"] = channel
        if until is not None:
            mark["until"] = until
        self._timeline.append(mark)

    def _account(self, event: ProbeEvent) -> None:
        """Update the connection, channel and verdict counts for one event (lock held)."""
        if isinstance(event, Judged):
            self._events += 1
            kinds = [k.value for k in event.kinds]
            if not event.ok:
                self._violations += 1
            self._totals.update(kinds)
            channel = self._channels.get(event.channel)
            if channel is None:
                channel = self._channels[event.channel] = _Channel(event.channel,
                                                                   event.verdict.channel_id)
            channel.events += 1
            channel.counts.update(kinds)
            channel.last_event = event.event
            channel.last_at = event.at
            return
        if isinstance(event, StateChanged):
            self._connection = event.state
            if event.socket_id:
                self._socket_id = event.socket_id
            if event.state == "connected" and self._status == "connecting":
                self._status = "live"
            if event.state == "connected":
                self._reconnects += 1 if self._connected_once else 0
                self._connected_once = True
            reason = f": {event.reason}" if event.reason else ""
            self._mark(event.at, "state", f"{event.state}{reason}")
        elif isinstance(event, Subscribed):
            channel = self._channels.setdefault(event.channel,
                                                _Channel(event.channel, event.channel_id))
            channel.state = "subscribed"
            channel.detail = ""
            channel.subscriptions += 1
            self._status = "live"
            self._mark(event.at, "subscribed",
                       f"{'resubscribed' if event.resubscribed else 'subscribed'} {event.channel}",
                       event.channel)
        elif isinstance(event, SubscriptionFailed):
            channel = self._channels.setdefault(event.channel, _Channel(event.channel, None))
            channel.state = "failed"
            channel.detail = f"{event.reason}; {event.meaning}".strip("; ")
            self._mark(event.at, "failed", f"refused {event.channel} ({event.status})",
                       event.channel)
        elif isinstance(event, PusherError):
            self._pusher_errors += 1
            self._mark(event.at, "pusher-error", f"pusher:error {event.code}: {event.message}")
        elif isinstance(event, Gap):
            self._gaps.append({"from": event.disconnected_at, "to": event.reconnected_at,
                               "seconds": round(event.seconds, 3), "reason": event.reason})
            self._mark(event.disconnected_at, "gap", f"gap {event.seconds:.1f} s "
                       f"({event.reason})", until=event.reconnected_at)

    # -- what the web app reads ------------------------------------------------------------

    def drain(self) -> tuple[int, list[dict[str, Any]]]:
        """Take the items queued since the last drain, with their session number."""
        with self._lock:
            items, self._pending = self._pending, []
            return self._session, items

    def recent(self) -> tuple[int, list[dict[str, Any]]]:
        """Return the latest items of the session (for a page that (re)connects)."""
        with self._lock:
            return self._session, list(self._recent)

    @property
    def version(self) -> tuple[int, int]:
        """Change counter: differs whenever `snapshot()` would."""
        return self._session, self._version

    def snapshot(self) -> dict[str, Any]:
        """Describe the session: who, status, connection, channels, counts, gaps, timeline."""
        with self._lock:
            return {
                "session": self._session, "who": self._who, "status": self._status,
                "error": self._error, "connection": self._connection,
                "socket_id": self._socket_id, "started_at": self._started,
                "events": self._events, "violations": self._violations,
                "verdicts": dict(self._totals), "reconnects": self._reconnects,
                "pusher_errors": self._pusher_errors, "gaps": list(self._gaps),
                "channels": [c.to_dict() for c in self._channels.values()],
                "timeline": list(self._timeline), "items": self._n,
            }

    def export(self) -> Iterator[bytes]:
        """Yield the session's recording (and the summary once it ended) as NDJSON bytes."""
        with self._lock:
            writer, summary = self._writer, self._summary
            if writer is None:
                return
            writer.flush()
            path = Path(writer.path)
            size = path.stat().st_size
        with path.open("rb") as handle:
            left = size
            while left > 0:
                chunk = handle.read(min(65536, left))
                if not chunk:
                    break
                left -= len(chunk)
                yield chunk
        if summary is not None:
            yield (json.dumps(summary, separators=(",", ":"), default=str) + "\n").encode()
