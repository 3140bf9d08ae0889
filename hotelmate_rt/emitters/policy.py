"""Failure policy: bounded exponential backoff with full jitter for timeouts, 5xx and 429."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from hotelmate_rt.errors import TransportError


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
        ceiling = min(self.max_delay, self.base_delay * (2 ** (retry - 1)))
        return self.rng.uniform(0, ceiling)


NO_RETRY = RetryPolicy(attempts=1)


@dataclass(slots=True)
class Attempted:
    """How a call ended: attempts made and the last error (None when it succeeded)."""

    attempts: int
    error: TransportError | None = None


def call_with_retry(policy: RetryPolicy, call: Callable[[], None]) -> Attempted:
    """Run `call` until it succeeds, fails for good, or the policy's attempts/deadline run out."""
    start = time.monotonic()
    attempt = 0
    while True:
        attempt += 1
        try:
            call()
        except TransportError as exc:
            if not exc.retryable or attempt >= policy.attempts:
                return Attempted(attempt, exc)
            pause = policy.delay(attempt)
            if time.monotonic() - start + pause >= policy.deadline:
                return Attempted(attempt, exc)
            policy.sleep(pause)
        else:
            return Attempted(attempt)
