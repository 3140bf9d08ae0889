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
    from hotelmate_rt.django.database import app_database_problem

    problem = app_database_problem(using)
    if problem is not None:
        raise CommandError(problem, returncode=2)
