"""Run every comparer over two contracts and order what they found."""

from __future__ import annotations

import datetime

from hotelmate_rt.contracts.model import Contract

from .channels import compare_channels
from .context import Comparison
from .events import compare_events
from .limits import compare_limits
from .machines import compare_machines
from .model import Area, DiffResult

_AREAS = list(Area)


def diff_contracts(old: Contract, new: Contract, today: datetime.date | None = None,
                   old_label: str | None = None, new_label: str | None = None) -> DiffResult:
    """Judge every change from `old` to `new` as existing builds would see it (sunsets as of `today`)."""
    diff = Comparison(old, new, today or datetime.date.today())
    compare_channels(diff)  # first: it maps renamed channel ids for the event comparer
    compare_events(diff)
    compare_machines(diff)
    compare_limits(diff)
    changes = sorted(diff.changes, key=lambda c: (_AREAS.index(c.area), -c.level.rank))
    return DiffResult(old_label or old.path, new_label or new.path, changes)
