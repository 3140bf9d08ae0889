"""The outbox in the app's database: rows written in the caller's transaction, marked after sends."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import DEFAULT_DB_ALIAS
from django.db.models import F
from django.utils import timezone

from .conf import setting
from .models import OutboxEvent

if TYPE_CHECKING:
    from hotelmate_rt.emitters import Prepared

MAX_ERROR = 2000


class DjangoOutbox:
    """Insert outbox rows with the ORM (database `using`) and record what the fast path did.

    A new row is due for the relay only after `grace` seconds (the fast path normally sends and
    marks it well before that), so relays do not race the request that wrote it.
    """

    def __init__(self, using: str | None = None, grace: float | None = None) -> None:
        """Use database alias `using` (default) and a fast-path grace in seconds (setting)."""
        self.using = using or DEFAULT_DB_ALIAS
        self.grace = timedelta(seconds=float(setting("OUTBOX_GRACE") if grace is None else grace))

    @property
    def where(self) -> str:
        """`database:ALIAS`."""
        return f"database:{self.using}"

    def add(self, items: Sequence[tuple[Prepared, str]]) -> list[int]:
        """Insert one row per event in the current transaction; return the row ids."""
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

    def sent(self, ids: Sequence[int]) -> None:
        """Mark rows sent by the fast path (a row the relay already settled is left alone)."""
        OutboxEvent.objects.using(self.using).filter(id__in=list(ids), status=OutboxEvent.PENDING) \
            .update(status=OutboxEvent.SENT, sent_at=timezone.now(), last_error="",
                    attempts=F("attempts") + 1)

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
