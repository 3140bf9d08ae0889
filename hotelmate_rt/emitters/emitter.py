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
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, Literal, NoReturn, Protocol

from hotelmate_rt.contracts import Contract, Finding
from hotelmate_rt.contracts.limits import MAX_CHANNELS_PER_TRIGGER
from hotelmate_rt.errors import (
    ConfigError,
    DeliveryError,
    ParameterError,
    PayloadRejected,
    TransitionRefused,
)
from hotelmate_rt.redact import redact_text
from hotelmate_rt.settings import PusherSettings, load_settings

from .breaker import CircuitBreaker
from .deadletter import DeadEvent, DeadLetter, DeadLetterFile, DeadLetterKeeper
from .lanes import send_in_lanes
from .outbox import Outbox, stamp
from .policy import Attempted, RetryPolicy, budget_exhausted, call_with_retry
from .replay import ReplayReport, replay_file
from .results import EmitResult, Outcome
from .transports import PusherTransport, Transport, UnconfiguredTransport, WireEvent
from .validation import EventPlan, EventValidation, Prepared, Refused, describe

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


DeadLetterArg = DeadLetter | str | os.PathLike[str] | Literal[False] | None
OutboxArg = Outbox | bool | None


class Emitter:
    """Derive channels from the contract, validate, and send events (after commit, with retries).

    By default a send failure never raises into the caller: it is logged and kept in the dead
    letter (a file, or the database with `hotelmate_rt.django`). With `strict=True` (tests, the
    CLI) it raises DeliveryError instead. An invalid event (schema, size, sensitive field on a
    public channel, unknown name, bad parameter) always raises a ContractUsageError before any
    HTTP call.

    With `outbox=True` (or HOTELMATE_RT_OUTBOX / settings.HOTELMATE_RT["OUTBOX"]) each event is
    also written as an outbox row in the caller's transaction and sent after the commit; a send
    that fails leaves the row to the relay (outcome `queued`). Every send is bounded by
    `retry.deadline`, and a circuit breaker stops calling a server that keeps failing.
    """

    def __init__(self, contract: Contract, transport: Transport, *, target: str | None = None,
                 strict: bool = False, retry: RetryPolicy | None = None,
                 dead_letter: DeadLetterArg = None, defer: bool = True,
                 using: str | None = None, lanes: int = 4, outbox: OutboxArg = None,
                 breaker: CircuitBreaker | Literal[False] | None = None) -> None:
        """Bind a contract to a transport; `target` picks the payload limit (default target)."""
        self.contract = contract
        self.transport = transport
        self.strict = strict
        self.retry = retry or RetryPolicy()
        if dead_letter is False:
            self.dead_letter: DeadLetter | None = None
        elif isinstance(dead_letter, DeadLetter):
            self.dead_letter = dead_letter
        else:
            self.dead_letter = DeadLetterFile(dead_letter)
        self.breaker: CircuitBreaker | None = (
            None if breaker is False or (breaker is None and strict)
            else breaker or CircuitBreaker())
        self.outbox = _resolve_outbox(outbox, using)
        self.defer = defer
        self.using = using
        self.lanes = max(1, lanes)
        self.max_payload_bytes = contract.target(target).max_payload_bytes
        self._validation = EventValidation(contract, target)
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        secret = getattr(getattr(transport, "_inner", None), "secret", None)
        self._secrets: tuple[str, ...] = (secret,) if secret else ()
        self.keeper = DeadLetterKeeper(self.dead_letter, secrets=self._secrets)

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
        detail = describe(findings)
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
        """Resend every dead-letter entry once (stranded claims too); what fails stays kept."""
        return replay_file(self, path)

    def close(self) -> None:
        """Stop the lane threads, write the outbox's pending sent marks, close the transport."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        if self.outbox is not None and not self.outbox.flush():
            log.warning("emit outbox: sent marks still pending at close; the relay will send "
                        "those rows again")
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
        queued = None
        if self.outbox is not None and all(o.passthrough for o in _OBSERVERS):
            prepared, queued = self._queue(self.outbox, prepared, results)
        if outcome is Outcome.DEFERRED:
            from django.db import transaction

            transaction.on_commit(lambda: self._send(prepared, results, single, queued),
                                  using=self.using)
            for result in results:
                self._log(logging.DEBUG, result)
        else:
            self._send(prepared, results, single, queued)
        return results

    def _queue(self, outbox: Outbox, prepared: list[Prepared], results: list[EmitResult]
               ) -> tuple[list[Prepared], list[int]]:
        """Write the events as outbox rows in the current transaction (delivery ids stamped)."""
        stamped = [stamp(self.contract, p, self._plan(p.event).payload) for p in prepared]
        ids = outbox.add(stamped)
        for result, (_, delivery_id), row_id in zip(results, stamped, ids, strict=True):
            result.outbox_id = row_id
            result.delivery_id = delivery_id
        return [p for p, _ in stamped], ids

    def _send(self, prepared: list[Prepared], results: list[EmitResult], single: bool,
              queued: list[int] | None = None) -> None:
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
        deadline = time.monotonic() + self.retry.deadline
        if single and len(prepared) == 1:
            p = prepared[0]
            attempted = self._send_trigger(p.channels, p.event, p.data, p.socket_id,
                                           deadline=deadline)
            failures: dict[int, tuple[Attempted, list[str]]] = {}
            if attempted.error is not None:
                failures[0] = (attempted, list(p.channels))
            attempts = {0: attempted.attempts}
        else:
            failures, attempts = self._send_batches(prepared, deadline)
        elapsed = (time.perf_counter() - started) * 1000
        errors: list[EmitResult] = []
        sent_rows: list[int] = []
        for index, (p, result) in enumerate(zip(prepared, results, strict=True)):
            result.attempts = attempts.get(index, 0)
            failed = failures.get(index)
            if failed is None:
                result.outcome = Outcome.SENT
                if queued is not None:
                    sent_rows.append(queued[index])
                self._log(logging.INFO, result, ms=elapsed)
                continue
            attempted, channels = failed
            error = attempted.error
            assert error is not None
            result.status = error.status
            result.error = redact_text(str(error), self._secrets)
            errors.append(result)
            if queued is not None:
                result.outcome = Outcome.QUEUED
                self._log(logging.WARNING, result, ms=elapsed)
                self._mark_failed(queued[index], result, attempted.attempts > 0)
                continue
            result.outcome = Outcome.FAILED
            self._log(logging.ERROR, result, ms=elapsed)
            if not self.strict:
                result.dead_letter = self.keeper.keep(DeadEvent(
                    p.event, channels, p.data, result.error, error.status, attempted.attempts,
                    dict(p.ids)))
        if sent_rows and self.outbox is not None:
            try:
                self.outbox.sent(sent_rows)
            except Exception as exc:  # the relay will resend them: at least once
                log.warning("emit outbox: could not mark %d row(s) sent (%s); the relay will "
                            "send them again", len(sent_rows),
                            redact_text(f"{type(exc).__name__}: {exc}", self._secrets))
        if errors and self.strict:
            first = errors[0]
            raise DeliveryError(f"{first.event} to {', '.join(first.channels)} failed after "
                                f"{first.attempts} attempt(s): {first.error}")

    def _mark_failed(self, row: int, result: EmitResult, tried: bool) -> None:
        """Record a failed fast-path send on its outbox row (never raises: the row is kept)."""
        assert self.outbox is not None
        try:
            self.outbox.failed([row], result.error or "", result.status, tried)
        except Exception as exc:
            log.warning("emit outbox: could not record the failure of row %s (%s)", row,
                        redact_text(f"{type(exc).__name__}: {exc}", self._secrets))

    def _send_trigger(self, channels: Sequence[str], event: str, data: str,
                      socket_id: str | None, *, deadline: float | None = None,
                      use_breaker: bool = True) -> Attempted:
        """Trigger one event, at most 100 channels per HTTP call, with retries, within budget."""
        total = 0
        breaker = self.breaker if use_breaker else None
        for start in range(0, len(channels), MAX_CHANNELS_PER_TRIGGER):
            chunk = channels[start:start + MAX_CHANNELS_PER_TRIGGER]
            if deadline is not None and time.monotonic() >= deadline:
                return Attempted(total, budget_exhausted(self.retry.deadline))
            attempted = call_with_retry(
                self.retry, partial(self.transport.trigger, chunk, event, data, socket_id),
                deadline=deadline, breaker=breaker)
            total = max(total, attempted.attempts)
            if attempted.error is not None:
                return Attempted(total, attempted.error)
        return Attempted(total)

    def _send_batches(self, prepared: list[Prepared], deadline: float | None = None
                      ) -> tuple[dict[int, tuple[Attempted, list[str]]], dict[int, int]]:
        """Send events as batches of at most 10, in per-channel order across parallel lanes."""
        wire: list[tuple[int, WireEvent]] = [
            (index, WireEvent(channel, p.event, p.data))
            for index, p in enumerate(prepared) for channel in p.channels]
        failures, attempts, _ = send_in_lanes(self.transport, self.retry, wire, lanes=self.lanes,
                                              executor=self._executor, deadline=deadline,
                                              breaker=self.breaker)
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



def _resolve_outbox(outbox: OutboxArg, using: str | None) -> Outbox | None:
    """Turn the `outbox` argument (or, when None, the setting) into an Outbox or None.

    The setting only applies in a process where Django is configured (a CLI run is not);
    an explicit `outbox=True` without Django is a configuration error.
    """
    from hotelmate_rt.django.transactions import django_ready

    if outbox is None:
        from hotelmate_rt.django.conf import outbox_enabled

        outbox = outbox_enabled() and django_ready()
    if outbox is False:
        return None
    if outbox is True:
        if not django_ready():
            raise ConfigError("Emitter(outbox=True) needs Django configured, with "
                              '"hotelmate_rt.django" in INSTALLED_APPS')
        from hotelmate_rt.django.outbox import DjangoOutbox

        return DjangoOutbox(using=using)
    return outbox
