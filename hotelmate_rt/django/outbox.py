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
SELECT d, e, c::jsonb, x, i::jsonb, b, s, 'pending', 0, 0, %s, %s, '', ''
FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[])
    AS t(d, e, c, x, i, b, s)
RETURNING delivery_id, id
"""


class DjangoOutbox:
    """Insert outbox rows with the ORM (database `using`) and record what the fast path did.

    A new row is due for the relay only after `grace` seconds (the fast path normally sends and
    marks it well before that), so relays do not race the request that wrote it.

    On PostgreSQL, rows go in with one `INSERT ... SELECT FROM unnest(...)` (the ORM's bulk
    insert spends most of its time building parameters), and rows sent by the fast path are
    marked from a background thread, in batches, in transactions with `synchronous_commit` off:
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
        """One INSERT of every row from parallel arrays; ids matched back by delivery id."""
        now = timezone.now()
        columns: list[list[str]] = [[], [], [], [], [], [], []]
        for p, delivery_id in items:
            for column, value in zip(columns, (
                    delivery_id, p.event, json.dumps(list(p.channels)), p.data, json.dumps(p.ids),
                    p.ids.get("booking_id", ""), p.socket_id or ""), strict=True):
                column.append(value)
        with connections[self.using].cursor() as cursor:
            cursor.execute(_INSERT, [now, now + self.grace, *columns])
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
    """Mark pending rows sent (on PostgreSQL without waiting for the WAL flush)."""
    rows = OutboxEvent.objects.using(using).filter(id__in=list(ids), status=OutboxEvent.PENDING)
    changes = {"status": OutboxEvent.SENT, "sent_at": timezone.now(), "last_error": "",
               "attempts": F("attempts") + 1}
    connection = connections[using]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        rows.update(**changes)
        return
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        rows.update(**changes)


class _Marker:
    """A daemon thread that marks rows sent in batches, off the request's path."""

    def __init__(self, using: str) -> None:
        """Start the thread."""
        self.using = using
        self._pending: list[int] = []
        self._busy = False
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
                batch, self._pending = self._pending[:1000], self._pending[1000:]
                self._busy = True
            try:
                mark_sent(self.using, batch)
            except Exception as exc:  # the relay will resend these rows: at least once
                log.warning("outbox: could not mark %d row(s) sent (%s: %s); the relay will send "
                            "them again", len(batch), type(exc).__name__, exc)
                connections[self.using].close()
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
