"""Recordings: write a probe's event stream as JSONL, and judge a recording offline (`check`).

A recording is JSON Lines. `check` judges every line that names a channel and an event, and is
tolerant about the shape so recordings made elsewhere work too:

- event name under `event`, `event_name` or `name`;
- channel under `channel`, or a list under `channels` (judged once per channel);
- payload under `data` or `payload`, either the raw JSON string Pusher carries or an object;
- lines whose `type` is a probe stream type other than `event` are not judged, but what they say
  about the session is kept: a refused subscription, a gap (events may have been missed), a
  malformed frame, a fatal error, a session that never listened (`SessionNote`);
- blank lines are skipped; any other line is reported as unreadable with its line number.

`check_lines` judges in one pass and yields each result as it goes (NDJSON per event);
`CheckResult.add` folds them into counts and a bounded sample per distinct problem (channel
template, event, finding kind, JSON path), so memory does not grow with the recording's length.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NamedTuple

from hotelmate_rt.contracts import Contract, Verdict, judge
from hotelmate_rt.errors import ProbeError

from .events import ProbeEvent, unanswered
from .session import judge_event

__all__ = ["CheckResult", "CheckedRecord", "Problem", "RecordWriter", "SessionNote",
           "Unreadable", "check_lines", "check_recording"]

_STREAM_TYPES = frozenset({"state", "subscribed", "subscription-failed", "pusher-error", "gap",
                           "note", "summary", "error", "frame-problem"})
NOT_IN_CONTRACT = "(not in contract)"
MAX_PROBLEMS = 1000
"""Distinct problems kept; past this many, problems are only counted (`other_problems`)."""
SAMPLES = 3
"""Example messages kept per distinct problem."""
MAX_UNREADABLE = 20
MAX_SESSION_NOTES = 20


class CheckedRecord(NamedTuple):
    """One recorded event (line number, channel, event) and its verdict."""

    line: int
    verdict: Verdict

    def to_dict(self) -> dict[str, Any]:
        """Describe the checked record as one NDJSON object."""
        return {"type": "checked", "line": self.line, **self.verdict.to_dict()}


class Unreadable(NamedTuple):
    """A line that is neither an event record nor a known stream line."""

    line: int
    problem: str

    def to_dict(self) -> dict[str, Any]:
        """Describe the unreadable line as one NDJSON object."""
        return {"type": "unreadable", "line": self.line, "problem": self.problem}


class SessionNote(NamedTuple):
    """What a stream line says went wrong in the recorded session (`kind` is its stream type)."""

    line: int
    kind: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        """Describe the session problem as one NDJSON object."""
        return {"type": "session", "line": self.line, "kind": self.kind, "message": self.message}


CheckItem = CheckedRecord | Unreadable | SessionNote


@dataclass(slots=True)
class Problem:
    """One distinct problem: where (channel template, event), what (finding kind, path), how often."""

    template: str
    event: str
    kind: str
    path: str | None
    count: int = 0
    first_line: int = 0
    last_line: int = 0
    samples: list[tuple[str, int, str]] = field(default_factory=list)
    """Up to SAMPLES distinct messages, each with its first line and channel."""

    def to_dict(self) -> dict[str, Any]:
        """Describe the problem as one JSON object."""
        return {"template": self.template, "event": self.event, "kind": self.kind,
                "path": self.path, "count": self.count, "first_line": self.first_line,
                "last_line": self.last_line,
                "samples": [{"message": m, "line": n, "channel": c} for m, n, c in self.samples]}


@dataclass(slots=True)
class CheckResult:
    """Counts per verdict kind, a bounded sample per distinct problem, and what the session said."""

    source: str
    events: int = 0
    violations: int = 0
    finding_kinds: Counter[str] = field(default_factory=Counter)
    problems: dict[tuple[str, str, str, str | None], Problem] = field(default_factory=dict)
    other_problems: int = 0
    unreadable: list[Unreadable] = field(default_factory=list)
    unreadable_count: int = 0
    session: list[SessionNote] = field(default_factory=list)
    session_counts: Counter[str] = field(default_factory=Counter)
    allow_empty: bool = False

    @property
    def kinds(self) -> Counter[str]:
        """Events per verdict kind (conforms, and each finding kind)."""
        conforms = self.events - self.violations
        return Counter({"conforms": conforms} if conforms else {}) + self.finding_kinds

    def add(self, item: CheckItem) -> None:
        """Fold one result of `check_lines` into the totals."""
        if type(item) is CheckedRecord:
            self.events += 1
            if item.verdict.findings:
                self.violations += 1
                self._problems(item.line, item.verdict)
        elif type(item) is Unreadable:
            self.unreadable_count += 1
            if len(self.unreadable) < MAX_UNREADABLE:
                self.unreadable.append(item)
        elif type(item) is SessionNote:
            self.session_counts[item.kind] += 1
            if len(self.session) < MAX_SESSION_NOTES:
                self.session.append(item)

    def _problems(self, line: int, verdict: Verdict) -> None:
        """Count each finding of a verdict under its distinct problem."""
        template = verdict.channel_id or NOT_IN_CONTRACT
        event = verdict.canonical_event or verdict.event
        for kind in verdict.kinds:
            self.finding_kinds[kind.value] += 1
        for finding in verdict.findings:
            key = (template, event, finding.kind.value, finding.path)
            problem = self.problems.get(key)
            if problem is None:
                if len(self.problems) >= MAX_PROBLEMS:
                    self.other_problems += 1
                    continue
                problem = self.problems[key] = Problem(template, event, finding.kind.value,
                                                       finding.path, first_line=line)
            problem.count += 1
            problem.last_line = line
            samples = problem.samples
            if len(samples) < SAMPLES and all(m != finding.message for m, _, _ in samples):
                samples.append((finding.message, line, verdict.channel))

    @property
    def empty(self) -> bool:
        """Tell whether the recording holds no event at all."""
        return self.events == 0

    @property
    def session_failed(self) -> bool:
        """Tell whether the recorded session reported a problem (refusal, gap, error...)."""
        return bool(self.session_counts)

    @property
    def ok(self) -> bool:
        """Tell whether every line was readable, every event conformed and the session was sound."""
        return self.violations == 0 and not self.unreadable_count and \
            not self.session_failed and (self.allow_empty or not self.empty)

    @property
    def findings(self) -> list[str]:
        """Say in short phrases why the recording is not ok (empty when it is)."""
        out = []
        if self.violations:
            out.append(f"{self.violations} violation(s)")
        if self.empty and not self.allow_empty:
            out.append("no event in the recording (--allow-empty accepts that)")
        for kind, count in self.session_counts.most_common():
            out.append(f"{count} {kind} line(s) in the recorded session")
        if self.unreadable_count:
            out.append(f"{self.unreadable_count} unreadable line(s)")
        return out

    def ordered_problems(self) -> list[Problem]:
        """The distinct problems, most frequent first."""
        return sorted(self.problems.values(), key=lambda p: (-p.count, p.first_line))

    def to_dict(self) -> dict[str, Any]:
        """Describe the result's totals as one JSON object."""
        return {"type": "summary", "source": self.source, "ok": self.ok,
                "events": self.events, "violations": self.violations,
                "unreadable": self.unreadable_count, "verdicts": dict(self.kinds),
                "problems": [p.to_dict() for p in self.ordered_problems()],
                "other_problems": self.other_problems,
                "session": dict(self.session_counts), "empty": self.empty,
                "findings": self.findings}


def _session_note(number: int, kind: str, record: dict[str, Any]) -> SessionNote | None:
    """Return what a stream line says went wrong in the session, or None when nothing did."""
    if kind == "error":
        return SessionNote(number, kind, str(record.get("message") or "the session failed"))
    if kind == "subscription-failed":
        status, reason = record.get("status"), str(record.get("reason") or "")
        if unanswered(status if isinstance(status, int) else None, reason):
            return SessionNote(number, kind, f"{record.get('channel')} not subscribed: no answer "
                                             f"from the {record.get('source')} ({reason})")
        return SessionNote(number, kind, f"{record.get('channel')} refused by "
                                         f"{record.get('source')}: {reason}")
    if kind == "gap":
        return SessionNote(number, kind, f"blind for {record.get('seconds')} s "
                                         f"({record.get('reason') or 'connection lost'}): events "
                                         "may have been missed")
    if kind == "frame-problem" and record.get("finding", True):
        return SessionNote(number, kind, str(record.get("message") or "a malformed frame"))
    if kind == "summary" and (record.get("error") or record.get("listened") is False):
        return SessionNote(number, kind, str(record.get("error") or "the session never listened "
                                             "(" + ", ".join(record.get("problems") or []) + ")"))
    return None


def check_lines(contract: Contract, lines: Iterable[str] | IO[str], source: str = "<stream>",
                target: str | None = None) -> Iterator[CheckItem]:
    """Judge each event line of a JSONL stream, yielding verdicts, unreadable lines and notes."""
    contract.target(target)
    loads = json.loads
    stream_types = _STREAM_TYPES
    for number, line in enumerate(lines, start=1):
        try:
            record = loads(line)
        except ValueError as exc:
            if line.strip():
                yield Unreadable(number, f"not JSON ({getattr(exc, 'msg', exc)})")
            continue
        except RecursionError:
            yield Unreadable(number, "nested too deeply to read")
            continue
        if type(record) is not dict:
            yield Unreadable(number, f"a JSON {type(record).__name__}, not an object")
            continue
        kind = record.get("type")
        if kind in stream_types:
            note = _session_note(number, kind, record)
            if note is not None:
                yield note
            continue
        event = record.get("event")
        channel = record.get("channel")
        if type(channel) is str and type(event) is str and "data" in record:  # the usual line
            try:
                verdict = judge(contract, channel, event, record["data"], target)
            except RecursionError:
                verdict = judge_event(contract, channel, event, record["data"], target)
            yield CheckedRecord(number, verdict)
            continue
        yield from _other_shapes(number, record, contract, target)


def _other_shapes(number: int, record: dict[str, Any], contract: Contract,
                  target: str | None) -> Iterator[CheckItem]:
    """Judge a line written elsewhere (`event_name`/`name`, `channels`, `payload`), or say why not."""
    event = record.get("event")
    if event is None:
        event = record.get("event_name", record.get("name"))
    channel = record.get("channel")
    channels = [channel] if channel is not None else record.get("channels")
    if type(event) is not str or type(channels) is not list or not channels \
            or not all(type(c) is str for c in channels):
        yield Unreadable(number, "needs a string 'event' and a 'channel' (or a 'channels' list)")
        return
    if "data" in record:
        data = record["data"]
    elif "payload" in record:
        data = record["payload"]
    else:
        yield Unreadable(number, "has no 'data' (or 'payload')")
        return
    for name in channels:
        yield CheckedRecord(number, judge_event(contract, name, event, data, target))


def check_recording(contract: Contract, path: str | Path, target: str | None = None, *,
                    allow_empty: bool = False,
                    on_item: Any = None) -> CheckResult:
    """Judge a JSONL recording file (or `-` for stdin) in one pass; `on_item` sees each result."""
    import sys

    source = str(path)
    result = CheckResult(source, allow_empty=allow_empty)
    try:
        handle: IO[str] = sys.stdin if source == "-" else \
            open(path, encoding="utf-8", errors="replace")  # noqa: SIM115
    except OSError as exc:
        raise ProbeError(f"cannot read recording {source}: {exc.strerror or exc}") from None
    add = result.add
    with handle:  # one pass; nothing but the totals and the bounded samples stays in memory
        try:
            if on_item is None:
                for item in check_lines(contract, handle, source, target):
                    add(item)
            else:
                for item in check_lines(contract, handle, source, target):
                    add(item)
                    on_item(item)
        except OSError as exc:
            raise ProbeError(f"cannot read recording {source}: {exc.strerror or exc}") from None
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
