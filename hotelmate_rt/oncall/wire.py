"""A thin, bounded consumer of the probe's connection layer for doctor and triage.

No websocket code lives here: `Listener` starts a `hotelmate_rt.probes.connection.Connection`,
drains its queue with deadlines, and keeps what it saw (states, subscriptions, errors, events
judged by the contract's `judge`, exactly as `listen` judges them).
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hotelmate_rt.errors import HotelmateRtError

if TYPE_CHECKING:
    from hotelmate_rt.contracts import Contract, Verdict
    from hotelmate_rt.probes.auth import Authorizer
    from hotelmate_rt.probes.connection import Connection, ServerAddress
    from hotelmate_rt.probes.events import ProbeEvent
    from hotelmate_rt.redact import Redactor


@dataclass(slots=True)
class Received:
    """One channel event as the listener received it, with the contract's verdict."""

    channel: str
    event: str
    data: Any
    at: float
    verdict: Verdict | None = None

    def to_dict(self) -> dict[str, Any]:
        """Describe the event for reports."""
        out: dict[str, Any] = {"channel": self.channel, "event": self.event,
                               "at": round(self.at, 6)}
        if self.verdict is not None:
            out["ok"] = self.verdict.ok
            out["verdict"] = [k.value for k in self.verdict.kinds]
            out["findings"] = [f.message for f in self.verdict.findings]
        return out


@dataclass(slots=True)
class Listener:
    """One connection of the probe layer and everything it reported so far."""

    server: ServerAddress
    channels: Sequence[tuple[str, str | None]]
    authorizer: Authorizer | None = None
    timeout: float = 5.0
    redactor: Redactor | None = None
    contract: Contract | None = None
    label: str = ""
    events: list[ProbeEvent] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    subscribed: set[str] = field(default_factory=set)
    socket_id: str | None = None
    fatal: HotelmateRtError | None = None
    finished: bool = False
    connected_at: float | None = None
    _connection: Connection | None = None

    def start(self) -> Listener:
        """Start the connection (connect, authorize, subscribe) in its reader thread."""
        from hotelmate_rt.probes.connection import Connection, ConnectionOptions

        options = ConnectionOptions(connect_timeout=self.timeout, subscribe_timeout=self.timeout,
                                    pong_timeout=max(self.timeout, 5.0), backoff_initial=0.2,
                                    backoff_max=1.0, give_up_after=self.timeout, tick=0.1)
        kwargs: dict[str, Any] = {"options": options}
        if self.redactor is not None:
            kwargs["redactor"] = self.redactor
        self._connection = Connection(self.server, list(self.channels), self.authorizer,
                                      **kwargs)
        self._connection.start()
        return self

    @property
    def done(self) -> bool:
        """Tell whether the connection stopped (fatal error or closed)."""
        return self.fatal is not None or self.finished

    @property
    def ready(self) -> bool:
        """Tell whether every channel is subscribed."""
        return all(name in self.subscribed for name, _ in self.channels) and \
            self.socket_id is not None

    def pump(self, until: float) -> None:
        """Drain the queue once, waiting at most until the monotonic time `until`."""
        from hotelmate_rt.contracts import judge
        from hotelmate_rt.probes.connection import Fatal, Finished, RawEvent
        from hotelmate_rt.probes.events import StateChanged, Subscribed

        if self._connection is None:
            raise RuntimeError("Listener.start() was not called")
        wait = max(0.0, until - time.monotonic())
        try:
            item = self._connection.queue.get(timeout=wait) if wait > 0 else \
                self._connection.queue.get_nowait()
        except queue.Empty:
            return
        if isinstance(item, Fatal):
            self.fatal = item.error
        elif isinstance(item, Finished):
            self.finished = True
        elif isinstance(item, RawEvent):
            verdict = judge(self.contract, item.channel, item.event, item.data) \
                if self.contract is not None else None
            self.received.append(Received(item.channel, item.event, item.data, item.at, verdict))
        else:
            self.events.append(item)
            if isinstance(item, StateChanged) and item.state == "connected":
                self.socket_id = item.socket_id
                self.connected_at = item.at
            elif isinstance(item, Subscribed):
                self.subscribed.add(item.channel)

    def wait(self, condition: Callable[[], bool], deadline: float) -> bool:
        """Pump until `condition()` holds, the connection stops, or the monotonic deadline."""
        while not condition():
            if self.done or time.monotonic() >= deadline:
                return condition()
            self.pump(min(deadline, time.monotonic() + 0.1))
        return True

    def wait_ready(self, deadline: float) -> bool:
        """Wait until connected and every channel is subscribed (or it failed, or time ran out)."""
        return self.wait(lambda: self.ready, deadline)

    def of_type(self, cls: type[Any]) -> list[Any]:
        """Return the reported events of one class, in order."""
        return [e for e in self.events if isinstance(e, cls)]

    def close(self) -> None:
        """Close the connection and drain what is left (bounded)."""
        if self._connection is not None:
            self._connection.close(timeout=2.0)
            end = time.monotonic() + 0.2
            while not self.done and time.monotonic() < end:
                self.pump(end)


def open_listeners(listeners: Sequence[Listener], deadline: float) -> None:
    """Start several listeners and wait (bounded) until each is ready or stopped."""
    for listener in listeners:
        listener.start()
    for listener in listeners:
        listener.wait_ready(deadline)
