"""The state one diff shares between its comparers: both contracts, the day, the changes so far."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from hotelmate_rt.contracts.model import Contract

from .model import Area, Change, DiffCheck

KeyPath = tuple[str | int, ...]


@dataclass(slots=True)
class Comparison:
    """Two loaded contracts being compared, and the changes recorded so far."""

    old: Contract
    new: Contract
    today: datetime.date
    changes: list[Change] = field(default_factory=list)
    channel_ids: dict[str, str] = field(default_factory=dict)  # old channel id -> new id

    def add(self, check: DiffCheck, area: Area, subject: str, message: str, *,
            old: KeyPath | None = None, new: KeyPath | None = None, before: Any = None,
            after: Any = None, event: str | None = None) -> None:
        """Record a change at its default level, located by key paths on each side."""
        self.changes.append(Change(
            check=check, area=area, subject=subject, message=message, level=check.level,
            old=self.old.locate(*old) if old is not None else None,
            new=self.new.locate(*new) if new is not None else None,
            before=before, after=after, event=event,
            anchor=self.new.locate(*(new if new is not None else old or ()))))

    def new_channel(self, old_id: str) -> str:
        """Map an old channel id to its id in the new contract (ids may be renamed)."""
        return self.channel_ids.get(old_id, old_id)
