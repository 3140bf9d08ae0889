"""The dead letter as rows of the outbox table (status `dead`), for apps that run Django."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

from hotelmate_rt.emitters.deadletter import DeadEvent
from hotelmate_rt.emitters.outbox import new_delivery_id

from .models import OutboxEvent

MAX_ERROR = 2000


def dead_event(row: OutboxEvent) -> DeadEvent:
    """Describe a dead (or any) outbox row as a dead-letter entry (`ref` = `outbox:ID`)."""
    when = row.failed_at or row.created_at
    return DeadEvent(row.event, list(row.channels), row.data, row.last_error, row.last_status,
                     row.attempts, dict(row.ids or {}), when.timestamp(), row.replays,
                     ref=f"outbox:{row.id}")


class DatabaseDeadLetter:
    """Keep undeliverable events as dead outbox rows in database `using`."""

    def __init__(self, using: str | None = None) -> None:
        """Use database alias `using` (default)."""
        self.using = using or DEFAULT_DB_ALIAS

    @property
    def where(self) -> str:
        """`database:ALIAS`."""
        return f"database:{self.using}"

    def append(self, entry: DeadEvent) -> None:
        """Insert one dead row (raises the database error when it cannot)."""
        failed = datetime.fromtimestamp(entry.failed_at, UTC) if entry.failed_at else timezone.now()
        OutboxEvent.objects.using(self.using).create(
            delivery_id=new_delivery_id(), event=entry.event, channels=list(entry.channels),
            data=entry.data, ids=dict(entry.ids), booking_id=entry.ids.get("booking_id", ""),
            status=OutboxEvent.DEAD, attempts=entry.attempts, replays=entry.replays,
            created_at=failed, failed_at=failed, last_error=entry.error[:MAX_ERROR],
            last_status=entry.status)

    def read(self) -> list[DeadEvent]:
        """Every dead row, oldest first."""
        rows = OutboxEvent.objects.using(self.using).filter(status=OutboxEvent.DEAD).order_by("id")
        return [dead_event(row) for row in rows]

    def __repr__(self) -> str:
        """Show the database alias."""
        return f"DatabaseDeadLetter({self.using!r})"
