"""capture_events() and the rt_events fixture record what would be sent, with verdicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotelmate_rt.contracts import Contract, VerdictKind
from hotelmate_rt.emitters import DeadLetterFile, Emitter, Outcome, RecordingTransport
from hotelmate_rt.errors import ConfigError, DeliveryError, PayloadRejected
from hotelmate_rt.testing import EventCapture, capture_events
from tests.helpers import AT


def test_capture_records_instead_of_sending(contract: Contract) -> None:
    """Inside capture_events nothing reaches the transport; every channel is recorded."""
    transport = RecordingTransport()
    emitter = Emitter(contract, transport, dead_letter=False)
    with capture_events() as captured:
        results = emitter.transition("BK-2025-0002", "CONFIRMED", "IN_HOUSE",
                                     {"room_number": "101"}, hotel_slug="hotel-paradise")
    assert transport.calls == [] and all(r.outcome is Outcome.CAPTURED for r in results)
    event = captured.assert_emitted("booking_checked_in", "guest-booking",
                                    booking_id="BK-2025-0002")
    assert event.channel == "private-booking-BK-2025-0002" and event.verdict.ok
    captured.assert_emitted("booking_status_changed", "private-hotel-hotel-paradise-staff",
                            from_status="CONFIRMED")
    captured.assert_not_emitted("booking_checked_out")
    captured.assert_all_conform()
    assert len(captured.sent_events) == 5
    emitter.emit("booking_updated", {"booking_id": "BK-2025-0002", "updated_at": AT},
                 hotel_slug="hotel-paradise")
    assert len(transport.calls) == 1


def test_assertion_messages_list_what_was_captured(contract: Contract) -> None:
    """A failed assertion lists every captured event."""
    emitter = Emitter(contract, RecordingTransport(), dead_letter=False)
    with capture_events() as captured:
        emitter.emit("booking_updated", {"booking_id": "BK-2025-0002", "updated_at": AT},
                     hotel_slug="hotel-paradise")
        with pytest.raises(AssertionError, match="booking_updated on private-booking-BK-2025"):
            captured.assert_emitted("booking_checked_in", "guest-booking")
        with pytest.raises(AssertionError, match="not emitted"):
            captured.assert_emitted("booking_updated", booking_id="BK-2025-0009")
        with pytest.raises(AssertionError, match="unexpected"):
            captured.assert_not_emitted("booking_updated")


def test_refused_emits_are_captured_with_findings(contract: Contract) -> None:
    """A refused emit is recorded with its findings, and assert_all_conform fails on it."""
    emitter = Emitter(contract, RecordingTransport(), dead_letter=False)
    with capture_events() as captured, pytest.raises(PayloadRejected):
        emitter.emit("booking_updated", {"booking_id": "BK-2025-0002"},
                     hotel_slug="hotel-paradise")
    assert [e.refused for e in captured] == [True, True]
    assert captured.refused_events[0].verdict.kinds == [VerdictKind.SCHEMA_VIOLATION]
    with pytest.raises(AssertionError, match="updated_at"):
        captured.assert_all_conform()


def test_passthrough_sends_and_records(contract: Contract) -> None:
    """With passthrough the events are recorded and really sent."""
    transport = RecordingTransport()
    emitter = Emitter(contract, transport, dead_letter=False)
    with capture_events(passthrough=True) as captured:
        result = emitter.emit("booking_updated", {"booking_id": "BK-2025-0002",
                                                  "updated_at": AT}, hotel_slug="hotel-paradise")
    assert result.outcome is Outcome.SENT and len(transport.events) == 2 and len(captured) == 2


def test_rt_events_fixture(rt_events: EventCapture, contract: Contract) -> None:
    """The pytest plugin's rt_events fixture is a live capture."""
    emitter = Emitter(contract, RecordingTransport(), dead_letter=False)
    emitter.emit("offer-deleted", {"offer_id": 3, "offer_title": "Spa", "action": "deleted"},
                 hotel_slug="hotel-paradise")
    found = rt_events.assert_emitted("offer-deleted", "hotel-public", offer_id=3)
    assert found.channel == "hotel-hotel-paradise"


def test_capture_needs_no_pusher_settings(contract: Contract, tmp_path: Path) -> None:
    """`Emitter.from_env` with no PUSHER_* works inside capture_events(), which sends nothing."""
    with pytest.raises(ConfigError, match="set PUSHER_URL"):
        Emitter.from_env(contract, env={})  # outside a capture: fail fast, as at start-up
    dead = tmp_path / "dead.jsonl"
    with capture_events() as captured:
        lenient = Emitter.from_env(contract, env={}, dead_letter=dead)
        strict = Emitter.from_env(contract, env={}, strict=True, dead_letter=False)
        lenient.emit("booking_updated", {"booking_id": "BK-2025-0002", "updated_at": AT},
                     hotel_slug="hotel-paradise")
    captured.assert_emitted("booking_updated", "guest-booking", booking_id="BK-2025-0002")
    # after the capture a real send has no server: it fails loudly and nothing is lost
    with pytest.raises(DeliveryError, match="set PUSHER_URL"):
        strict.emit("booking_updated", {"booking_id": "BK-2025-0002", "updated_at": AT},
                    hotel_slug="hotel-paradise")
    result = lenient.emit("booking_updated", {"booking_id": "BK-2025-0002", "updated_at": AT},
                          hotel_slug="hotel-paradise")
    assert result.outcome is Outcome.FAILED
    assert [e.event for e in DeadLetterFile(dead).read()] == ["booking_updated"]
    with pytest.raises(ConfigError, match="PUSHER_URL must look like"), capture_events():
        Emitter.from_env(contract, env={"PUSHER_URL": "key:secret@host/apps/1"})  # a typo: refused

