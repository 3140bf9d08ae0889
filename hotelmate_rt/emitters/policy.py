"""Failure policy: bounded exponential backoff with full jitter for timeouts, 5xx and 429.

Every send has a budget (`RetryPolicy.deadline`, or an absolute deadline shared by a whole
dispatch): retries stop when it runs out, and each HTTP attempt is itself bounded by what is
left (`time_left()`, read by the HTTP backend), so a slow server can never hold the caller past
the budget. An optional circuit breaker (`breaker.py`) skips the call altogether while the
server is known to be failing.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hotelmate_rt.errors import TransportError

if TYPE_CHECKING:
    from .breaker import CircuitBreaker

_DEADLINE: ContextVar[float | None] = ContextVar("hotelmate_rt_send_deadline", default=None)


def time_left() -> float | None:
    """Seconds left in the budget of the send running in this context (None outside one)."""
    deadline = _DEADLINE.get()
    return None if deadline is None else deadline - time.monotonic()


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry one HTTP call; 4xx (except 429) are never retried."""

    attempts: int = 3
    base_delay: float = 0.05
    max_delay: float = 1.0
    deadline: float = 5.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        """Refuse a policy that could never send or never stop."""
        if self.attempts < 1:
            raise ValueError("RetryPolicy.attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.deadline <= 0:
            raise ValueError("RetryPolicy delays must be >= 0 and the deadline > 0")

    def delay(self, retry: int) -> float:
        """Return the sleep before retry number `retry` (1-based): full jitter, capped."""
        return self.rng.uniform(0, self._ceiling(retry))

    def backoff(self, retry: int) -> float:
        """Return a wait before retry `retry` that never collapses to zero (half to all the cap)."""
        ceiling = self._ceiling(retry)
        return self.rng.uniform(ceiling / 2, ceiling)

    def _ceiling(self, retry: int) -> float:
        """The longest wait before retry `retry`: doubling from `base_delay`, capped."""
        return min(self.max_delay, self.base_delay * (2 ** (retry - 1)))


NO_RETRY = RetryPolicy(attempts=1)


@dataclass(slots=True)
class Attempted:
    """How a call ended: attempts made and the last error (None when it succeeded)."""

    attempts: int
    error: TransportError | None = None


def budget_exhausted(budget: float) -> TransportError:
    """The error of a send that was not tried because its budget had already run out."""
    return TransportError(f"not sent: the {budget:g} s send budget ran out", None, True)


def call_with_retry(policy: RetryPolicy, call: Callable[[], None], *,
                    deadline: float | None = None,
                    breaker: CircuitBreaker | None = None) -> Attempted:
    """Run `call` until it succeeds, fails for good, or the attempts or the budget run out.

    The budget ends at `policy.deadline` seconds from now, or at the absolute monotonic
    `deadline` when that comes first; each attempt runs with `time_left()` bounded by it.
    """
    start = time.monotonic()
    end = start + policy.deadline if deadline is None else min(deadline, start + policy.deadline)
    if breaker is not None and not breaker.allow():
        return Attempted(0, breaker.refusal())
    attempt = 0
    token = _DEADLINE.set(end)
    try:
        while True:
            if time.monotonic() >= end:
                outcome = Attempted(attempt, budget_exhausted(policy.deadline))
                break
            attempt += 1
            try:
                call()
            except TransportError as exc:
                if not exc.retryable or attempt >= policy.attempts:
                    outcome = Attempted(attempt, exc)
                    break
                pause = policy.delay(attempt)
                if time.monotonic() + pause >= end:
                    outcome = Attempted(attempt, exc)
                    break
                policy.sleep(pause)
            else:
                outcome = Attempted(attempt)
                break
    finally:
        _DEADLINE.reset(token)
    if breaker is not None:
        breaker.record(outcome.error)
    return outcome
