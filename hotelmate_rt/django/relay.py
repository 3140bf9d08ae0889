"""The outbox relay: send pending rows in order per channel, retry with backoff, mark dead rows.

Each pass claims the oldest due pending rows, keeps only those with no older pending row on one
of their channels (so every channel keeps its order, even with several relays), sends them as
batches of 10 on parallel lanes (`emitters.lanes`, the emitter's retry policy and transport),
and settles each row: sent; or retried later with exponential backoff; or dead once its tries
are used up or the server refused it for good (4xx). Delivery is at least once.

Several relays may run at once. On PostgreSQL (any backend with SKIP LOCKED) a pass holds its
rows with `SELECT ... FOR UPDATE SKIP LOCKED` until it has settled them, so no two relays ever
send the same row at the same time; a relay that dies releases its locks with its connection.
SQLite has no row locks: a pass leases its rows with one conditional UPDATE (SQLite runs one
writer at a time, so two passes cannot take the same row), sends within a budget shorter than
the lease, and settles only rows it still holds; a dead relay's lease simply expires.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import DEFAULT_DB_ALIAS, close_old_connections, connections, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from hotelmate_rt.emitters.lanes import send_in_lanes
from hotelmate_rt.emitters.policy import RetryPolicy
from hotelmate_rt.emitters.replay import ReplayReport, replay_problem
from hotelmate_rt.emitters.transports import Transport, WireEvent
from hotelmate_rt.redact import redact_text

from .conf import setting
from .deadletter import MAX_ERROR, dead_event
from .models import ChannelWebhookEvent, OutboxEvent

if TYPE_CHECKING:
    from hotelmate_rt.contracts import Contract

log = logging.getLogger("hotelmate_rt.relay")


@dataclass(frozen=True, slots=True)
class RelayOptions:
    """How a relay claims, sends and retries rows."""

    batch_size: int = 200
    max_attempts: int = 10
    backoff: RetryPolicy = field(default_factory=lambda: RetryPolicy(
        attempts=10, base_delay=2.0, max_delay=300.0))
    http: RetryPolicy = field(default_factory=lambda: RetryPolicy(
        attempts=2, base_delay=0.1, max_delay=1.0, deadline=10.0))
    pass_budget: float = 30.0
    lease: float = 120.0
    lanes: int = 4


@dataclass(slots=True)
class PassReport:
    """What one relay pass did, in counts (and the row ids it sent)."""

    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    dead: int = 0
    waiting: int = 0
    sent_ids: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Tell whether nothing failed in this pass."""
        return not self.retrying and not self.dead

    def to_dict(self) -> dict[str, Any]:
        """Describe the pass for JSON output (without the sent ids)."""
        return {"claimed": self.claimed, "sent": self.sent, "retrying": self.retrying,
                "dead": self.dead, "waiting": self.waiting, "errors": self.errors[:5]}


class Relay:
    """Deliver outbox rows of database `using` through a transport."""

    def __init__(self, transport: Transport, *, using: str | None = None,
                 options: RelayOptions | None = None, secrets: tuple[str, ...] = (),
                 clock: Callable[[], datetime] = timezone.now) -> None:
        """Bind a transport (e.g. `PusherTransport.from_env()`) to the outbox table."""
        self.transport = transport
        self.using = using or DEFAULT_DB_ALIAS
        self.options = options or RelayOptions()
        self.name = uuid.uuid4().hex[:16]
        self._secrets = secrets or _transport_secrets(transport)
        self._clock = clock
        self._pool: ThreadPoolExecutor | None = None

    @property
    def locking(self) -> bool:
        """Tell whether this database has SELECT ... FOR UPDATE SKIP LOCKED (else: leases)."""
        return bool(connections[self.using].features.has_select_for_update_skip_locked)

    def _rows(self) -> QuerySet[OutboxEvent]:
        """The outbox table on this relay's database."""
        return OutboxEvent.objects.using(self.using)

    # -- one pass --------------------------------------------------------------------------

    def run_once(self, only: Collection[int] | None = None) -> PassReport:
        """Claim, send and settle one batch of due rows (only ids in `only`, when given)."""
        if self.locking:
            with transaction.atomic(using=self.using):
                due = self._due(only).select_for_update(skip_locked=True)
                rows = list(due.order_by("id")[:self.options.batch_size])
                return self._deliver(rows, self.options.pass_budget)
        return self._leased_pass(only)

    def _due(self, only: Collection[int] | None) -> QuerySet[OutboxEvent]:
        """Pending rows whose next attempt is due."""
        due = self._rows().filter(status=OutboxEvent.PENDING, next_attempt_at__lte=self._clock())
        return due.filter(id__in=list(only)) if only is not None else due

    def _leased_pass(self, only: Collection[int] | None) -> PassReport:
        """Claim rows with a lease (one conditional UPDATE), send within it, settle them."""
        now = self._clock()
        free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
        candidates = list(self._due(only).filter(free).order_by("id")
                          .values_list("id", flat=True)[:self.options.batch_size])
        if not candidates:
            return PassReport()
        token = uuid.uuid4().hex[:16]
        until = now + timedelta(seconds=self.options.lease)
        self._rows().filter(free, id__in=candidates, status=OutboxEvent.PENDING) \
            .update(claimed_by=token, claimed_until=until)
        rows = list(self._rows().filter(claimed_by=token, status=OutboxEvent.PENDING).order_by("id"))
        budget = min(self.options.pass_budget, self.options.lease * 0.5)
        try:
            return self._deliver(rows, budget, token)
        finally:
            self._rows().filter(claimed_by=token).update(claimed_by="", claimed_until=None)

    def _in_order(self, rows: list[OutboxEvent]) -> tuple[list[OutboxEvent], int]:
        """Keep the rows with no older pending row on any of their channels; count the others."""
        if not rows:
            return [], 0
        mine = [r.id for r in rows]
        older = self._rows().filter(status=OutboxEvent.PENDING, id__lt=max(mine)) \
            .exclude(id__in=mine).values_list("channels", flat=True)
        blocked = {channel for channels in older for channel in channels}
        ready: list[OutboxEvent] = []
        for row in rows:
            if blocked.intersection(row.channels):
                blocked.update(row.channels)
            else:
                ready.append(row)
        return ready, len(rows) - len(ready)

    def _deliver(self, rows: list[OutboxEvent], budget: float,
                 token: str | None = None) -> PassReport:
        """Send the rows that may go now and settle each one."""
        report = PassReport(claimed=len(rows))
        ready, report.waiting = self._in_order(rows)
        if not ready:
            return report
        wire = [(index, WireEvent(channel, row.event, row.data))
                for index, row in enumerate(ready) for channel in row.channels]
        failures, _, untried = send_in_lanes(
            self.transport, self.options.http, wire, lanes=self.options.lanes,
            executor=self._executor, deadline=time.monotonic() + budget, stop_on_failure=True)
        now = self._clock()
        held = self._rows().filter(claimed_by=token) if token else self._rows()
        sent = [row.id for index, row in enumerate(ready)
                if index not in failures and index not in untried]
        if sent:
            held.filter(id__in=sent).update(status=OutboxEvent.SENT, sent_at=now, last_error="",
                                            attempts=F("attempts") + 1)
        report.sent, report.sent_ids = len(sent), sent
        report.waiting += len([i for i in untried if i not in failures])
        for index, (attempted, _) in failures.items():
            row = ready[index]
            error = attempted.error
            assert error is not None
            text = redact_text(str(error), self._secrets)[:MAX_ERROR]
            tries = row.attempts + 1
            changes: dict[str, Any] = {"attempts": tries, "last_error": text,
                                       "last_status": error.status}
            if not error.retryable or tries >= self.options.max_attempts:
                changes.update(status=OutboxEvent.DEAD, failed_at=now)
                report.dead += 1
                log.error("relay dead %s", _line(row, text, tries))
            else:
                wait = self.options.backoff.backoff(tries)
                changes["next_attempt_at"] = now + timedelta(seconds=wait)
                report.retrying += 1
            report.errors.append(text)
            held.filter(id=row.id, status=OutboxEvent.PENDING).update(**changes)
        if report.sent or report.retrying or report.dead:
            log.info("relay pass %s", report.to_dict())
        return report

    def _executor(self) -> ThreadPoolExecutor:
        """The lane thread pool (created on first use)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.options.lanes, thread_name_prefix="hotelmate-relay")
        return self._pool

    # -- the worker ------------------------------------------------------------------------

    def run(self, stop: threading.Event, *, idle: float = 1.0, prune_every: float = 3600.0,
            on_pass: Callable[[PassReport], None] | None = None) -> None:
        """Run passes until `stop` is set: at once while there is work, every `idle` s if not."""
        next_prune = time.monotonic()
        while not stop.is_set():
            try:
                report = self.run_once()
                if time.monotonic() >= next_prune:
                    self.prune()
                    next_prune = time.monotonic() + prune_every
            except Exception as exc:  # the database restarting must not end the worker
                log.error("relay pass failed: %s", redact_text(f"{type(exc).__name__}: {exc}",
                                                             self._secrets))
                close_old_connections()
                stop.wait(idle)
                continue
            if on_pass is not None:
                on_pass(report)
            if report.sent == 0:
                stop.wait(idle)

    def prune(self, keep_sent_days: float | None = None,
              keep_webhook_days: float | None = None) -> dict[str, int]:
        """Delete sent rows and webhook events older than their retention (in chunks)."""
        now = self._clock()
        sent_days = float(setting("OUTBOX_KEEP_SENT_DAYS") if keep_sent_days is None
                          else keep_sent_days)
        hook_days = float(setting("WEBHOOK_KEEP_DAYS") if keep_webhook_days is None
                          else keep_webhook_days)
        old_sent = self._rows().filter(status=OutboxEvent.SENT,
                                       sent_at__lt=now - timedelta(days=sent_days))
        old_hooks = ChannelWebhookEvent.objects.using(self.using).filter(
            happened_at__lt=now - timedelta(days=hook_days))
        return {"sent": _delete_in_chunks(old_sent), "webhooks": _delete_in_chunks(old_hooks)}

    # -- replay ----------------------------------------------------------------------------

    def replay(self, contract: Contract, *, booking_id: str | None = None,
               ids: Collection[int] | None = None, budget: float = 60.0) -> ReplayReport:
        """Send dead rows once more (in order per channel); what fails again stays dead."""
        report = ReplayReport(f"database:{self.using}")
        dead = self._rows().filter(status=OutboxEvent.DEAD)
        if booking_id:
            dead = dead.filter(booking_id=booking_id)
        if ids:
            dead = dead.filter(id__in=list(ids))
        now = self._clock()
        chosen: list[int] = []
        queued: list[int] = []
        for row in dead.order_by("id"):
            chosen.append(row.id)
            problem = replay_problem(contract, dead_event(row))
            if problem is not None:
                self._rows().filter(id=row.id).update(last_error=problem[:MAX_ERROR],
                                                      replays=F("replays") + 1)
            else:
                queued.append(row.id)
        self._rows().filter(id__in=queued, status=OutboxEvent.DEAD).update(
            status=OutboxEvent.PENDING, next_attempt_at=now, replays=F("replays") + 1,
            attempts=max(0, self.options.max_attempts - 1), claimed_by="", claimed_until=None)
        end = time.monotonic() + budget
        while queued and time.monotonic() < end:
            left = set(self._rows().filter(id__in=queued, status=OutboxEvent.PENDING)
                       .values_list("id", flat=True))
            if not left:
                break
            step = self.run_once(only=left)
            if not (step.sent or step.dead or step.retrying):
                break
        for row in self._rows().filter(id__in=chosen).order_by("id"):
            entry = dead_event(row)
            if row.status == OutboxEvent.SENT:
                report.resent.append(entry)
                continue
            if row.status == OutboxEvent.PENDING:
                entry.error = "queued behind older events on its channel: the relay will send it"
            report.remaining.append(entry)
        return report

    def close(self) -> None:
        """Stop the lane threads and close the transport."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self.transport.close()


def _delete_in_chunks(rows: QuerySet[Any], chunk: int = 1000) -> int:
    """Delete a queryset's rows a chunk at a time (short locks); return how many went."""
    total = 0
    while True:
        ids = list(rows.order_by("id").values_list("id", flat=True)[:chunk])
        if not ids:
            return total
        total += rows.model.objects.using(rows.db).filter(id__in=ids).delete()[0]


def _line(row: OutboxEvent, error: str, tries: int) -> str:
    """One log line about a row: ids, never the payload."""
    return (f"#{row.id} {row.event} -> {', '.join(row.channels)} ids={row.ids} after {tries} "
            f"tries: {error}")


def _transport_secrets(transport: Transport) -> tuple[str, ...]:
    """The app secret of a PusherTransport (to redact), if any."""
    secret = getattr(getattr(transport, "_inner", None), "secret", None)
    return (secret,) if secret else ()


def replay_database(transport: Transport, *, using: str | None = None,
                    contract: Contract | str | None = None, booking_id: str | None = None,
                    ids: Collection[int] | None = None) -> ReplayReport:
    """Load the contract (path, settings.HOTELMATE_RT["CONTRACT"] or default), replay dead rows."""
    from pathlib import Path

    from django.conf import settings

    from hotelmate_rt.contracts import Contract as _Contract
    from hotelmate_rt.contracts import load_contract

    if not isinstance(contract, _Contract):
        path = contract or dict(getattr(settings, "HOTELMATE_RT", {})).get("CONTRACT")
        contract = load_contract(Path(path) if path else None)
    relay = Relay(transport, using=using)
    try:
        return relay.replay(contract, booking_id=booking_id, ids=ids)
    finally:
        relay.close()
