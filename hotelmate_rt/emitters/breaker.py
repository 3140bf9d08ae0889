"""A circuit breaker: after repeated failed sends, stop calling a failing server for a cool-down.

Closed: every send goes through. After `threshold` sends in a row failed with a retryable error
(timeouts, refused connections, 5xx), it opens: sends are refused at once (the emitter keeps
them in the dead letter or the outbox) for `cooldown` seconds. Then it lets one send through
(half-open): success closes it, failure opens it again. An answer such as a 4xx proves the
server is up, so it counts as a success here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from hotelmate_rt.errors import TransportError


class CircuitBreaker:
    """Count consecutive failed sends and refuse new ones for a cool-down once too many failed."""

    def __init__(self, threshold: int = 3, cooldown: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """Open after `threshold` failures in a row; stay open `cooldown` seconds."""
        if threshold < 1 or cooldown <= 0:
            raise ValueError("CircuitBreaker needs threshold >= 1 and cooldown > 0")
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self.failures = 0
        self.opened_at: float | None = None
        self._probing = False
        self.refused = 0
        self.last_error = ""

    @property
    def state(self) -> str:
        """`closed`, `open` or `half-open`."""
        with self._lock:
            if self.opened_at is None:
                return "closed"
            if self._clock() - self.opened_at >= self.cooldown:
                return "half-open"
            return "open"

    def allow(self) -> bool:
        """Tell whether a send may go to the server now (one probe at a time when half-open)."""
        with self._lock:
            if self.opened_at is None:
                return True
            if self._clock() - self.opened_at >= self.cooldown and not self._probing:
                self._probing = True
                return True
            self.refused += 1
            return False

    def record(self, error: TransportError | None) -> None:
        """Record how a send that was allowed ended."""
        with self._lock:
            self._probing = False
            if error is None or not error.retryable:
                self.failures = 0
                self.opened_at = None
                return
            self.failures += 1
            self.last_error = str(error)
            if self.opened_at is not None or self.failures >= self.threshold:
                self.opened_at = self._clock()

    def refusal(self) -> TransportError:
        """The error given to a send refused while the breaker is open (retryable)."""
        with self._lock:
            left = 0.0 if self.opened_at is None else \
                max(0.0, self.cooldown - (self._clock() - self.opened_at))
            failures, last = self.failures, self.last_error
        return TransportError(f"not sent: the last {failures} sends failed ({last}); sends are "
                              f"paused for {left:.0f} s more (circuit open)", None, True)

    def __repr__(self) -> str:
        """Show the state and counts."""
        return (f"CircuitBreaker({self.state}, failures={self.failures}, "
                f"threshold={self.threshold}, cooldown={self.cooldown:g})")
