"""Doctor and triage listen through `Probe.events()`, each probe consumed on its own thread.

`Listening` starts one thread per `Probe`, keeps what each stream said in a `Heard`, and lets the
caller wait (bounded) for a condition over all of them, then closes every probe. No websocket or
queue code lives here: connecting, authorizing, judging and stopping are the probe's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from hotelmate_rt.errors import HotelmateRtError

if TYPE_CHECKING:
    from hotelmate_rt.contracts import Contract
    from hotelmate_rt.probes import Authorizer, Judged, Probe, ProbeEvent, ServerAddress
    from hotelmate_rt.redact import Redactor

E = TypeVar("E")


@dataclass(slots=True)
class Heard:
    """Everything one probe's stream reported so far."""

    label: str
    channels: list[str]
    authorized: bool
    events: list[ProbeEvent] = field(default_factory=list)
    judged: list[Judged] = field(default_factory=list)
    subscribed: set[str] = field(default_factory=set)
    socket_id: str | None = None
    fatal: HotelmateRtError | None = None
    done: bool = False

    @property
    def ready(self) -> bool:
        """Tell whether the probe is connected and every channel is subscribed."""
        return self.socket_id is not None and all(c in self.subscribed for c in self.channels)

    def add(self, event: ProbeEvent) -> None:
        """Keep one event of the stream."""
        from hotelmate_rt.probes import Judged, StateChanged, Subscribed

        if isinstance(event, Judged):
            self.judged.append(event)
            return
        self.events.append(event)
        if isinstance(event, StateChanged) and event.state == "connected":
            self.socket_id = event.socket_id
        elif isinstance(event, Subscribed):
            self.subscribed.add(event.channel)

    def of_type(self, cls: type[E]) -> list[E]:
        """Return the reported events of one class, in order."""
        return [e for e in self.events if isinstance(e, cls)]

    def failure(self) -> str:
        """Say in a few words why the probe is not ready."""
        return str(self.fatal) if self.fatal is not None else "not subscribed in time"


def make_probe(contract: Contract | None, server: ServerAddress,
               channels: Sequence[tuple[str, str | None]], authorizer: Authorizer | None,
               timeout: float, redactor: Redactor, lasting: float) -> Probe:
    """Build a probe whose every wait is bounded by `timeout` and which stops after `lasting` s."""
    from hotelmate_rt.probes import ConnectionOptions, PlannedChannel, Probe, StopWhen

    options = ConnectionOptions(connect_timeout=timeout, subscribe_timeout=timeout,
                                pong_timeout=max(timeout, 5.0), backoff_initial=0.2,
                                backoff_max=1.0, give_up_after=timeout, tick=0.1)
    plan = [PlannedChannel(name, channel_id) for name, channel_id in channels]
    return Probe(contract or _no_contract(), server, plan, authorizer, options=options,
                 stop=StopWhen(timeout=lasting), redactor=redactor)


def _no_contract() -> Contract:
    """An empty contract, for a probe that only connects (the doctor's connect check)."""
    from hotelmate_rt.contracts import Contract

    return Contract("(none)", 1, {}, {}, {}, {}, {}, {}, {})


class Listening:
    """Several probes consumed at once; wait for what you expect, then close them all."""

    def __init__(self, probes: Sequence[tuple[str, Probe]]) -> None:
        """Start a thread per probe at once."""
        self.probes = [probe for _, probe in probes]
        self.heard = [Heard(label, [c.name for c in probe.plan.channels],
                            probe.authorizer is not None) for label, probe in probes]
        self._changed = threading.Condition()
        self._threads = [threading.Thread(target=self._consume, args=(probe, heard), daemon=True,
                                          name=f"hotelmate-rt-{heard.label or 'probe'}")
                         for probe, heard in zip(self.probes, self.heard, strict=True)]
        for thread in self._threads:
            thread.start()

    def _consume(self, probe: Probe, heard: Heard) -> None:
        """Read one probe's stream until it ends (closed, timed out or fatal)."""
        try:
            for event in probe.events():
                with self._changed:
                    heard.add(event)
                    self._changed.notify_all()
        except HotelmateRtError as exc:
            heard.fatal = exc
        finally:
            with self._changed:
                heard.done = True
                self._changed.notify_all()

    def wait(self, condition: Callable[[], bool], deadline: float) -> bool:
        """Wait until `condition()` holds, every stream ended, or the monotonic deadline."""
        with self._changed:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0 or all(h.done for h in self.heard):
                    return condition()
                self._changed.wait(min(left, 0.1))
            return True

    def wait_ready(self, deadline: float) -> bool:
        """Wait until every probe is connected and subscribed (or failed, or time ran out)."""
        return self.wait(lambda: all(h.ready or h.done for h in self.heard), deadline) and \
            all(h.ready for h in self.heard)

    def close(self) -> None:
        """Close every probe and wait (bounded) for the readers to end."""
        for probe in self.probes:
            probe.close()
        end = time.monotonic() + 3.0
        for thread in self._threads:
            thread.join(max(0.0, end - time.monotonic()))

    def __enter__(self) -> Listening:
        """Use in a `with` block so every probe is closed."""
        return self

    def __exit__(self, *exc: Any) -> None:
        """Close every probe."""
        self.close()
