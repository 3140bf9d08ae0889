"""The transactional outbox, seen from the emitter: an interface, and the delivery id stamp.

With an outbox, every validated event is first written as a row in the same database
transaction as the business change (`Outbox.add`); after the commit the emitter sends it at
once and marks the row sent, or records the failure and leaves the row to the relay. A rollback
takes the rows with it. The Django implementation is `hotelmate_rt.django.outbox.DjangoOutbox`.

Delivery is at least once: a crash between the send and the mark, or a retry after a timeout,
can send an event twice. Each row has a delivery id; when an event's payload schema declares a
`delivery_id` property, the emitter puts that id in the payload so a subscriber can drop
duplicates. A schema that does not declare it is left untouched (most HotelMate schemas say
`additionalProperties: false`, and Pusher has no per-event metadata a client could read).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from .validation import Prepared, encode

if TYPE_CHECKING:
    from hotelmate_rt.contracts import Contract, PayloadRules

DELIVERY_ID_FIELD = "delivery_id"
"""The payload property that carries the outbox delivery id, when the schema declares it."""


class Outbox(Protocol):
    """Durable storage of events, written in the caller's transaction and read by a relay."""

    @property
    def where(self) -> str:
        """Say where the rows are (e.g. `database:default`)."""

    def add(self, items: Sequence[tuple[Prepared, str]]) -> list[int]:
        """Insert `(event, delivery id)` rows in the current transaction; return their row ids."""

    def sent(self, ids: Sequence[int]) -> None:
        """Mark rows sent (the fast path after the commit)."""

    def failed(self, ids: Sequence[int], error: str, status: int | None, tried: bool) -> None:
        """Record a failed fast-path send; the rows stay for the relay."""

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every `sent` mark is written; False when `timeout` ran out first."""


def new_delivery_id() -> str:
    """Return a fresh delivery id (a random UUID)."""
    return str(uuid.uuid4())


def declares_delivery_id(contract: Contract, event: str) -> bool:
    """Tell whether the event's payload schema declares the `delivery_id` property."""
    found = contract.events.get(event)
    if found is None:
        return False
    properties = found.schema.get("properties")
    return isinstance(properties, Mapping) and DELIVERY_ID_FIELD in properties


def stamp(contract: Contract, prepared: Prepared, rules: PayloadRules) -> tuple[Prepared, str]:
    """Give an event its delivery id, written into the payload when the schema declares it.

    A delivery id the caller already put in the payload is kept. If adding the field would break
    the event's payload rules (a stricter pattern, the size limit), the payload is left as it was.
    """
    if not declares_delivery_id(contract, prepared.event) or not prepared.data.startswith("{"):
        return prepared, new_delivery_id()
    data = json.loads(prepared.data)
    given = data.get(DELIVERY_ID_FIELD)
    if isinstance(given, str) and given:
        return prepared, given
    delivery_id = new_delivery_id()
    check = rules.check_value({DELIVERY_ID_FIELD: delivery_id, **data}, encode=encode)
    if check.text is None or not check.ok:
        return prepared, delivery_id
    return replace(prepared, data=check.text), delivery_id
