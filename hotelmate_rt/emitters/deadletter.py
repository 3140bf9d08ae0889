"""The dead-letter file: one JSON line per event that could not be sent (events, never secrets)."""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEAD_LETTER_ENV = "HOTELMATE_RT_DEAD_LETTER"
DEFAULT_DEAD_LETTER = "hotelmate-rt-dead-letter.jsonl"


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

    def to_dict(self) -> dict[str, Any]:
        """Describe the entry as one JSON object."""
        return {"event": self.event, "channels": self.channels, "data": self.data,
                "error": self.error, "status": self.status, "attempts": self.attempts,
                "ids": self.ids, "failed_at": self.failed_at, "replays": self.replays}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> DeadEvent:
        """Read an entry back (KeyError/TypeError if malformed)."""
        data = raw["data"]
        return cls(event=str(raw["event"]), channels=[str(c) for c in raw["channels"]],
                   data=data if isinstance(data, str) else json.dumps(data, ensure_ascii=False),
                   error=str(raw.get("error", "")), status=raw.get("status"),
                   attempts=int(raw.get("attempts", 0)), ids=dict(raw.get("ids") or {}),
                   failed_at=float(raw.get("failed_at", 0.0)), replays=int(raw.get("replays", 0)))


def default_dead_letter_path() -> Path:
    """Return $HOTELMATE_RT_DEAD_LETTER or ./hotelmate-rt-dead-letter.jsonl."""
    return Path(os.environ.get(DEAD_LETTER_ENV) or DEFAULT_DEAD_LETTER)


class DeadLetterFile:
    """Append-only JSONL of undelivered events, safe across threads (one write per line)."""

    _locks: dict[str, threading.Lock] = {}

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        """Use `path`, or the default dead-letter path."""
        self.path = Path(path) if path is not None else default_dead_letter_path()
        self._lock = self._locks.setdefault(str(self.path.resolve()), threading.Lock())

    def append(self, entry: DeadEvent) -> None:
        """Append one entry as one line (O_APPEND, so concurrent writers do not interleave)."""
        line = json.dumps(entry.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)

    def read(self) -> list[DeadEvent]:
        """Read every entry; a malformed line raises ValueError naming its line number."""
        return [entry for _, entry in self._iter()]

    def _iter(self) -> Iterator[tuple[int, DeadEvent]]:
        """Yield (line number, entry) for every non-blank line."""
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    yield number, DeadEvent.from_dict(json.loads(line))
                except (ValueError, KeyError, TypeError) as exc:
                    raise ValueError(f"{self.path}:{number}: not a dead-letter entry ({exc})") from None

    def rewrite(self, entries: list[DeadEvent]) -> None:
        """Atomically replace the file with `entries` (removing it when none remain)."""
        with self._lock:
            if not entries:
                self.path.unlink(missing_ok=True)
                return
            fd, tmp = tempfile.mkstemp(prefix=".dead-letter-", dir=self.path.parent or ".")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                for entry in entries:
                    handle.write(json.dumps(entry.to_dict(), ensure_ascii=False,
                                            separators=(",", ":")) + "\n")
            os.replace(tmp, self.path)

    def __repr__(self) -> str:
        """Show the path."""
        return f"DeadLetterFile({str(self.path)!r})"
