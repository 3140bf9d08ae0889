"""The tables: the outbox (pending, sent and dead events) and the webhook history of channels."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Q
from django.utils import timezone

if TYPE_CHECKING:  # field types for mypy (Django fields are not subscriptable at run time)
    _Text = models.CharField[str, str]
    _MaybeMoment = models.DateTimeField[datetime | None, datetime | None]
    _MaybeSmall = models.PositiveSmallIntegerField[int | None, int | None]
    _MaybeInt = models.IntegerField[int | None, int | None]


class OutboxEvent(models.Model):
    """One event written in the business transaction; pending until sent, dead after its retries."""

    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"
    STATUSES = [(PENDING, "pending"), (SENT, "sent"), (DEAD, "dead")]

    id: models.BigAutoField[int, int] = models.BigAutoField(primary_key=True)
    delivery_id: _Text = models.CharField(max_length=64, unique=True)
    event: _Text = models.CharField(max_length=200)
    channels: models.JSONField[Any, Any] = models.JSONField()
    data: models.TextField[str, str] = models.TextField()
    ids: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)
    booking_id: _Text = models.CharField(max_length=64, blank=True, default="", db_index=True)
    socket_id: _Text = models.CharField(max_length=64, blank=True, default="")
    status: _Text = models.CharField(max_length=8, choices=STATUSES, default=PENDING)
    attempts: models.PositiveIntegerField[int, int] = models.PositiveIntegerField(default=0)
    replays: models.PositiveIntegerField[int, int] = models.PositiveIntegerField(default=0)
    created_at: models.DateTimeField[datetime, datetime] = models.DateTimeField(default=timezone.now)
    next_attempt_at: models.DateTimeField[datetime, datetime] = models.DateTimeField(default=timezone.now)
    sent_at: _MaybeMoment = models.DateTimeField(null=True, blank=True)
    failed_at: _MaybeMoment = models.DateTimeField(null=True, blank=True)
    last_error: models.TextField[str, str] = models.TextField(blank=True, default="")
    last_status: _MaybeSmall = models.PositiveSmallIntegerField(null=True, blank=True)
    claimed_by: _Text = models.CharField(max_length=32, blank=True, default="")
    claimed_until: _MaybeMoment = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "hotelmate_rt"
        db_table = "hotelmate_rt_outbox"
        indexes = [
            models.Index(fields=["id"], condition=Q(status="pending"), name="hmrt_outbox_pending"),
            models.Index(fields=["status", "sent_at"], name="hmrt_outbox_status_sent"),
        ]

    def __str__(self) -> str:
        """Show id, event, status and channels."""
        return f"outbox #{self.id} {self.event} [{self.status}] -> {', '.join(self.channels)}"


class ChannelWebhookEvent(models.Model):
    """One Pusher/soketi webhook event (occupied, vacated, member, count), stored once."""

    id: models.BigAutoField[int, int] = models.BigAutoField(primary_key=True)
    digest: _Text = models.CharField(max_length=64, unique=True)
    name: _Text = models.CharField(max_length=40)
    channel: _Text = models.CharField(max_length=200)
    user_id: _Text = models.CharField(max_length=200, blank=True, default="")
    subscription_count: _MaybeInt = models.IntegerField(null=True, blank=True)
    happened_at: models.DateTimeField[datetime, datetime] = models.DateTimeField()
    received_at: models.DateTimeField[datetime, datetime] = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "hotelmate_rt"
        db_table = "hotelmate_rt_webhook_event"
        indexes = [models.Index(fields=["channel", "happened_at"], name="hmrt_webhook_channel")]

    def __str__(self) -> str:
        """Show the event, channel and time."""
        return f"{self.name} {self.channel} at {self.happened_at.isoformat()}"
