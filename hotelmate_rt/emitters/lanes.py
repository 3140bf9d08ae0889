"""Send many events as batches of at most 10, on parallel lanes, each channel in order.

Shared by the Emitter (emit_many, actions, transitions) and the outbox relay. Every event on one
channel goes to the same lane, and a lane sends its batches one after the other, so each
channel keeps its order. With `stop_on_failure` (the relay) a lane stops at its first failed
batch: what follows on those channels waits for the next try instead of overtaking it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING

from hotelmate_rt.contracts.limits import MAX_EVENTS_PER_BATCH

from .policy import Attempted, RetryPolicy, call_with_retry
from .transports import Transport, WireEvent

if TYPE_CHECKING:
    from .breaker import CircuitBreaker

Failures = dict[int, tuple[Attempted, list[str]]]
"""Item index -> (how its failed batch ended, the channels it failed on)."""


def split_lanes(wire: Sequence[tuple[int, WireEvent]], lanes: int) -> list[list[tuple[int, WireEvent]]]:
    """Assign each channel to a lane (round robin in first-seen order); keep order within lanes."""
    if len(wire) <= MAX_EVENTS_PER_BATCH or lanes <= 1:
        return [list(wire)] if wire else []
    lane_of: dict[str, int] = {}
    out: list[list[tuple[int, WireEvent]]] = [[] for _ in range(lanes)]
    for item in wire:
        lane = lane_of.setdefault(item[1].channel, len(lane_of) % lanes)
        out[lane].append(item)
    return [lane for lane in out if lane]


def send_in_lanes(transport: Transport, policy: RetryPolicy,
                  wire: Sequence[tuple[int, WireEvent]], *, lanes: int,
                  executor: Callable[[], ThreadPoolExecutor], deadline: float | None = None,
                  breaker: CircuitBreaker | None = None, stop_on_failure: bool = False,
                  ) -> tuple[Failures, dict[int, int], set[int]]:
    """Send `(item index, wire event)` pairs; return failures, attempts and untried indexes."""
    failures: Failures = {}
    attempts: dict[int, int] = {}
    untried: set[int] = set()
    lock = threading.Lock()

    def run(lane: list[tuple[int, WireEvent]]) -> None:
        """Send one lane's chunks in order."""
        for start in range(0, len(lane), MAX_EVENTS_PER_BATCH):
            chunk = lane[start:start + MAX_EVENTS_PER_BATCH]
            attempted = call_with_retry(policy, partial(transport.trigger_batch,
                                                        [w for _, w in chunk]),
                                        deadline=deadline, breaker=breaker)
            with lock:
                for index, item in chunk:
                    attempts[index] = max(attempts.get(index, 0), attempted.attempts)
                    if attempted.error is not None:
                        previous = failures.get(index)
                        channels = previous[1] if previous else []
                        channels.append(item.channel)
                        failures[index] = (attempted, channels)
            if attempted.error is not None and stop_on_failure:
                with lock:
                    untried.update(i for i, _ in lane[start + MAX_EVENTS_PER_BATCH:])
                return

    split = split_lanes(wire, lanes)
    if len(split) == 1:
        run(split[0])
    elif split:
        pool = executor()
        for future in [pool.submit(run, lane) for lane in split]:
            future.result()
    return failures, attempts, untried
