"""The outbox in the app's database: rows written in the caller's transaction, marked after sends."""

from __future__ import annotations

import atexit
import json
import logging
import threading
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import F
from django.utils import timezone

from .conf import setting
from .models import OutboxEvent

if TYPE_CHECKING:
    from hotelmate_rt.emitters import Prepared

MAX_ERROR = 2000
log = logging.getLogger("hotelmate_rt.emit")

_INSERT = """
INSERT INTO hotelmate_rt_outbox (delivery_id, event, channels, data, ids, booking_id, socket_id,
    status, attempts, replays, created_at, next_attempt_at, last_error, claimed_by)
SELECT r->>0, r->>1, r->2, r->>3, r->4, r->>5, r->>6, 'pending', 0, 0, %s, %s, '', ''
FROM jsonb_array_elements(%s::jsonb) AS r
RETURNING delivery_id, id
"""
"""One INSERT of every row of a dispatch on PostgreSQL, from one JSON array of row arrays."""

_INSERT_ONE = """
INSERT INTO hotelmate_rt_outbox (delivery_id, event, channels, data, ids, booking_id, socket_id,
    status, attempts, replays, created_at, next_attempt_at, last_error, claimed_by)
VALUES (%s, %s, %s::jsonb, %s, %s::jsonb, %s, %s, 'pending', 0, 0, %s, %s, '', '')
RETURNING id
"""
"""The same for a dispatch of one event (the usual request), cheaper for the server to plan."""

_MARK_SENT = """
UPDATE hotelmate_rt_outbox SET status = 'sent', sent_at = %s, last_error = '',
    attempts = attempts + 1
WHERE id = ANY(string_to_array(%s, ',')::bigint[]) AND status = 'pending'
"""
"""Mark rows sent on PostgreSQL, the ids given as one comma-separated text."""

_rows_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
"""Compact JSON for the row parameters (channels, ids, the rows of a dispatch)."""


class DjangoOutbox:
    """Insert outbox rows with the ORM (database `using`) and record what the fast path did.

    A new row is due for the relay only after `grace` seconds (the fast path normally sends and
    marks it well before that), so relays do not race the request that wrote it.

    On PostgreSQL, a dispatch's rows go in with one `INSERT ... SELECT FROM
    jsonb_array_elements(%s)` (the ORM's bulk insert spends most of its time building
    parameters), and rows sent by the fast path are marked from a background thread, in
    batches (one UPDATE each), in transactions with `synchronous_commit` off:
    the request never waits for the mark. A mark lost to a crash only means the relay sends
    that event once more after the grace (at least once). Elsewhere (SQLite) the mark is one
    UPDATE in the request's thread. `mark_async` forces either way.
    """

    def __init__(self, using: str | None = None, grace: float | None = None,
                 mark_async: bool | None = None) -> None:
        """Use database alias `using` (default) and a fast-path grace in seconds (setting)."""
        self.using = using or DEFAULT_DB_ALIAS
        self.grace = timedelta(seconds=float(setting("OUTBOX_GRACE") if grace is None else grace))
        self._mark_async = mark_async
        self._marker: _Marker | None = None
        self._lock = threading.Lock()

    @property
    def where(self) -> str:
        """`database:ALIAS`."""
        return f"database:{self.using}"

    def add(self, items: Sequence[tuple[Prepared, str]]) -> list[int]:
        """Insert one row per event in the current transaction; return the row ids."""
        if connections[self.using].vendor == "postgresql":
            return self._add_postgres(items)
        now = timezone.now()
        rows = [OutboxEvent(delivery_id=delivery_id, event=p.event, channels=list(p.channels),
                            data=p.data, ids=dict(p.ids), booking_id=p.ids.get("booking_id", ""),
                            socket_id=p.socket_id or "", created_at=now,
                            next_attempt_at=now + self.grace)
                for p, delivery_id in items]
        manager = OutboxEvent.objects.using(self.using)
        if len(rows) == 1:
            rows[0].save(using=self.using, force_insert=True)
        else:
            manager.bulk_create(rows)
        if any(r.id is None for r in rows):  # a backend that cannot return bulk-inserted ids
            found = dict(manager.filter(delivery_id__in=[r.delivery_id for r in rows])
                         .values_list("delivery_id", "id"))
            for row in rows:
                row.id = found[row.delivery_id]
        return [int(r.id) for r in rows]

    def _add_postgres(self, items: Sequence[tuple[Prepared, str]]) -> list[int]:
        """One INSERT of every row, sent as one JSON parameter; ids matched back by delivery id.

        One text parameter costs the driver almost nothing to send, where arrays of values are
        quoted one element at a time (Django's psycopg cursors bind on the client side): for
        1,000 rows that was about two thirds of the insert's time.
        """
        now = timezone.now()
        due = now + self.grace
        with connections[self.using].cursor() as cursor:
            if len(items) == 1:
                p, delivery_id = items[0]
                cursor.execute(_INSERT_ONE, [
                    delivery_id, p.event, _rows_json(p.channels), p.data, _rows_json(p.ids),
                    p.ids.get("booking_id", ""), p.socket_id or "", now, due])
                return [int(cursor.fetchone()[0])]
            rows = _rows_json([[delivery_id, p.event, p.channels, p.data, p.ids,
                                p.ids.get("booking_id", ""), p.socket_id or ""]
                               for p, delivery_id in items])
            cursor.execute(_INSERT, [now, due, rows])
            found = dict(cursor.fetchall())
        return [int(found[delivery_id]) for _, delivery_id in items]

    def sent(self, ids: Sequence[int]) -> None:
        """Mark rows sent by the fast path (a row the relay already settled is left alone)."""
        background = self._mark_async
        if background is None:
            background = connections[self.using].vendor == "postgresql"
        if not background:
            mark_sent(self.using, ids)
            return
        with self._lock:
            if self._marker is None:
                self._marker = _Marker(self.using)
        self._marker.add(ids)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every background mark is written (tests, shutdown); False on timeout."""
        return self._marker.flush(timeout) if self._marker is not None else True

    def failed(self, ids: Sequence[int], error: str, status: int | None, tried: bool) -> None:
        """Record a failed fast-path send and make the rows due for the relay now."""
        changes: dict[str, object] = {"last_error": error[:MAX_ERROR], "last_status": status,
                                      "next_attempt_at": timezone.now()}
        if tried:
            changes["attempts"] = F("attempts") + 1
        OutboxEvent.objects.using(self.using).filter(id__in=list(ids), status=OutboxEvent.PENDING) \
            .update(**changes)

    def __repr__(self) -> str:
        """Show the database alias."""
        return f"DjangoOutbox({self.using!r})"


def mark_sent(using: str, ids: Sequence[int]) -> None:
    """Mark pending rows sent (on PostgreSQL in one statement, without waiting for the WAL)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        OutboxEvent.objects.using(using).filter(id__in=list(ids), status=OutboxEvent.PENDING) \
            .update(status=OutboxEvent.SENT, sent_at=timezone.now(), last_error="",
                    attempts=F("attempts") + 1)
        return
    params = (timezone.now(), ",".join(str(int(i)) for i in ids))
    if connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(_MARK_SENT, params)
        return
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        cursor.execute(_MARK_SENT, params)


class _Marker:
    """A daemon thread that marks rows sent in batches, off the request's path.

    A lone id is marked at once. When ids keep coming while a batch is being written (the
    commit of a transaction that emitted events one by one: one callback per event), the next
    batch waits `LINGER` seconds for more (or for a full batch), so such a burst costs a few
    UPDATEs, not one per event.
    """

    BATCH = 1000
    LINGER = 0.02

    def __init__(self, using: str) -> None:
        """Start the thread."""
        self.using = using
        self._pending: list[int] = []
        self._busy = False
        self._burst = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="hotelmate-outbox-mark",
                                        daemon=True)
        self._thread.start()
        atexit.register(self.flush, 2.0)

    def add(self, ids: Sequence[int]) -> None:
        """Queue row ids to mark."""
        with self._cond:
            self._pending.extend(ids)
            self._cond.notify_all()

    def flush(self, timeout: float) -> bool:
        """Wait until the queue is empty and no batch is being written."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._pending and not self._busy, timeout)

    def _run(self) -> None:
        """Write queued marks, a batch at a time, forever."""
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._pending))
                self._busy = True
                if self._burst:
                    self._cond.wait_for(lambda: len(self._pending) >= self.BATCH, self.LINGER)
                batch, self._pending = self._pending[:self.BATCH], self._pending[self.BATCH:]
            try:
                mark_sent(self.using, batch)
            except Exception as exc:  # the relay will resend these rows: at least once
                log.warning("outbox: could not mark %d row(s) sent (%s: %s); the relay will send "
                            "them again", len(batch), type(exc).__name__, exc)
                connections[self.using].close()
            finally:
                with self._cond:
                    self._busy = False
                    self._burst = bool(self._pending)
                    self._cond.notify_all()
