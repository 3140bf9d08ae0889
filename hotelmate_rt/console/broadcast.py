"""Fan server-sent events out to every open page: one encoded message, many readers.

Messages are encoded once (`event: KIND` + `data: JSON`) and kept in a bounded log; each
reader follows the log from where it joined. A reader that falls further behind than the log
(a page that stopped reading) is told how many events it missed instead of holding memory.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

__all__ = ["Broadcast", "sse"]

KEEPALIVE_S = 15.0


def sse(kind: str, data: Any) -> bytes:
    """Encode one server-sent event (JSON data on one line)."""
    text = json.dumps(data, separators=(",", ":"), default=str)
    return f"event: {kind}\ndata: {text}\n\n".encode()


class Broadcast:
    """A bounded log of encoded messages that any number of readers follow."""

    def __init__(self, keep: int = 512) -> None:
        """Keep at most `keep` messages for readers that lag."""
        self._log: deque[tuple[int, int, int, bytes]] = deque(maxlen=keep)
        self._seq = 0
        self._events = 0
        self._changed = asyncio.Event()

    def cursor(self) -> tuple[int, int]:
        """Where the log is now: (last message number, events published so far)."""
        return self._seq, self._events

    def publish(self, kind: str, data: Any, events: int = 0) -> None:
        """Encode and append one message carrying `events` probe events; wake the readers."""
        self._seq += 1
        before = self._events
        self._events += events
        self._log.append((self._seq, before, self._events, sse(kind, data)))
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def follow(self, cursor: tuple[int, int],
                     keepalive: float = KEEPALIVE_S) -> AsyncIterator[bytes]:
        """Yield every message after `cursor` (from `cursor()`), forever, keepalives between."""
        seen, events = cursor
        while True:
            if self._seq <= seen:
                changed = self._changed
                try:
                    await asyncio.wait_for(changed.wait(), keepalive)
                except TimeoutError:
                    yield b": keepalive\n\n"
                continue
            log = list(self._log)
            first_seq, first_before, _, _ = log[0]
            if first_seq > seen + 1:
                missed = max(0, first_before - events)
                seen, events = first_seq - 1, first_before
                yield sse("skipped", {"events": missed})
            for seq, _, total, chunk in log:
                if seq > seen:
                    seen, events = seq, total
                    yield chunk
