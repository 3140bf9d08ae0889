"""The emitter against a real soketi: events arrive on every contract channel, in order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hotelmate_rt.auth import ChannelAuthorizer, Principal
from hotelmate_rt.contracts import Contract
from hotelmate_rt.emitters import Emitter, PusherTransport, WireEvent
from hotelmate_rt.errors import PayloadRejected
from hotelmate_rt.testing.soketi import SoketiServer
from hotelmate_rt.testing.ws_subscriber import Frame, Subscriber
from tests.helpers import AT

STAFF = Principal.staff("hotel-paradise", user_id=1)
GUEST = Principal.guest("BK-2025-0002", "hotel-paradise", "101")


class CountingTransport(PusherTransport):
    """A real pusher transport that counts HTTP calls."""

    calls = 0

    def trigger(self, *args: Any, **kwargs: Any) -> None:
        """Count, then send."""
        self.calls += 1
        super().trigger(*args, **kwargs)

    def trigger_batch(self, events: list[WireEvent]) -> None:  # type: ignore[override]
        """Count, then send."""
        self.calls += 1
        super().trigger_batch(events)


@pytest.fixture
def emitter(contract: Contract, soketi: SoketiServer) -> Iterator[Emitter]:
    """A strict emitter sending to the session soketi."""
    transport = CountingTransport.create(soketi.app_id, soketi.key, soketi.secret, host=soketi.host,
                                         port=soketi.port, ssl=False, timeout=5.0)
    with Emitter(contract, transport, strict=True, dead_letter=False) as running:
        yield running


@pytest.fixture
def subscriber(soketi: SoketiServer) -> Iterator[Subscriber]:
    """A websocket subscriber connected to the session soketi."""
    with Subscriber(soketi.ws_url) as client:
        yield client


def join(subscriber: Subscriber, authorizer: ChannelAuthorizer, principal: Principal,
         *channels: str) -> None:
    """Subscribe to channels with signatures from the contract's authorizer."""
    for channel in channels:
        frame = subscriber.subscribe(channel, authorizer.authorize(principal, channel,
                                                                   subscriber.socket_id))
        assert frame.event == "pusher_internal:subscription_succeeded", frame.raw


def arrived(subscriber: Subscriber, channel: str, event: str) -> Frame:
    """Wait for one event on one channel."""
    return subscriber.wait_for(lambda f: f.channel == channel and f.event == event)


def test_emitted_event_arrives_on_every_contract_channel(
        emitter: Emitter, subscriber: Subscriber, soketi: SoketiServer,
        contract: Contract) -> None:
    """booking_checked_in reaches the guest booking, hotel staff and room channels."""
    authorizer = ChannelAuthorizer(contract, soketi.key, soketi.secret)
    join(subscriber, authorizer, GUEST, "private-booking-BK-2025-0002")
    join(subscriber, authorizer, STAFF, "private-hotel-hotel-paradise-staff",
         "private-room-hotel-paradise-101")
    data = {"booking_id": "BK-2025-0002", "status": "IN_HOUSE", "room_number": "101",
            "checked_in_at": AT}
    result = emitter.emit("booking_checked_in", data, hotel_slug="hotel-paradise")
    assert result.ok
    for channel in result.channels:
        assert arrived(subscriber, channel, "booking_checked_in").data == data


def test_transition_and_fan_out_arrive_in_order(emitter: Emitter, subscriber: Subscriber,
                                                soketi: SoketiServer, contract: Contract) -> None:
    """A transition's two events and the staff-message fan-out arrive, in contract order."""
    authorizer = ChannelAuthorizer(contract, soketi.key, soketi.secret)
    join(subscriber, authorizer, GUEST, "private-booking-BK-2025-0002",
         "private-hotel-paradise-room-101-chat")
    join(subscriber, authorizer, STAFF, "private-hotel-paradise-conversation-45-chat")
    emitter.transition("BK-2025-0002", "IN_HOUSE", "COMPLETED", {"room_number": "101"},
                       hotel_slug="hotel-paradise")
    arrived(subscriber, "private-booking-BK-2025-0002", "booking_status_changed")
    names = [f.event for f in subscriber.events("private-booking-BK-2025-0002")]
    assert names == ["booking_checked_out", "booking_status_changed"]
    message = {"id": 9, "message": "Hi", "sender_type": "staff", "timestamp": AT}
    emitter.emit_action("staff_message_to_guest", payloads={
        "new-staff-message": message, "new-message": message,
        "message-delivered": {"message_id": 9, "delivered_at": AT, "status": "delivered"}},
        hotel_slug="hotel-paradise", room_number="101", conversation_id=45)
    assert arrived(subscriber, "private-hotel-paradise-room-101-chat",
                   "new-staff-message").data == message
    arrived(subscriber, "private-hotel-paradise-conversation-45-chat", "message-delivered")
    assert [f.event for f in subscriber.events("private-hotel-paradise-conversation-45-chat")] \
        == ["new-message", "message-delivered"]


def test_batched_events_all_arrive_in_per_channel_order(
        emitter: Emitter, subscriber: Subscriber, soketi: SoketiServer,
        contract: Contract) -> None:
    """45 events in batches (parallel lanes) all arrive, each channel in emit order."""
    authorizer = ChannelAuthorizer(contract, soketi.key, soketi.secret)
    join(subscriber, authorizer, STAFF, "private-hotel-hotel-paradise-staff")
    items = [("booking_updated", {"booking_id": f"BK-2025-{i % 5:04d}", "updated_at": AT,
                                  "changed_fields": [str(i)]}, {"hotel_slug": "hotel-paradise"})
             for i in range(45)]
    results = emitter.emit_many(items)
    assert all(r.ok for r in results)
    subscriber.wait_for(lambda f: f.event == "booking_updated"
                        and f.data["changed_fields"] == ["44"])
    got = [int(f.data["changed_fields"][0])
           for f in subscriber.events("private-hotel-hotel-paradise-staff")]
    assert got == list(range(45))


def test_invalid_event_is_refused_before_any_http_call(emitter: Emitter, subscriber: Subscriber,
                                                       soketi: SoketiServer,
                                                       contract: Contract) -> None:
    """A payload breaking the contract never leaves the process; a valid one still does."""
    authorizer = ChannelAuthorizer(contract, soketi.key, soketi.secret)
    join(subscriber, authorizer, STAFF, "private-hotel-hotel-paradise-staff")
    transport = emitter.transport
    assert isinstance(transport, CountingTransport)
    before = transport.calls
    with pytest.raises(PayloadRejected, match="first_name"):
        emitter.emit("clock-status-updated", {"user_id": 1, "staff_id": 2, "is_on_duty": True,
                                              "clock_time": AT, "last_name": "Doe",
                                              "action": "clock_in"},
                     hotel_slug="hotel-paradise")
    assert transport.calls == before
    emitter.emit("booking_overstay_acknowledged", {"booking_id": "BK-2025-0002",
                                                   "acknowledged_at": AT},
                 hotel_slug="hotel-paradise")
    arrived(subscriber, "private-hotel-hotel-paradise-staff", "booking_overstay_acknowledged")
    assert [f.event for f in subscriber.events()] == ["booking_overstay_acknowledged"]


def test_soketi_refuses_a_wrong_secret_with_401(contract: Contract, soketi: SoketiServer,
                                                tmp_path: Path) -> None:
    """A wrong app secret is a 401 from the real server: not retried, dead-lettered, no leak."""
    transport = PusherTransport.create(soketi.app_id, soketi.key, "wrong-secret-value",
                                       host=soketi.host, port=soketi.port, ssl=False, timeout=5.0)
    with Emitter(contract, transport, dead_letter=tmp_path / "dead.jsonl") as emitter:
        result = emitter.emit("booking_updated", {"booking_id": "BK-2025-0002", "updated_at": AT},
                              hotel_slug="hotel-paradise")
    assert result.status == 401 and result.attempts == 1 and not result.ok
    assert "wrong-secret-value" not in (tmp_path / "dead.jsonl").read_text()
