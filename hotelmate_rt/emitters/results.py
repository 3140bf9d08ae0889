"""What an emit produced: an EmitResult per event (channels, outcome, attempts), never a print."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Outcome(enum.StrEnum):
    """The state of one emitted event.

    `queued`: the event is safe in the outbox (committed with the business change) but was not
    sent at once; the relay will send it.
    """

    SENT = "sent"
    DEFERRED = "deferred"
    CAPTURED = "captured"
    QUEUED = "queued"
    FAILED = "failed"
    REFUSED = "refused"


@dataclass(slots=True)
class EmitResult:
    """One event's fate: where it went, how it ended, how many HTTP attempts it took.

    A deferred result (inside `transaction.atomic()`) is updated in place when the transaction
    commits; it stays `deferred` if the transaction rolls back, because nothing is sent then.
    """

    event: str
    channels: tuple[str, ...]
    outcome: Outcome
    attempts: int = 0
    status: int | None = None
    error: str | None = None
    ids: dict[str, str] = field(default_factory=dict)
    dead_letter: str | None = None
    outbox_id: int | None = None
    delivery_id: str | None = None

    @property
    def ok(self) -> bool:
        """Tell whether the event was sent, captured, queued in the outbox or awaits the commit."""
        return self.outcome in (Outcome.SENT, Outcome.DEFERRED, Outcome.CAPTURED, Outcome.QUEUED)

    def to_dict(self) -> dict[str, Any]:
        """Describe the result for JSON output and logs."""
        out: dict[str, Any] = {"event": self.event, "channels": list(self.channels),
                               "outcome": self.outcome.value, "attempts": self.attempts,
                               "ids": dict(self.ids)}
        if self.status is not None:
            out["status"] = self.status
        if self.error is not None:
            out["error"] = self.error
        if self.dead_letter is not None:
            out["dead_letter"] = self.dead_letter
        if self.outbox_id is not None:
            out["outbox_id"] = self.outbox_id
        if self.delivery_id is not None:
            out["delivery_id"] = self.delivery_id
        return out
