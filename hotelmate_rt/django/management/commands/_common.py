"""What the hotelmate-rt management commands share: the transport, exit codes, JSON lines."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from hotelmate_rt.errors import ConfigError


def transport_from_env(timeout: float) -> Any:
    """The Pusher transport from PUSHER_URL / PUSHER_* (exit 2 with one sentence if unset)."""
    from hotelmate_rt.emitters import PusherTransport

    try:
        return PusherTransport.from_env(timeout=timeout)
    except ConfigError as exc:
        raise CommandError(str(exc), returncode=2) from None


def check_installed(using: str) -> None:
    """Fail (exit 2) with the fix when the app is not installed or its tables are missing."""
    from django.apps import apps
    from django.db import DatabaseError, connections

    if not apps.is_installed("hotelmate_rt.django"):
        raise CommandError('add "hotelmate_rt.django" to INSTALLED_APPS, then run migrate',
                           returncode=2)
    try:
        tables = connections[using].introspection.table_names()
    except DatabaseError as exc:
        raise CommandError(f"cannot reach database {using!r}: {exc}", returncode=2) from None
    if "hotelmate_rt_outbox" not in tables:
        raise CommandError(f"the outbox table is missing in database {using!r}: run "
                           "`python manage.py migrate hotelmate_rt`", returncode=2)
