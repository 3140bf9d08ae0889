"""`capture_events()`: record what every Emitter would send, with the contract's verdict for each."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from hotelmate_rt.contracts import Contract, Finding, Verdict, judge
from hotelmate_rt.emitters import EmitResult, Prepared, add_observer, remove_observer


@dataclass(slots=True)
class CapturedEvent:
    """One event on one channel: its payload, the contract verdict, and whether it was committed.

    `committed` is False while the emit waits for `transaction.on_commit` (and stays False if
    the transaction rolled back); `refused` is True for an emit the library refused.
    """

    channel: str
    event: str
    data: Any
    raw: str
    verdict: Verdict
    committed: bool = False
    refused: bool = False
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def channel_id(self) -> str | None:
        """The contract channel id the name resolved to (`guest-booking`), if any."""
        return self.verdict.channel_id

    def to_dict(self) -> dict[str, Any]:
        """Describe the captured event for assertion messages and JSON."""
        return {"channel": self.channel, "event": self.event, "data": self.data,
                "committed": self.committed, "refused": self.refused,
                "verdict": [k.value for k in self.verdict.kinds]}

    def __str__(self) -> str:
        """Show one line: event on channel, state and verdict."""
        state = "refused" if self.refused else ("sent" if self.committed else "pending commit")
        kinds = ",".join(k.value for k in self.verdict.kinds)
        return f"{self.event} on {self.channel} [{state}; {kinds}]"


class EventCapture:
    """The events recorded while a `capture_events()` block is active."""

    def __init__(self, passthrough: bool = False) -> None:
        """Start empty; with `passthrough` the events are also really sent."""
        self.passthrough = passthrough
        self.all: list[CapturedEvent] = []
        self._by_result: dict[int, list[CapturedEvent]] = {}
        self._lock = threading.Lock()
        self._contract: Contract | None = None

    # -- Observer protocol (called by the Emitter) ----------------------------------------

    def emitted(self, contract: Contract, prepared: Prepared, result: EmitResult) -> None:
        """Record an event that passed validation (possibly waiting for the commit)."""
        data = json.loads(prepared.data)
        judge_with = self._contract or contract
        entries = []
        for channel in prepared.channels:
            verdict = judge(judge_with, channel, prepared.event, prepared.data)
            entries.append(CapturedEvent(channel, prepared.event, data, prepared.data, verdict,
                                         ids=dict(prepared.ids)))
        with self._lock:
            self.all.extend(entries)
            self._by_result[id(result)] = entries

    def sent(self, prepared: Prepared, result: EmitResult) -> None:
        """Mark the events of one emit as committed (handed to the transport)."""
        with self._lock:
            for entry in self._by_result.get(id(result), ()):
                entry.committed = True

    def refused(self, contract: Contract, event: str, channels: tuple[str, ...], data: Any,
                findings: list[Finding]) -> None:
        """Record an emit the library refused, with its findings as the verdict."""
        raw = json.dumps(data, ensure_ascii=False, default=str)
        with self._lock:
            for channel in channels or ("",):
                self.all.append(CapturedEvent(channel, event, data, raw,
                                              Verdict(channel, event, list(findings)),
                                              refused=True))

    # -- queries and assertions -----------------------------------------------------------

    @property
    def sent_events(self) -> list[CapturedEvent]:
        """Events that were (or, captured, would have been) sent: committed and not refused."""
        return [e for e in self.all if e.committed and not e.refused]

    @property
    def pending(self) -> list[CapturedEvent]:
        """Events still waiting for a commit (or dropped by a rollback)."""
        return [e for e in self.all if not e.committed and not e.refused]

    @property
    def refused_events(self) -> list[CapturedEvent]:
        """Emits the library refused before sending."""
        return [e for e in self.all if e.refused]

    def find(self, event: str | None = None, channel: str | None = None, *,
             committed: bool | None = True, **fields: Any) -> list[CapturedEvent]:
        """Return matching events; `channel` is a concrete name or a contract channel id."""
        out = []
        for entry in self.all:
            if entry.refused:
                continue
            if event is not None and entry.event != event:
                continue
            if channel is not None and channel not in (entry.channel, entry.channel_id):
                continue
            if committed is not None and entry.committed != committed:
                continue
            if fields and not (isinstance(entry.data, dict) and
                               all(entry.data.get(k) == v for k, v in fields.items())):
                continue
            out.append(entry)
        return out

    def assert_emitted(self, event: str, channel: str | None = None, *,
                       committed: bool | None = True, **fields: Any) -> CapturedEvent:
        """Assert one matching event was sent and conforms; return it (AssertionError otherwise)."""
        found = self.find(event, channel, committed=committed, **fields)
        if not found:
            where = f" on {channel}" if channel else ""
            with_fields = f" with {fields}" if fields else ""
            if committed and self.find(event, channel, committed=False, **fields):
                raise AssertionError(
                    f"{event}{where}{with_fields} was emitted but is still waiting for the "
                    "transaction to commit, which never happens inside a Django TestCase: wrap "
                    "the code in `with self.captureOnCommitCallbacks(execute=True):` (or use "
                    "TransactionTestCase), or pass committed=None to accept pending events; "
                    "captured:\n" + self._listing())
            raise AssertionError(f"{event}{where}{with_fields} was not emitted; captured:\n"
                                 + self._listing())
        bad = [e for e in found if not e.verdict.ok]
        if bad:
            raise AssertionError(f"{event} was emitted but breaks the contract: "
                                 f"{bad[0].verdict.to_dict()['findings']}")
        return found[0]

    def assert_not_emitted(self, event: str | None = None, channel: str | None = None) -> None:
        """Assert no matching event was sent (committed)."""
        found = self.find(event, channel, committed=True)
        if found:
            raise AssertionError("unexpected events:\n" + "\n".join(f"  {e}" for e in found))

    def assert_all_conform(self) -> None:
        """Assert every captured event conforms to the contract and nothing was refused."""
        bad = [e for e in self.all if not e.verdict.ok]
        if bad:
            raise AssertionError("events breaking the contract:\n" + "\n".join(
                f"  {e}: {[f.message for f in e.verdict.findings]}" for e in bad))

    def clear(self) -> None:
        """Forget everything captured so far."""
        with self._lock:
            self.all.clear()
            self._by_result.clear()

    def _listing(self) -> str:
        """List every captured event, one per line (or say there were none)."""
        if not self.all:
            return "  (nothing)"
        return "\n".join(f"  {e}" for e in self.all)

    def __len__(self) -> int:
        """Count captured events (per channel, refused included)."""
        return len(self.all)

    def __iter__(self) -> Iterator[CapturedEvent]:
        """Iterate over every captured event."""
        return iter(list(self.all))


@contextmanager
def capture_events(contract: Contract | None = None, *,
                   passthrough: bool = False) -> Iterator[EventCapture]:
    """Record every event any Emitter emits in this block instead of sending it.

    Each captured event carries the contract verdict (`judge`) for its channel; `contract`
    defaults to the emitting Emitter's contract. With `passthrough=True` events are also sent.
    Inside a Django TestCase (one big transaction) events stay `committed=False` unless the
    test runs on-commit callbacks (`self.captureOnCommitCallbacks(execute=True)`).
    """
    capture = EventCapture(passthrough)
    capture._contract = contract
    add_observer(capture)
    try:
        yield capture
    finally:
        remove_observer(capture)
