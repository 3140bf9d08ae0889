"""Dead letters: where events that could not be sent are kept for replay (events, never secrets).

`DeadLetter` is the interface; `DeadLetterFile` keeps one JSON line per event in a local file
(apps without Django), `hotelmate_rt.django.deadletter.DatabaseDeadLetter` keeps them as dead
rows of the outbox table. `DeadLetterKeeper` is what the emitter writes through: when the dead
letter itself cannot be written (disk full, a path under a regular file, the database down) it
logs the failure loudly, keeps the event in memory (bounded, counted) and writes it on the next
successful append, and never raises into the caller.

A replay claims the file by renaming it to `FILE.replaying-PID`; a claim whose process is gone
(a replay that was killed) is "stranded": the next replay picks it up and every reader
(`scan`, triage) counts its entries. Lines that are not dead-letter entries are moved aside to
`FILE.rejected` by the replay and reported, never dropped.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from hotelmate_rt.redact import redact_text
from hotelmate_rt.settings import tool_variable

DEAD_LETTER_ENV = "HOTELMATE_RT_DEAD_LETTER"
DEFAULT_DEAD_LETTER = "hotelmate-rt-dead-letter.jsonl"
CLAIM_MARK = ".replaying-"
REJECTED_SUFFIX = ".rejected"

log = logging.getLogger("hotelmate_rt.emit")

_CLAIM_PID = re.compile(r"\.replaying-(\d+)(?:\.\d+)?\Z")


@dataclass(slots=True)
class DeadEvent:
    """One undelivered event: the exact wire form plus why it failed."""

    event: str
    channels: list[str]
    data: str
    error: str
    status: int | None = None
    attempts: int = 0
    ids: dict[str, str] = field(default_factory=dict)
    failed_at: float = field(default_factory=time.time)
    replays: int = 0
    ref: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Describe the entry as one JSON object."""
        out = {"event": self.event, "channels": self.channels, "data": self.data,
               "error": self.error, "status": self.status, "attempts": self.attempts,
               "ids": self.ids, "failed_at": self.failed_at, "replays": self.replays}
        if self.ref is not None:
            out["ref"] = self.ref
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> DeadEvent:
        """Read an entry back (KeyError/TypeError/ValueError if malformed)."""
        data = raw["data"]
        channels = raw["channels"]
        if not isinstance(channels, list) or not channels:
            raise ValueError("channels must be a non-empty list")
        return cls(event=str(raw["event"]), channels=[str(c) for c in channels],
                   data=data if isinstance(data, str) else json.dumps(data, ensure_ascii=False),
                   error=str(raw.get("error", "")), status=raw.get("status"),
                   attempts=int(raw.get("attempts", 0)), ids=dict(raw.get("ids") or {}),
                   failed_at=float(raw.get("failed_at", 0.0)), replays=int(raw.get("replays", 0)),
                   ref=raw.get("ref"))


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line of a dead-letter file that is not an entry: where it was and why."""

    source: str
    line: int
    reason: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        """Describe the line (its text cut to 200 characters) for reports."""
        return {"source": self.source, "line": self.line, "reason": self.reason,
                "text": self.text[:200]}


@dataclass(slots=True)
class DeadLetterScan:
    """Everything a dead letter holds: entries, lines that are not entries, and the files read."""

    entries: list[DeadEvent] = field(default_factory=list)
    bad: list[BadLine] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


@runtime_checkable
class DeadLetter(Protocol):
    """Where events that could not be sent are kept until a replay resends them."""

    @property
    def where(self) -> str:
        """Say where the entries are (a path, or `database:ALIAS`)."""

    def append(self, entry: DeadEvent) -> None:
        """Keep one more entry (raises OSError or a database error when it cannot)."""

    def read(self) -> list[DeadEvent]:
        """Return every entry currently kept."""


def default_dead_letter_path() -> Path:
    """Return $HOTELMATE_RT_DEAD_LETTER or ./hotelmate-rt-dead-letter.jsonl."""
    return Path(tool_variable("DEAD_LETTER") or DEFAULT_DEAD_LETTER)


def pid_alive(pid: int) -> bool:
    """Tell whether a process with this id exists and is not a zombie (a replay, a server)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _line(entry: DeadEvent) -> str:
    """Encode one entry as one JSON line."""
    return json.dumps(entry.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n"


class DeadLetterFile:
    """Append-only JSONL of undelivered events, safe across threads (one write per line)."""

    _locks: dict[str, threading.Lock] = {}

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        """Use `path`, or the default dead-letter path."""
        self.path = Path(path) if path is not None else default_dead_letter_path()
        self._lock = self._locks.setdefault(str(self.path.absolute()), threading.Lock())

    @property
    def where(self) -> str:
        """The file's path."""
        return str(self.path)

    @property
    def rejected_path(self) -> Path:
        """Where a replay moves lines that are not entries: `FILE.rejected`."""
        return self.path.with_name(self.path.name + REJECTED_SUFFIX)

    def append(self, entry: DeadEvent) -> None:
        """Append one entry as one line (O_APPEND, so concurrent writers do not interleave)."""
        self.append_many([entry])

    def append_many(self, entries: list[DeadEvent]) -> None:
        """Append entries in one write, flushed before returning (OSError if it cannot)."""
        if not entries:
            return
        text = "".join(_line(e) for e in entries)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()

    def claims(self) -> list[Path]:
        """Every `FILE.replaying-PID` file next to this one (replays running or stranded)."""
        try:
            siblings = list(self.path.parent.iterdir()) if self.path.parent.is_dir() else []
        except OSError:
            return []
        prefix = self.path.name + CLAIM_MARK
        return sorted(p for p in siblings if p.name.startswith(prefix) and _CLAIM_PID.search(p.name))

    def stranded(self) -> list[Path]:
        """Claims whose replay is gone (its process died, or it is this process's own)."""
        out = []
        for claim in self.claims():
            found = _CLAIM_PID.search(claim.name)
            pid = int(found.group(1)) if found else 0
            if pid == os.getpid() or not pid_alive(pid):
                out.append(claim)
        return out

    def exists(self) -> bool:
        """Tell whether anything is kept: the file itself or a claim of a replay."""
        return self.path.exists() or bool(self.claims())

    def read(self) -> list[DeadEvent]:
        """Read every entry of the file; a malformed line raises ValueError naming its line."""
        out = []
        for number, entry, problem in self._lines(self.path):
            if entry is None:
                raise ValueError(f"{self.path}:{number}: not a dead-letter entry ({problem})")
            out.append(entry)
        return out

    def scan(self) -> DeadLetterScan:
        """Read the file and every claim leniently: entries, plus the lines that are not."""
        result = DeadLetterScan()
        for path in [self.path, *self.claims()]:
            if not path.exists():
                continue
            result.files.append(path)
            for number, entry, problem in self._lines(path):
                if entry is not None:
                    result.entries.append(entry)
                else:
                    result.bad.append(BadLine(str(path), number, problem, self._raw(path, number)))
        return result

    @staticmethod
    def _raw(path: Path, number: int) -> str:
        """Return line `number` of `path` (for a bad-line report)."""
        with path.open(encoding="utf-8", errors="replace") as handle:
            for index, text in enumerate(handle, 1):
                if index == number:
                    return text.rstrip("\n")
        return ""

    @staticmethod
    def _lines(path: Path) -> Iterator[tuple[int, DeadEvent | None, str]]:
        """Yield (line number, entry or None, problem) for every non-blank line of `path`."""
        if not path.exists():
            return
        with path.open(encoding="utf-8", errors="replace") as handle:
            for number, text in enumerate(handle, 1):
                if not text.strip():
                    continue
                try:
                    raw = json.loads(text)
                    if not isinstance(raw, dict):
                        raise TypeError("not a JSON object")
                    yield number, DeadEvent.from_dict(raw), ""
                except (ValueError, KeyError, TypeError, RecursionError) as exc:
                    what = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
                    yield number, None, what[:200]

    def reject(self, bad: list[BadLine]) -> None:
        """Keep lines that are not entries aside in `FILE.rejected` (one JSON line each)."""
        if not bad:
            return
        text = "".join(json.dumps({**b.to_dict(), "text": b.text}, ensure_ascii=False) + "\n"
                       for b in bad)
        with self._lock, self.rejected_path.open("a", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()

    def rewrite(self, entries: list[DeadEvent]) -> None:
        """Atomically replace the file with `entries` (removing it when none remain)."""
        with self._lock:
            if not entries:
                self.path.unlink(missing_ok=True)
                return
            fd, tmp = tempfile.mkstemp(prefix=".dead-letter-", dir=self.path.parent or ".")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                for entry in entries:
                    handle.write(_line(entry))
            os.replace(tmp, self.path)

    def __repr__(self) -> str:
        """Show the path."""
        return f"DeadLetterFile({str(self.path)!r})"


class DeadLetterKeeper:
    """Write undeliverable events to a dead letter; if it cannot, keep them in memory and say so.

    Never raises: a dead letter that cannot be written is logged (CRITICAL, redacted, ids only)
    and the event is kept in `unwritten` (at most `limit`; beyond it the oldest is dropped and
    counted in `lost`). Every later successful append first writes what was kept in memory.
    """

    def __init__(self, dead_letter: DeadLetter | None, limit: int = 10_000,
                 secrets: tuple[str, ...] = ()) -> None:
        """Keep events in `dead_letter` (None: only in memory)."""
        self.dead_letter = dead_letter
        self.limit = limit
        self.unwritten: deque[DeadEvent] = deque()
        self.lost = 0
        self._secrets = secrets
        self._lock = threading.Lock()

    def keep(self, entry: DeadEvent) -> str | None:
        """Keep one entry; return where it went (None when it is only in memory)."""
        target = self.dead_letter
        if target is None:
            self._remember(entry, "no dead letter is configured")
            return None
        with self._lock:
            backlog = list(self.unwritten)
            self.unwritten.clear()
        try:
            if backlog and isinstance(target, DeadLetterFile):
                target.append_many([*backlog, entry])
            else:
                for item in [*backlog, entry]:
                    target.append(item)
                    if item is not entry:
                        backlog.remove(item)
        except Exception as exc:  # disk full, not a directory, database down: never raise
            with self._lock:
                self.unwritten.extendleft(reversed(backlog))
            self._remember(entry, f"{target.where} cannot be written "
                                  f"({type(exc).__name__}: {exc})")
            return None
        return target.where

    def _remember(self, entry: DeadEvent, why: str) -> None:
        """Keep an entry in memory (bounded) and log it loudly."""
        with self._lock:
            if len(self.unwritten) >= self.limit:
                self.unwritten.popleft()
                self.lost += 1
            self.unwritten.append(entry)
            kept, lost = len(self.unwritten), self.lost
        fields = {"event": entry.event, "channels": entry.channels, "ids": entry.ids,
                  "kept_in_memory": kept, "lost": lost, "why": why}
        text = redact_text(json.dumps(fields, separators=(",", ":"), default=str), self._secrets)
        log.critical("emit unrecorded %s", text, extra={"rt": fields})
