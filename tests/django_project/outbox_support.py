"""Shared by the outbox and webhook tests: a contract with delivery ids, the tables, a subscriber."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AT = "2025-03-01T10:00:00Z"


def dedup_contract(directory: Path) -> Path:
    """Write a copy of channels.yaml whose booking_updated declares `delivery_id`; return it."""
    text = (ROOT / "channels.yaml").read_text(encoding="utf-8")
    anchor = "        changed_fields: {type: array, items: {type: string}}\n\n  booking_overstay"
    if anchor not in text:
        raise AssertionError("channels.yaml changed: update dedup_contract()")
    text = text.replace(anchor, "        changed_fields: {type: array, items: {type: string}}\n"
                                "        delivery_id: {type: string}\n\n  booking_overstay")
    path = directory / "channels.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def setup_django(migrate: bool = True) -> None:
    """Configure the test project and (unless told not to) create the tables in its database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.django_project.settings")
    from django.core.management import call_command

    from hotelmate_rt.testing.django_setup import ensure_django

    ensure_django()
    if migrate:
        call_command("migrate", "hotelmate_rt", verbosity=0)


def wipe(using: str = "default") -> None:
    """Delete every outbox row and webhook event."""
    from hotelmate_rt.django.models import ChannelWebhookEvent, OutboxEvent

    OutboxEvent.objects.using(using).all().delete()
    ChannelWebhookEvent.objects.using(using).all().delete()


def updated(booking: str, marker: str) -> dict[str, object]:
    """A booking_updated payload tagged with a marker."""
    return {"booking_id": booking, "updated_at": AT, "changed_fields": [marker]}
