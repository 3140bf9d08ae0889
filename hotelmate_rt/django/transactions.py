"""Transaction deferral: inside `transaction.atomic()` an emit waits for the commit (Django only)."""

from __future__ import annotations

import sys
from collections.abc import Callable


def django_ready() -> bool:
    """Tell whether Django is imported and configured in this process (never imports it)."""
    if "django.db" not in sys.modules:
        return False
    from django.conf import settings

    return bool(settings.configured)


def in_atomic_block(using: str | None = None) -> bool:
    """Tell whether the current thread is inside an `atomic()` block on database `using`."""
    if not django_ready():
        return False
    from django.db import DEFAULT_DB_ALIAS, connections

    return bool(connections[using or DEFAULT_DB_ALIAS].in_atomic_block)


def defer_until_commit(callback: Callable[[], None], using: str | None = None) -> bool:
    """Run `callback` after the current transaction commits (dropped on rollback).

    Returns False, without running anything, when there is no atomic block to wait for.
    """
    if not in_atomic_block(using):
        return False
    from django.db import transaction

    transaction.on_commit(callback, using=using)
    return True
