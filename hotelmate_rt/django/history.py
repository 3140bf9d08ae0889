"""Answers from the app's database for on-call: who was subscribed when, what is stuck or dead.

`channel_history(channel)` rebuilds a channel's subscribed periods from the stored webhooks
(`channel_occupied` / `channel_vacated`, and `subscription_count` when the server sends it): a
vacate followed by an occupy within `tentative` seconds (a page refresh; soketi does not delay
the vacate the way Pusher does) is not a gap, and a vacate younger than that is tentative.
`booking_outbox(booking_id)` counts the booking's outbox rows by status. Each answer is data plus
one sentence for people, e.g. "private-booking-BK-2025-0002 has had no subscriber since
2025-03-01 14:02:11 UTC; it was subscribed 13:10:05-14:02:11 UTC".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

from .conf import setting
from .models import ChannelWebhookEvent, OutboxEvent

OCCUPIED = "channel_occupied"
VACATED = "channel_vacated"
COUNT = "subscription_count"


def when(moment: datetime, *, date: bool = True) -> str:
    """Format a time for people in UTC (`2025-03-01 14:02:11 UTC`, or `14:02:11`)."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%d %H:%M:%S UTC") if date else utc.strftime("%H:%M:%S")


@dataclass(slots=True)
class Period:
    """One stretch of time during which the channel had a subscriber (end None: still has)."""

    start: datetime | None
    end: datetime | None

    def describe(self) -> str:
        """`13:10:05-14:02:11 UTC` (an unknown start shows as `?`)."""
        start = when(self.start, date=False) if self.start else "?"
        end = when(self.end, date=False) if self.end else "now"
        return f"{start}-{end} UTC"


@dataclass(slots=True)
class ChannelHistory:
    """A channel's subscription history as the webhooks tell it, and the sentence for people."""

    channel: str
    periods: list[Period] = field(default_factory=list)
    events: int = 0
    occupied: bool | None = None
    since: datetime | None = None
    tentative: bool = False
    sentence: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Describe the history for JSON output."""
        return {"channel": self.channel, "occupied": self.occupied, "events": self.events,
                "since": self.since.isoformat() if self.since else None,
                "tentative": self.tentative, "sentence": self.sentence,
                "periods": [{"start": p.start.isoformat() if p.start else None,
                             "end": p.end.isoformat() if p.end else None} for p in self.periods]}


def channel_history(channel: str, *, using: str | None = None, now: datetime | None = None,
                    window: timedelta = timedelta(days=7), tentative: float | None = None,
                    label: str = "") -> ChannelHistory:
    """Rebuild `channel`'s subscribed periods over the last `window` from stored webhooks."""
    now = now or timezone.now()
    grace = timedelta(seconds=float(setting("WEBHOOK_TENTATIVE_VACATE") if tentative is None
                                    else tentative))
    rows = ChannelWebhookEvent.objects.using(using or DEFAULT_DB_ALIAS).filter(
        channel=channel, happened_at__gte=now - window, name__in=[OCCUPIED, VACATED, COUNT]
    ).order_by("happened_at", "id")
    history = ChannelHistory(channel)
    periods = history.periods
    for row in rows:
        history.events += 1
        up = row.name == OCCUPIED or (row.name == COUNT and (row.subscription_count or 0) > 0)
        if up:
            if periods and periods[-1].end is not None and row.happened_at - periods[-1].end <= grace:
                periods[-1].end = None  # vacated then occupied again at once: a page refresh
            elif not periods or periods[-1].end is not None:
                periods.append(Period(row.happened_at, None))
        elif not periods:
            periods.append(Period(None, row.happened_at))
        elif periods[-1].end is None:
            periods[-1].end = row.happened_at
    if periods:
        last = periods[-1]
        history.occupied = last.end is None
        history.since = last.start if last.end is None else last.end
        history.tentative = last.end is not None and now - last.end < grace
    history.sentence = _sentence(history, label or channel, now)
    return history


def _sentence(history: ChannelHistory, name: str, now: datetime) -> str:
    """One sentence about the history."""
    if history.occupied is None:
        return (f"No webhook has mentioned {name} in the last 7 days: either nobody opened the "
                "page, or the server's webhooks do not reach the backend.")
    since = when(history.since) if history.since else "an unknown time"
    if history.occupied:
        return f"{name} has had a subscriber since {since} (per webhooks)."
    last = history.periods[-1]
    earlier = f"; it was subscribed {last.describe()}" if last.start else ""
    text = f"{name} has had no subscriber since {since}{earlier}."
    if history.tentative:
        seconds = (now - last.end).total_seconds() if last.end else 0
        text += (f" The vacate is {seconds:.0f} s old and may be a page refresh (tentative for "
                 "a few seconds).")
    return text


@dataclass(slots=True)
class OutboxSummary:
    """A booking's outbox rows by status, the dead ones, and the sentence for people."""

    booking_id: str
    counts: dict[str, int] = field(default_factory=dict)
    dead: list[OutboxEvent] = field(default_factory=list)
    stuck: list[OutboxEvent] = field(default_factory=list)
    last_sent: datetime | None = None
    sentence: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Describe the summary for JSON output (ids and errors, never payloads)."""
        def brief(row: OutboxEvent) -> dict[str, Any]:
            return {"id": row.id, "event": row.event, "channels": row.channels,
                    "attempts": row.attempts, "error": row.last_error,
                    "status": row.last_status, "created_at": row.created_at.isoformat()}
        return {"booking_id": self.booking_id, "counts": self.counts,
                "dead": [brief(r) for r in self.dead], "stuck": [brief(r) for r in self.stuck],
                "last_sent": self.last_sent.isoformat() if self.last_sent else None,
                "sentence": self.sentence}


def booking_outbox(booking_id: str, *, using: str | None = None, now: datetime | None = None,
                   stuck_after: timedelta = timedelta(minutes=1), recent: int = 10,
                   redact: Callable[[str], str] = str) -> OutboxSummary:
    """Count a booking's outbox rows; list dead ones and pending ones older than `stuck_after`."""
    now = now or timezone.now()
    rows = OutboxEvent.objects.using(using or DEFAULT_DB_ALIAS).filter(booking_id=booking_id)
    summary = OutboxSummary(booking_id)
    for status in (OutboxEvent.PENDING, OutboxEvent.SENT, OutboxEvent.DEAD):
        summary.counts[status] = rows.filter(status=status).count()
    summary.dead = list(rows.filter(status=OutboxEvent.DEAD).order_by("-id")[:recent])
    summary.stuck = list(rows.filter(status=OutboxEvent.PENDING,
                                     created_at__lt=now - stuck_after).order_by("id")[:recent])
    for row in [*summary.dead, *summary.stuck]:
        row.last_error = redact(row.last_error)
    last = rows.filter(status=OutboxEvent.SENT).order_by("-sent_at").first()
    summary.last_sent = last.sent_at if last else None
    dead, stuck = summary.counts[OutboxEvent.DEAD], len(summary.stuck)
    if dead:
        first = summary.dead[0]
        summary.sentence = (f"{dead} event(s) for {booking_id} are dead in the outbox (the last: "
                            f"{first.event}, {first.last_error or 'no error recorded'}); fix the "
                            "cause, then `python manage.py hotelmate_rt_replay --booking "
                            f"{booking_id}`.")
    elif stuck:
        summary.sentence = (f"{stuck} event(s) for {booking_id} have waited in the outbox for more "
                            f"than {stuck_after.total_seconds():.0f} s: is the relay "
                            "(`python manage.py hotelmate_rt_relay`) running?")
    elif summary.last_sent:
        summary.sentence = (f"Every outbox event for {booking_id} was sent; the last at "
                            f"{when(summary.last_sent)}.")
    else:
        summary.sentence = f"The outbox has no event for {booking_id}."
    return summary
