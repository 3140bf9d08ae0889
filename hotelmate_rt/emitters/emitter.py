"""The Emitter: contract-checked events sent through a transport, after commit, batched, retried."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, Literal, NoReturn, Protocol

from hotelmate_rt.contracts import ChannelKind, Contract, Finding, NameStatus, resolve_channel
from hotelmate_rt.contracts.limits import MAX_CHANNELS_PER_TRIGGER, MAX_EVENTS_PER_BATCH
from hotelmate_rt.errors import (
    ConfigError,
    DeliveryError,
    ParameterError,
    PayloadRejected,
    TransitionRefused,
    UnknownName,
)
from hotelmate_rt.redact import redact_text
from hotelmate_rt.settings import PusherSettings, load_settings

from .deadletter import DeadEvent, DeadLetterFile
from .policy import Attempted, RetryPolicy, call_with_retry
from .results import EmitResult, Outcome
from .transports import PusherTransport, Transport, UnconfiguredTransport, WireEvent
from .validation import EventPlan, EventValidation, Prepared, Refused

log = logging.getLogger("hotelmate_rt.emit")


class Observer(Protocol):
    """Something that watches every emit (the testing capture); see `hotelmate_rt.testing`."""

    passthrough: bool

    def emitted(self, contract: Contract, prepared: Prepared, result: EmitResult) -> None:
        """An event passed validation (it may still be waiting for the commit)."""

    def sent(self, prepared: Prepared, result: EmitResult) -> None:
        """An event was handed to the transport (or would have been, when captured)."""

    def refused(self, contract: Contract, event: str, channels: tuple[str, ...], data: Any,
                findings: list[Finding]) -> None:
        """An event was refused before any HTTP call."""


_OBSERVERS: list[Observer] = []
_OBSERVERS_LOCK = threading.Lock()


def add_observer(observer: Observer) -> None:
    """Register an observer of every Emitter in this process."""
    with _OBSERVERS_LOCK:
        _OBSERVERS.append(observer)


def remove_observer(observer: Observer) -> None:
    """Unregister an observer."""
    with _OBSERVERS_LOCK:
        if observer in _OBSERVERS:
            _OBSERVERS.remove(observer)


def capturing() -> bool:
    """Tell whether an observer keeps events from the transport (`capture_events()` is on)."""
    with _OBSERVERS_LOCK:
        return any(not observer.passthrough for observer in _OBSERVERS)


@dataclass(slots=True)
class ReplayReport:
    """What `replay` did: how many entries were resent and which still fail (kept in the file)."""

    path: str
    resent: list[DeadEvent] = field(default_factory=list)
    remaining: list[DeadEvent] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Tell whether nothing remains undelivered."""
        return not self.remaining

    def to_dict(self) -> dict[str, Any]:
        """Describe the replay for JSON output."""
        def brief(e: DeadEvent) -> dict[str, Any]:
            return {"event": e.event, "channels": e.channels, "ids": e.ids, "error": e.error,
                    "status": e.status, "replays": e.replays}
        return {"path": self.path, "ok": self.ok, "resent": [brief(e) for e in self.resent],
                "remaining": [brief(e) for e in self.remaining]}


DeadLetterArg = DeadLetterFile | str | os.PathLike[str] | Literal[False] | None


class Emitter:
    """Derive channels from the contract, validate, and send events (after commit, with retries).

    By default a send failure never raises into the caller: it is logged and appended to the
    dead-letter file. With `strict=True` (tests, the CLI) it raises DeliveryError instead.
    An invalid event (schema, size, sensitive field on a public channel, unknown name, bad
    parameter) always raises a ContractUsageError before any HTTP call.
    """

    def __init__(self, contract: Contract, transport: Transport, *, target: str | None = None,
                 strict: bool = False, retry: RetryPolicy | None = None,
                 dead_letter: DeadLetterArg = None, defer: bool = True,
                 using: str | None = None, lanes: int = 4) -> None:
        """Bind a contract to a transport; `target` picks the payload limit (default target)."""
        self.contract = contract
        self.transport = transport
        self.strict = strict
        self.retry = retry or RetryPolicy()
        if dead_letter is False:
            self.dead_letter: DeadLetterFile | None = None
        elif isinstance(dead_letter, DeadLetterFile):
            self.dead_letter = dead_letter
        else:
            self.dead_letter = DeadLetterFile(dead_letter)
        self.defer = defer
        self.using = using
        self.lanes = max(1, lanes)
        self.max_payload_bytes = contract.target(target).max_payload_bytes
        self._validation = EventValidation(contract, target)
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        secret = getattr(getattr(transport, "_inner", None), "secret", None)
        self._secrets: tuple[str, ...] = (secret,) if secret else ()

    @classmethod
    def from_env(cls, contract: Contract | str | os.PathLike[str] | None = None,
                 env: Mapping[str, str] | None = None, *, timeout: float = 3.0,
                 settings: PusherSettings | None = None, **options: Any) -> Emitter:
        """Build from `settings`, or from the environment as `hotelmate_rt.settings` reads it."""
        from hotelmate_rt.contracts import Contract as _Contract
        from hotelmate_rt.contracts import load_contract

        if not isinstance(contract, _Contract):
            contract = load_contract(Path(contract) if contract is not None else None)
        settings = settings or load_settings(env)
        transport: Transport
        try:
            transport = PusherTransport.from_settings(settings, timeout=timeout)
        except ConfigError as exc:
            if settings.errors or not capturing():
                raise
            transport = UnconfiguredTransport(str(exc))  # a capture sends nothing
        return cls(contract, transport, **options)

    # -- validation ------------------------------------------------------------------------

    def _plan(self, event: str) -> EventPlan:
        """Return the per-event plan (UnknownName for any name that is not canonical)."""
        return self._validation.plan(event)

    def prepare(self, event: str, data: Any, *, only: Sequence[str] = (),
                socket_id: str | None = None, **params: Any) -> Prepared:
        """Validate an event and render its channels; raise a ContractUsageError if it is wrong.

        Channel parameters come from `params`, falling back to top-level fields of `data` of
        the same name (`booking_id`, `room_number`); a conflict between the two is an error.
        """
        try:
            return self._validation.prepare(event, data, only, socket_id, params)
        except Refused as refused:
            self._refuse(event, refused.channels, data, refused.findings)

    def _refuse(self, event: str, channels: tuple[str, ...], data: Any,
                findings: list[Finding]) -> NoReturn:
        """Log, notify observers and raise PayloadRejected with every finding."""
        for observer in list(_OBSERVERS):
            observer.refused(self.contract, event, channels, data, findings)
        detail = _detail(findings)
        self._log(logging.WARNING, EmitResult(event, channels, Outcome.REFUSED, error=detail))
        raise PayloadRejected(f"{event} refused: {detail}", list(findings))

    # -- public API --------------------------------------------------------------------------

    def emit(self, event: str, data: Any, *, only: Sequence[str] = (),
             socket_id: str | None = None, **params: Any) -> EmitResult:
        """Send one event to every channel the contract names for it (after commit, if any)."""
        prepared = self.prepare(event, data, only=only, socket_id=socket_id, **params)
        return self._dispatch([prepared], single=True)[0]

    def emit_many(self, items: Iterable[tuple[str, Any, Mapping[str, Any]]]) -> list[EmitResult]:
        """Send several `(event, data, params)` in batches of at most 10 events per HTTP call.

        Everything is validated first: one invalid event refuses the whole set.
        """
        prepared = [self.prepare(event, data, **dict(params)) for event, data, params in items]
        return self._dispatch(prepared, single=False)

    @contextmanager
    def batch(self) -> Iterator[Batch]:
        """Collect emits in a `with` block and send them together when it ends without error."""
        collected = Batch(self)
        yield collected
        collected.results = self._dispatch(collected.prepared, single=False)

    def emit_action(self, action: str, payloads: Mapping[str, Any],
                    **params: Any) -> list[EmitResult]:
        """Perform a fan-out action: each step's event with its own payload, in contract order.

        `payloads` maps each step's event name to its payload; params are shared by all steps
        (each step uses the parameters its channels need).
        """
        steps = self.contract.action(action).steps
        wanted = {s.event for s in steps}
        missing = [e for e in dict.fromkeys(s.event for s in steps) if e not in payloads]
        extra = [e for e in payloads if e not in wanted]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing payloads for {', '.join(missing)}")
            if extra:
                parts.append(f"{', '.join(extra)} is not a step of {action}")
            raise ParameterError(f"{action}: {'; '.join(parts)}")
        prepared = []
        for step in steps:
            plan = self._plan(step.event)
            own = {k: v for k, v in params.items() if k in plan.params}
            prepared.append(self.prepare(step.event, payloads[step.event],
                                         only=step.channels, **own))
        return self._dispatch(prepared, single=False)

    def transition(self, booking_id: str, from_status: str, to_status: str,
                   data: Mapping[str, Any] | None = None, *, machine: str = "booking",
                   at: datetime | str | None = None,
                   payloads: Mapping[str, Any] | None = None,
                   **params: Any) -> list[EmitResult]:
        """Emit exactly the events the status machine names for a legal transition, or refuse.

        Each event's payload is built from `data` plus the standard fields (the machine's id
        parameter, `status`, `from_status`, `changed_at`); missing required `*_at` timestamps
        take the transition time `at` (default now, UTC). `payloads[event]` overrides one
        event's payload entirely. A `data` field no emitted event declares is an error.
        """
        sm = self.contract.state_machine(machine)
        for label, state in (("from", from_status), ("to", to_status)):
            canonical, alias = sm.canonical_state(state)
            if alias is not None:
                raise TransitionRefused(f"{label} status {state!r} is a {alias.status.value} name;"
                                        f" use {canonical!r}")
            if state not in sm.states:
                raise TransitionRefused(f"{label} status {state!r} is not a {machine} status; "
                                        f"known: {', '.join(sm.states)}")
        transition = sm.find(from_status, to_status)
        if transition is None:
            allowed = [t.target for t in sm.transitions if t.source == from_status]
            options = ", ".join(allowed) if allowed else "nothing (final status)"
            raise TransitionRefused(f"{machine} {from_status} -> {to_status} is not allowed by "
                                    f"the contract; from {from_status} it may go to {options}")
        when = at if isinstance(at, str) else (at or datetime.now(UTC)).isoformat()
        base: dict[str, Any] = {sm.parameter: booking_id, "from_status": from_status,
                                "status": to_status, "changed_at": when}
        given = dict(data or {})
        overrides = dict(payloads or {})
        unknown_override = [e for e in overrides if e not in transition.emits]
        if unknown_override:
            raise ParameterError(f"{from_status} -> {to_status} does not emit "
                                 f"{', '.join(unknown_override)}; it emits "
                                 f"{', '.join(transition.emits)}")
        declared: set[str] = set()
        prepared: list[Prepared] = []
        for event in transition.emits:
            plan = self._plan(event)
            schema = plan.event.schema
            props = set(schema.get("properties", {}))
            declared |= props
            if event in overrides:
                payload = overrides[event]
            else:
                merged = {**base, **given}
                payload = {k: v for k, v in merged.items() if k in props}
                for name in schema.get("required", ()):
                    if name not in payload and name.endswith("_at"):
                        payload[name] = when
            call_params = {**{k: v for k, v in given.items() if k in plan.params},
                           **{k: v for k, v in params.items() if k in plan.params}}
            call_params[sm.parameter] = booking_id
            prepared.append(self.prepare(event, payload, **{k: v for k, v in call_params.items()
                                                            if k in plan.params}))
        stray = [k for k in given if k not in declared]
        if stray:
            raise ParameterError(f"{from_status} -> {to_status}: no emitted event "
                                 f"({', '.join(transition.emits)}) declares {', '.join(stray)}")
        unused = [k for k in params if not any(k in self._plan(e).params
                                               for e in transition.emits)]
        if unused:
            raise ParameterError(f"{from_status} -> {to_status} takes no parameter "
                                 f"{', '.join(unused)}")
        return self._dispatch(prepared, single=False)

    def replay(self, path: str | os.PathLike[str] | None = None) -> ReplayReport:
        """Resend every dead-letter entry once; what still fails stays in the file."""
        target = DeadLetterFile(path) if path is not None else self.dead_letter or DeadLetterFile()
        report = ReplayReport(str(target.path))
        if not target.path.exists():
            return report
        claimed = target.path.with_name(f"{target.path.name}.replaying-{os.getpid()}")
        os.replace(target.path, claimed)
        entries = DeadLetterFile(claimed).read()
        for entry in entries:
            entry.replays += 1
            problem = self._replay_problem(entry)
            if problem is not None:
                entry.error = problem
                report.remaining.append(entry)
                continue
            attempted = self._send_trigger(entry.channels, entry.event, entry.data, None)
            if attempted.error is None:
                report.resent.append(entry)
            else:
                entry.error = str(attempted.error)
                entry.status = attempted.error.status
                entry.attempts = attempted.attempts
                report.remaining.append(entry)
            result = EmitResult(entry.event, tuple(entry.channels),
                                Outcome.SENT if attempted.error is None else Outcome.FAILED,
                                attempted.attempts, entry.status if attempted.error else None,
                                entry.error if attempted.error else None, entry.ids)
            self._log(logging.INFO if result.ok else logging.WARNING, result, replay=True)
        for entry in report.remaining:
            target.append(entry)
        claimed.unlink(missing_ok=True)
        return report

    def _replay_problem(self, entry: DeadEvent) -> str | None:
        """Say why a dead-letter entry may not be resent under the current contract, or None."""
        try:
            plan = self._plan(entry.event)
        except UnknownName as exc:
            return f"refused: {exc}"
        for channel in entry.channels:
            name = resolve_channel(self.contract, channel)
            if name.status is not NameStatus.CANONICAL or name.channel is None or \
                    name.channel.id not in plan.event.channels:
                return f"refused: {entry.event} is not carried by {channel!r} in the contract"
        public = next((c for c in entry.channels if ChannelKind.of_name(c) is ChannelKind.PUBLIC),
                      None)
        check = plan.payload.check_wire(entry.data, public_channel=public)
        if not check.ok:
            return f"refused: payload no longer matches the contract: {_detail(check.findings)}"
        return None

    def close(self) -> None:
        """Stop the lane threads and close the transport."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        self.transport.close()

    def __enter__(self) -> Emitter:
        """Use the emitter in a `with` block."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close at the end of a `with` block."""
        self.close()

    def __repr__(self) -> str:
        """Show the transport and mode, never credentials."""
        mode = "strict" if self.strict else "lenient"
        return f"Emitter({self.transport!r}, {mode}, contract={self.contract.path!r})"

    # -- sending ---------------------------------------------------------------------------

    def _dispatch(self, prepared: list[Prepared], single: bool) -> list[EmitResult]:
        """Send now, or after the surrounding Django transaction commits."""
        outcome = Outcome.SENT
        if self.defer:
            from hotelmate_rt.django.transactions import in_atomic_block

            if in_atomic_block(self.using):
                outcome = Outcome.DEFERRED
        results = [EmitResult(p.event, p.channels, Outcome.DEFERRED, ids=p.ids) for p in prepared]
        for observer in list(_OBSERVERS):
            for p, r in zip(prepared, results, strict=True):
                observer.emitted(self.contract, p, r)
        if not prepared:
            return results
        if outcome is Outcome.DEFERRED:
            from django.db import transaction

            transaction.on_commit(lambda: self._send(prepared, results, single), using=self.using)
            for result in results:
                self._log(logging.DEBUG, result)
        else:
            self._send(prepared, results, single)
        return results

    def _send(self, prepared: list[Prepared], results: list[EmitResult], single: bool) -> None:
        """Hand events to observers and the transport, then record each outcome."""
        observers = list(_OBSERVERS)
        for observer in observers:
            for p, r in zip(prepared, results, strict=True):
                observer.sent(p, r)
        if observers and not all(o.passthrough for o in observers):
            for result in results:
                result.outcome = Outcome.CAPTURED
                self._log(logging.DEBUG, result)
            return
        started = time.perf_counter()
        if single and len(prepared) == 1:
            p = prepared[0]
            attempted = self._send_trigger(p.channels, p.event, p.data, p.socket_id)
            failures: dict[int, tuple[Attempted, list[str]]] = {}
            if attempted.error is not None:
                failures[0] = (attempted, list(p.channels))
            attempts = {0: attempted.attempts}
        else:
            failures, attempts = self._send_batches(prepared)
        elapsed = (time.perf_counter() - started) * 1000
        errors: list[EmitResult] = []
        for index, (p, result) in enumerate(zip(prepared, results, strict=True)):
            result.attempts = attempts.get(index, 0)
            failed = failures.get(index)
            if failed is None:
                result.outcome = Outcome.SENT
                self._log(logging.INFO, result, ms=elapsed)
                continue
            attempted, channels = failed
            error = attempted.error
            assert error is not None
            result.outcome = Outcome.FAILED
            result.status = error.status
            result.error = redact_text(str(error), self._secrets)
            errors.append(result)
            if not self.strict and self.dead_letter is not None:
                self.dead_letter.append(DeadEvent(p.event, channels, p.data, result.error,
                                                  error.status, attempted.attempts, dict(p.ids)))
                result.dead_letter = str(self.dead_letter.path)
            self._log(logging.ERROR, result, ms=elapsed)
        if errors and self.strict:
            first = errors[0]
            raise DeliveryError(f"{first.event} to {', '.join(first.channels)} failed after "
                                f"{first.attempts} attempt(s): {first.error}")

    def _send_trigger(self, channels: Sequence[str], event: str, data: str,
                      socket_id: str | None) -> Attempted:
        """Trigger one event, at most 100 channels per HTTP call, with retries."""
        total = 0
        for start in range(0, len(channels), MAX_CHANNELS_PER_TRIGGER):
            chunk = channels[start:start + MAX_CHANNELS_PER_TRIGGER]
            attempted = call_with_retry(
                self.retry, partial(self.transport.trigger, chunk, event, data, socket_id))
            total = max(total, attempted.attempts)
            if attempted.error is not None:
                return Attempted(total, attempted.error)
        return Attempted(total)

    def _send_batches(self, prepared: list[Prepared]
                      ) -> tuple[dict[int, tuple[Attempted, list[str]]], dict[int, int]]:
        """Send events as batches of at most 10, in per-channel order across parallel lanes."""
        wire: list[tuple[int, WireEvent]] = [
            (index, WireEvent(channel, p.event, p.data))
            for index, p in enumerate(prepared) for channel in p.channels]
        lanes: list[list[tuple[int, WireEvent]]]
        if len(wire) <= MAX_EVENTS_PER_BATCH or self.lanes == 1:
            lanes = [wire]
        else:
            lane_of: dict[str, int] = {}
            lanes = [[] for _ in range(self.lanes)]
            for item in wire:
                lane = lane_of.setdefault(item[1].channel, len(lane_of) % self.lanes)
                lanes[lane].append(item)
            lanes = [lane for lane in lanes if lane]
        failures: dict[int, tuple[Attempted, list[str]]] = {}
        attempts: dict[int, int] = {}
        lock = threading.Lock()

        def run(lane: list[tuple[int, WireEvent]]) -> None:
            """Send one lane's chunks in order."""
            for start in range(0, len(lane), MAX_EVENTS_PER_BATCH):
                chunk = lane[start:start + MAX_EVENTS_PER_BATCH]
                events = [w for _, w in chunk]
                attempted = call_with_retry(self.retry,
                                            partial(self.transport.trigger_batch, events))
                with lock:
                    for index, item in chunk:
                        attempts[index] = max(attempts.get(index, 0), attempted.attempts)
                        if attempted.error is not None:
                            previous = failures.get(index)
                            channels = previous[1] if previous else []
                            channels.append(item.channel)
                            failures[index] = (attempted, channels)

        if len(lanes) == 1:
            run(lanes[0])
        else:
            pool = self._executor()
            for future in [pool.submit(run, lane) for lane in lanes]:
                future.result()
        return failures, attempts

    def _executor(self) -> ThreadPoolExecutor:
        """Return the lane thread pool, creating it on first use."""
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.lanes, thread_name_prefix="hotelmate-emit")
            return self._pool

    def _log(self, level: int, result: EmitResult, **extra: Any) -> None:
        """Log one structured line for an outcome (ids only: never payloads or secrets)."""
        if not log.isEnabledFor(level):
            return
        fields = result.to_dict()
        fields.update({k: (round(v, 3) if isinstance(v, float) else v) for k, v in extra.items()})
        if "error" in fields:
            fields["error"] = redact_text(str(fields["error"]), self._secrets)
        log.log(level, "emit %s %s", result.outcome.value,
                json.dumps(fields, separators=(",", ":"), default=str), extra={"rt": fields})


def _detail(findings: list[Finding]) -> str:
    """Join findings into one line: `path: message; ...`."""
    return "; ".join(f"{f.path}: {f.message}" if f.path else f.message for f in findings)


class Batch:
    """Emits collected by `Emitter.batch()`: validated now, sent together at the end."""

    def __init__(self, emitter: Emitter) -> None:
        """Start an empty batch."""
        self._emitter = emitter
        self.prepared: list[Prepared] = []
        self.results: list[EmitResult] = []

    def emit(self, event: str, data: Any, *, only: Sequence[str] = (), **params: Any) -> Prepared:
        """Validate an event now and queue it for the batch."""
        prepared = self._emitter.prepare(event, data, only=only, **params)
        self.prepared.append(prepared)
        return prepared

    def __len__(self) -> int:
        """Count the queued events."""
        return len(self.prepared)

