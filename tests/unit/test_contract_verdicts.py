"""Each verdict kind is produced by the event the seeds describe."""

from __future__ import annotations

import json

from hotelmate_rt.contracts import VerdictKind, judge
from tests.helpers import CHECKED_IN, shipped_contract

CONTRACT = shipped_contract()


def kinds(channel: str, event: str, data: object) -> list[str]:
    """Judge and return the verdict kinds as strings."""
    return [k.value for k in judge(CONTRACT, channel, event, data).kinds]


def test_conforming_event() -> None:
    """A correct check-in on the guest's private booking channel conforms."""
    verdict = judge(CONTRACT, "private-booking-BK-2025-0002", "booking_checked_in",
                    json.dumps(CHECKED_IN))
    assert verdict.ok and verdict.kinds == [VerdictKind.CONFORMS]
    assert verdict.channel_id == "guest-booking"


def test_seed_000_booking_dot_channel_with_guest_token() -> None:
    """Seed 000's trigger: wrong channel name, unexpected field, and a token on a public channel."""
    data = {**CHECKED_IN, "guest_token": "secret-token"}
    assert kinds("booking.BK-2025-0002", "booking_checked_in", data) == [
        "wrong-channel-name", "schema-violation", "sensitive-exposed"]


def test_seed_003_clock_event_on_public_hotel_channel() -> None:
    """Seed 003's clock event on the public hotel channel is unexpected there and leaks names."""
    data = {"user_id": 1, "staff_id": 2, "is_on_duty": True, "clock_time": "t",
            "first_name": "John", "last_name": "Doe", "action": "clock_in"}
    assert kinds("hotel-hotel-paradise", "clock-status-updated", data) == [
        "unexpected-channel", "sensitive-exposed"]


def test_unknown_event_gets_a_suggestion() -> None:
    """An unknown event name says what it probably meant."""
    verdict = judge(CONTRACT, "hotel-killarney", "offer-create", "{}")
    assert verdict.kinds == [VerdictKind.UNKNOWN_EVENT]
    assert verdict.findings[0].replacement == "offer-created"


def test_wrong_event_name_names_its_replacement() -> None:
    """message-received (a wrong name) is judged as new-staff-message and names it."""
    verdict = judge(CONTRACT, "private-hotel-paradise-room-101-chat", "message-received",
                    {"id": 1, "message": "hi", "sender_type": "staff", "timestamp": "t"})
    assert verdict.kinds == [VerdictKind.WRONG_EVENT_NAME]
    assert verdict.findings[0].replacement == "new-staff-message"


def test_not_json_and_unknown_channel() -> None:
    """Data that is not JSON is reported (and the rest still judged)."""
    assert kinds("presence-lobby", "offer-created", "{oops") == ["not-json", "unknown-channel"]
