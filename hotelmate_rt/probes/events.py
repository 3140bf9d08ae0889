"""The probe's event stream: what a listening session yields, one immutable object per happening.

A `Probe` (see `hotelmate_rt.probes.session`) yields a stream of `ProbeEvent`s; the CLI renders
them (rich lines for people, one NDJSON object per event for machines) and on-call tools (doctor,
triage) consume the same stream to build checklists. Every event has a `type` (a stable string
id), `at` (wall-clock seconds since the epoch) and `to_dict()` (the NDJSON line; never contains
the app secret or a bearer token).

    type             class              when
    state            StateChanged       connection state changed (connecting, connected,
                                        disconnected, reconnecting, stopped), with the close
                                        code or reason and the socket id once connected
    subscribed       Subscribed         the server confirmed a subscription (after every
                                        (re)connect; `resubscribed` is True after a reconnect)
    subscription-    SubscriptionFailed the auth endpoint refused or failed (`source`
      failed                            "auth-endpoint") or the server answered
                                        pusher:subscription_error (`source` "server");
                                        `unanswered` when the source never answered
    pusher-error     PusherError        a `pusher:error` frame (code may be None)
    gap              Gap                the connection was lost from `disconnected_at` until
                                        `reconnected_at` (every channel subscribed again, or
                                        refused; `recovered` False when the session ended
                                        still blind); events sent in between may be missing
    frame-problem    FrameProblem       a frame the probe could not take as it came: not JSON,
                                        too deeply nested, a channel or event that is not a
                                        string, an event on a channel the probe never
                                        subscribed to, an unknown pusher:* / pusher_internal:*
                                        event (`finding` False for that last one: a note)
    event            Judged             one channel event and the contract's `Verdict` on it
    note             Note               something the user should know that is not an error
                                        (a readable channel skipped for lack of a parameter)

Fatal conditions (close code 4000-4099, every channel refused, no server) are raised from the
stream as `ProbeError` / `AuthEndpointError` after the events leading up to them were yielded;
one refused channel among others is a `SubscriptionFailed` and the session goes on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hotelmate_rt.contracts import Verdict, VerdictKind

__all__ = [
    "FrameProblem",
    "Gap",
    "Judged",
    "Note",
    "ProbeEvent",
    "PusherError",
    "StateChanged",
    "Subscribed",
    "SubscriptionFailed",
    "unanswered",
]


UNANSWERED_REASONS = frozenset({"unreachable", "timeout", "no answer"})
"""The reasons of a failed subscription whose source never answered (nothing was refused)."""


def unanswered(status: int | None, reason: str) -> bool:
    """Tell whether a failed subscription (status, reason) had no answer rather than a refusal."""
    return status is None and reason in UNANSWERED_REASONS


def _now() -> float:
    """Return the wall-clock time in seconds."""
    return time.time()


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeEvent:
    """Base of every stream item: a stable `type` id and the wall-clock time it happened."""

    type: ClassVar[str] = "probe"
    at: float = field(default_factory=_now)

    def to_dict(self) -> dict[str, Any]:
        """Describe the event as one NDJSON object."""
        return {"type": self.type, "at": round(self.at, 6)}


@dataclass(frozen=True, slots=True, kw_only=True)
class StateChanged(ProbeEvent):
    """The connection moved to a new state (with the close code or reason when it dropped)."""

    type: ClassVar[str] = "state"
    state: str
    previous: str
    socket_id: str | None = None
    code: int | None = None
    reason: str = ""
    activity_timeout: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Describe the state change as one NDJSON object."""
        out = ProbeEvent.to_dict(self)
        out.update(state=self.state, previous=self.previous)
        for key in ("socket_id", "code", "activity_timeout"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.reason:
            out["reason"] = self.reason
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscribed(ProbeEvent):
    """The server confirmed a subscription (pusher_internal:subscription_succeeded)."""

    type: ClassVar[str] = "subscribed"
    channel: str
    channel_id: str | None = None
    resubscribed: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Describe the subscription as one NDJSON object."""
        out = ProbeEvent.to_dict(self)
        out.update(channel=self.channel, channel_id=self.channel_id,
                   resubscribed=self.resubscribed)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class SubscriptionFailed(ProbeEvent):
    """A subscription was refused by the auth endpoint or by the server, and what that means."""

    type: ClassVar[str] = "subscription-failed"
    channel: str
    source: str
    status: int | None = None
    reason: str = ""
    meaning: str = ""

    @property
    def unanswered(self) -> bool:
        """Tell whether the source never answered (unreachable, timed out) instead of refusing."""
        return unanswered(self.status, self.reason)

    def to_dict(self) -> dict[str, Any]:
        """Describe the failure as one NDJSON object."""
        out = ProbeEvent.to_dict(self)
        out.update(channel=self.channel, source=self.source, status=self.status,
                   reason=self.reason, meaning=self.meaning)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class PusherError(ProbeEvent):
    """A `pusher:error` frame from the server."""

    type: ClassVar[str] = "pusher-error"
    code: int | None
    message: str
    channel: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Describe the error frame as one NDJSON object."""
        out = ProbeEvent.to_dict(self)
        out.update(code=self.code, message=self.message)
        if self.channel:
            out["channel"] = self.channel
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Gap(ProbeEvent):
    """The probe was blind from `disconnected_at` to `reconnected_at`; events may be missing."""

    type: ClassVar[str] = "gap"
    disconnected_at: float
    reconnected_at: float
    reason: str = ""
    channels: tuple[str, ...] = ()
    recovered: bool = True

    @property
    def seconds(self) -> float:
        """Return the length of the gap in seconds."""
        return max(0.0, self.reconnected_at - self.disconnected_at)

    def to_dict(self) -> dict[str, Any]:
        """Describe the gap as one NDJSON object."""
        out = ProbeEvent.to_dict(self)
        out.update(disconnected_at=round(self.disconnected_at, 6),
                   reconnected_at=round(self.reconnected_at, 6),
                   seconds=round(self.seconds, 3), reason=self.reason,
                   channels=list(self.channels), recovered=self.recovered)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class FrameProblem(ProbeEvent):
    """A frame reported instead of judged: malformed, unexpected, or an unknown protocol event."""

    type: ClassVar[str] = "frame-problem"
    kind: str
    message: str
    channel: str | None = None
    event: str | None = None

    NOTE_KINDS: ClassVar[frozenset[str]] = frozenset({"unknown-protocol-event"})

    @property
    def finding(self) -> bool:
        """Tell whether the frame is a problem (False: worth a note, e.g. a newer protocol event)."""
        return self.kind not in self.NOTE_KINDS

    def to_dict(self) -> dict[str, Any]:
        """Describe the frame problem as one NDJSON object."""
        out = ProbeEvent.to_dict(self)
        out.update(kind=self.kind, message=self.message, finding=self.finding)
        if self.channel is not None:
            out["channel"] = self.channel
        if self.event is not None:
            out["event"] = self.event
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Judged(ProbeEvent):
    """One channel event as received (raw `data` string) and the contract's verdict on it."""

    type: ClassVar[str] = "event"
    seq: int
    channel: str
    event: str
    data: Any
    verdict: Verdict

    @property
    def ok(self) -> bool:
        """Tell whether the event conforms to the contract."""
        return self.verdict.ok

    @property
    def kinds(self) -> list[VerdictKind]:
        """List the verdict kinds ([CONFORMS] when it conforms)."""
        return self.verdict.kinds

    def to_dict(self) -> dict[str, Any]:
        """Describe the event, its raw data and its verdict as one NDJSON object."""
        out = ProbeEvent.to_dict(self)
        verdict = self.verdict
        out.update(seq=self.seq, channel=self.channel, event=self.event, data=self.data,
                   ok=verdict.ok, verdict=[k.value for k in verdict.kinds],
                   channel_id=verdict.channel_id, canonical_event=verdict.canonical_event,
                   size=verdict.size, findings=[f.to_dict() for f in verdict.findings])
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Note(ProbeEvent):
    """Something worth telling the user that is neither an event nor an error."""

    type: ClassVar[str] = "note"
    message: str
    channel_id: str | None = None
    kind: str = "info"
    """"info", "skipped" (a channel left out of the plan) or "auth-retry" (auth will be retried)."""

    def to_dict(self) -> dict[str, Any]:
        """Describe the note as one NDJSON object."""
        out = ProbeEvent.to_dict(self)
        out["message"] = self.message
        out["kind"] = self.kind
        if self.channel_id:
            out["channel_id"] = self.channel_id
        return out
