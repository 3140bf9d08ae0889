"""Recordings: write a probe's event stream as JSONL, and judge a recording offline (`check`).

A recording is JSON Lines. `check` judges every line that names a channel and an event, and is
tolerant about the shape so recordings made elsewhere work too:

- event name under `event`, `event_name` or `name`;
- channel under `channel`, or a list under `channels` (judged once per channel);
- payload under `data` or `payload`, either the raw JSON string Pusher carries or an object;
- lines whose `type` is a probe stream type other than `event` (state, gap, summary...) are
  skipped, so `hotelmate-rt record` output and `listen --json` output check as they are;
- blank lines are skipped; any other line is reported as unreadable with its line number.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from hotelmate_rt.contracts import Contract, Verdict, judge
from hotelmate_rt.errors import ProbeError

from .events import ProbeEvent

__all__ = ["CheckResult", "CheckedRecord", "RecordWriter", "Unreadable", "check_lines",
           "check_recording"]

_STREAM_TYPES = frozenset({"state", "subscribed", "subscription-failed", "pusher-error", "gap",
                           "note", "summary", "error"})


@dataclass(frozen=True, slots=True)
class CheckedRecord:
    """One recorded event (line number, channel, event) and its verdict."""

    line: int
    verdict: Verdict

    def to_dict(self) -> dict[str, Any]:
        """Describe the checked record as one NDJSON object."""
        return {"type": "checked", "line": self.line, **self.verdict.to_dict()}


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A line that is neither an event record nor a known stream line."""

    line: int
    problem: str

    def to_dict(self) -> dict[str, Any]:
        """Describe the unreadable line as one NDJSON object."""
        return {"type": "unreadable", "line": self.line, "problem": self.problem}


@dataclass(slots=True)
class CheckResult:
    """Every checked record, every unreadable line, and counts per verdict kind."""

    source: str
    records: list[CheckedRecord] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)
    skipped: int = 0
    kinds: Counter[str] = field(default_factory=Counter)

    @property
    def violations(self) -> int:
        """Count the records that do not conform."""
        return sum(1 for r in self.records if not r.verdict.ok)

    @property
    def ok(self) -> bool:
        """Tell whether every record conformed and every line was readable."""
        return self.violations == 0 and not self.unreadable

    def to_dict(self) -> dict[str, Any]:
        """Describe the result's totals as one JSON object."""
        return {"type": "summary", "source": self.source, "ok": self.ok,
                "events": len(self.records), "violations": self.violations,
                "unreadable": len(self.unreadable), "skipped": self.skipped,
                "verdicts": dict(self.kinds)}


def _first(record: dict[str, Any], *keys: str) -> Any:
    """Return the first present key's value."""
    for key in keys:
        if key in record:
            return record[key]
    return None


def check_lines(contract: Contract, lines: Iterator[str] | IO[str], source: str = "<stream>",
                target: str | None = None) -> Iterator[CheckedRecord | Unreadable]:
    """Judge each event line of a JSONL stream, yielding verdicts and unreadable lines."""
    contract.target(target)
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text:
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            yield Unreadable(number, f"not JSON ({exc.msg})")
            continue
        if not isinstance(record, dict):
            yield Unreadable(number, f"a JSON {type(record).__name__}, not an object")
            continue
        kind = record.get("type")
        if kind in _STREAM_TYPES:
            continue
        event = _first(record, "event", "event_name", "name")
        channels = record.get("channels")
        if channels is None:
            channel = record.get("channel")
            channels = [channel] if channel is not None else None
        if not isinstance(event, str) or not isinstance(channels, list) or not channels \
                or not all(isinstance(c, str) for c in channels):
            yield Unreadable(number, "needs a string 'event' and a 'channel' (or a 'channels' "
                                     "list)")
            continue
        if "data" not in record and "payload" not in record:
            yield Unreadable(number, "has no 'data' (or 'payload')")
            continue
        data = _first(record, "data", "payload")
        for channel in channels:
            yield CheckedRecord(number, judge(contract, channel, event, data, target))


def check_recording(contract: Contract, path: str | Path, target: str | None = None
                    ) -> CheckResult:
    """Judge a JSONL recording file (or `-` for stdin) and return every verdict."""
    import sys

    source = str(path)
    result = CheckResult(source)
    try:
        handle: IO[str] = sys.stdin if source == "-" else \
            open(path, encoding="utf-8", errors="replace")  # noqa: SIM115
    except OSError as exc:
        raise ProbeError(f"cannot read recording {source}: {exc.strerror or exc}") from None
    with handle:
        for item in check_lines(contract, handle, source, target):
            if isinstance(item, Unreadable):
                result.unreadable.append(item)
                continue
            result.records.append(item)
            for kind in item.verdict.kinds:
                result.kinds[kind.value] += 1
    return result


class RecordWriter:
    """Append each probe event to a JSONL file as one line, flushed as it comes."""

    def __init__(self, path: str | Path) -> None:
        """Open (truncate) the recording file."""
        self.path = str(path)
        try:
            self._handle = open(path, "w", encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            raise ProbeError(f"cannot write recording {self.path}: {exc.strerror or exc}") \
                from None
        self.lines = 0

    def write(self, event: ProbeEvent | dict[str, Any]) -> None:
        """Write one event (or a summary dict) as a JSON line."""
        data = event if isinstance(event, dict) else event.to_dict()
        self._handle.write(json.dumps(data, separators=(",", ":"), default=str) + "\n")
        self.lines += 1
        if self.lines % 256 == 0:
            self._handle.flush()

    def flush(self) -> None:
        """Write what is buffered to the file (a reader sees every line written so far)."""
        if not self._handle.closed:
            self._handle.flush()

    def close(self) -> None:
        """Flush and close the file."""
        if not self._handle.closed:
            self._handle.flush()
            self._handle.close()
