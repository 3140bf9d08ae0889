"""Emitter validation, channel derivation, batching, fan-out actions and the status machine."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hotelmate_rt.contracts import Contract, Finding, VerdictKind
from hotelmate_rt.emitters import Emitter, Outcome, RecordingTransport
from hotelmate_rt.errors import ParameterError, PayloadRejected, TransitionRefused, UnknownName
from tests.helpers import AT, CHECKED_IN

MESSAGE = {"id": 9, "message": "Your towels are on the way", "sender_type": "staff",
           "timestamp": AT, "conversation_id": 45, "room_number": "101"}


@pytest.fixture
def transport() -> RecordingTransport:
    """A transport that records instead of sending."""
    return RecordingTransport()


@pytest.fixture
def emitter(contract: Contract, transport: RecordingTransport) -> Emitter:
    """An emitter over the recording transport, no dead letter."""
    return Emitter(contract, transport, dead_letter=False)


def test_emit_derives_every_contract_channel(emitter: Emitter,
                                             transport: RecordingTransport) -> None:
    """booking_checked_in goes to the guest booking, hotel staff and room channels in one call."""
    result = emitter.emit("booking_checked_in", CHECKED_IN, hotel_slug="hotel-paradise")
    assert result.outcome is Outcome.SENT and result.ok and result.attempts == 1
    assert result.channels == ("private-booking-BK-2025-0002",
                               "private-hotel-hotel-paradise-staff",
                               "private-room-hotel-paradise-101")
    assert len(transport.calls) == 1 and transport.calls[0].kind == "trigger"
    assert [json.loads(e.data) for e in transport.events] == [CHECKED_IN] * 3
    assert result.ids == {"booking_id": "BK-2025-0002", "hotel_slug": "hotel-paradise",
                          "room_number": "101"}
    assert result.to_dict()["outcome"] == "sent"


def test_parameters_conflicting_with_the_payload_are_refused(emitter: Emitter) -> None:
    """A parameter that disagrees with the payload's own field is an error, not a guess."""
    with pytest.raises(ParameterError, match="payload says"):
        emitter.emit("booking_checked_in", CHECKED_IN, hotel_slug="hotel-paradise",
                     booking_id="BK-2025-0003")


def test_missing_and_malformed_parameters(emitter: Emitter) -> None:
    """A missing or malformed channel parameter names the channel and the parameter."""
    with pytest.raises(ParameterError, match="needs hotel_slug"):
        emitter.emit("booking_checked_in", CHECKED_IN)
    with pytest.raises(ParameterError, match="does not look like a hotel_slug"):
        emitter.emit("booking_checked_in", CHECKED_IN, hotel_slug="Hotel Paradise")
    with pytest.raises(ParameterError, match="takes no parameter colour"):
        emitter.emit("booking_checked_in", CHECKED_IN, hotel_slug="hotel-paradise", colour="red")


def test_unknown_and_alias_event_names(emitter: Emitter) -> None:
    """Unknown events suggest a name; aliases name their replacement."""
    with pytest.raises(UnknownName, match="did you mean 'booking_checked_in'"):
        emitter.emit("booking_checkedin", CHECKED_IN)
    with pytest.raises(UnknownName, match="use new-staff-message"):
        emitter.emit("message-received", MESSAGE)


def test_schema_violation_is_refused_before_any_call(emitter: Emitter,
                                                     transport: RecordingTransport) -> None:
    """A payload breaking the schema raises with every violation and sends nothing."""
    bad = {**CHECKED_IN, "status": "CONFIRMED", "guest_token": "abc"}
    with pytest.raises(PayloadRejected) as info:
        emitter.emit("booking_checked_in", bad, hotel_slug="hotel-paradise")
    kinds = {f.kind for f in info.value.findings if isinstance(f, Finding)}
    assert kinds == {VerdictKind.SCHEMA_VIOLATION}
    assert "IN_HOUSE" in str(info.value) and "guest_token" in str(info.value)
    assert transport.calls == []


def test_size_is_measured_in_utf8_bytes(contract: Contract, transport: RecordingTransport) -> None:
    """The payload limit counts UTF-8 bytes of the JSON: 4,000 'é' is 8,000+ bytes."""
    emitter = Emitter(contract, transport, dead_letter=False)
    message = {**MESSAGE, "message": "é" * 4000}
    emitter.emit("new-staff-message", message, hotel_slug="hotel-paradise")
    with pytest.raises(PayloadRejected, match=r"bytes \(UTF-8 JSON\); the limit is 10240"):
        emitter.emit("new-staff-message", {**MESSAGE, "message": "é" * 5200},
                     hotel_slug="hotel-paradise")
    roomy = Emitter(contract, transport, target="soketi", dead_letter=False)
    roomy.emit("new-staff-message", {**MESSAGE, "message": "é" * 5200},
               hotel_slug="hotel-paradise")
    assert len(transport.calls) == 2


def test_sensitive_field_on_a_public_channel_is_refused(emitter: Emitter) -> None:
    """A sensitive field nested in an open schema cannot go to the public hotel channel."""
    offer = {"offer": {"id": 1, "title": "Spa", "contact": {"email": "spa@hotel.test"}},
             "action": "created"}
    with pytest.raises(PayloadRejected) as info:
        emitter.emit("offer-created", offer, hotel_slug="hotel-paradise")
    finding = info.value.findings[0]
    assert isinstance(finding, Finding)
    assert finding.kind is VerdictKind.SENSITIVE_EXPOSED
    assert finding.path == "$.offer.contact.email" and "hotel-hotel-paradise" in finding.message
    clean = {"offer": {"id": 1, "title": "Spa"}, "action": "created"}
    assert emitter.emit("offer-created", clean, hotel_slug="hotel-paradise").ok


def test_not_json_serialisable_is_refused(emitter: Emitter) -> None:
    """A payload json cannot encode is refused with a clear reason."""
    offer: dict[str, Any] = {"offer": {"id": 1, "title": "x", "price": 1}, "action": "created"}
    offer["offer"]["photo_url"] = None
    offer["offer"]["extra"] = {1, 2}
    with pytest.raises(PayloadRejected):
        emitter.emit("offer-created", offer, hotel_slug="hotel-paradise")


def test_only_restricts_to_named_channels(emitter: Emitter) -> None:
    """`only` sends to a subset of the contract's channels and refuses one it does not name."""
    result = emitter.emit("booking_checked_in", CHECKED_IN, only=("guest-booking",))
    assert result.channels == ("private-booking-BK-2025-0002",)
    with pytest.raises(UnknownName, match="not carried by hotel-public"):
        emitter.emit("booking_checked_in", CHECKED_IN, only=("hotel-public",))


def test_batches_hold_at_most_ten_events(contract: Contract, transport: RecordingTransport) -> None:
    """25 events on 2 channels each (50 wire events) go out as batches of at most 10."""
    emitter = Emitter(contract, transport, dead_letter=False, lanes=1)
    items = [("booking_updated", {"booking_id": f"BK-2025-{i:04d}", "updated_at": AT},
              {"hotel_slug": "hotel-paradise"}) for i in range(25)]
    results = emitter.emit_many(items)
    assert all(r.outcome is Outcome.SENT for r in results)
    assert [len(c.events) for c in transport.calls] == [10, 10, 10, 10, 10]
    assert all(c.kind == "batch" for c in transport.calls)
    sent = [(e.channel, json.loads(e.data)["booking_id"]) for e in transport.events]
    assert sent[:2] == [("private-booking-BK-2025-0000", "BK-2025-0000"),
                        ("private-hotel-hotel-paradise-staff", "BK-2025-0000")]


def test_lanes_keep_per_channel_order(contract: Contract, transport: RecordingTransport) -> None:
    """With parallel lanes every channel still receives its events in emit order."""
    emitter = Emitter(contract, transport, dead_letter=False, lanes=4)
    items = [("booking_updated", {"booking_id": f"BK-2025-{i % 7:04d}", "updated_at": AT,
                                  "changed_fields": [str(i)]}, {"hotel_slug": "hotel-paradise"})
             for i in range(60)]
    emitter.emit_many(items)
    assert all(len(c.events) <= 10 for c in transport.calls)
    per_channel: dict[str, list[int]] = {}
    for event in transport.events:
        per_channel.setdefault(event.channel, []).append(
            int(json.loads(event.data)["changed_fields"][0]))
    assert len(transport.events) == 120
    assert all(seq == sorted(seq) for seq in per_channel.values())
    assert len(per_channel["private-hotel-hotel-paradise-staff"]) == 60
    emitter.close()


def test_a_trigger_holds_at_most_100_channels(contract: Contract) -> None:
    """An event to more than 100 channels is split into triggers of at most 100."""
    transport = RecordingTransport()
    emitter = Emitter(contract, transport, dead_letter=False)
    attempted = emitter._send_trigger([f"private-booking-BK-2025-{i:04d}" for i in range(250)],
                                      "booking_updated", "{}", None)
    assert attempted.error is None
    assert [len(c.events) for c in transport.calls] == [100, 100, 50]


def test_batch_context_sends_together_or_not_at_all(emitter: Emitter,
                                                    transport: RecordingTransport) -> None:
    """A batch block sends once at the end; an exception inside it sends nothing."""
    with emitter.batch() as batch:
        batch.emit("booking_checked_in", CHECKED_IN, hotel_slug="hotel-paradise")
        batch.emit("booking_updated", {"booking_id": "BK-2025-0002", "updated_at": AT},
                   hotel_slug="hotel-paradise")
        assert transport.calls == []
    assert len(batch) == 2 and [len(c.events) for c in transport.calls] == [5]
    assert [r.outcome for r in batch.results] == [Outcome.SENT, Outcome.SENT]
    with pytest.raises(RuntimeError), emitter.batch() as failing:
        failing.emit("booking_checked_in", CHECKED_IN, hotel_slug="hotel-paradise")
        raise RuntimeError("business failure")
    assert len(transport.calls) == 1


def test_staff_message_fan_out(emitter: Emitter, transport: RecordingTransport) -> None:
    """The staff-message action sends its three events, in order, with per-event payloads."""
    delivered = {"message_id": 9, "delivered_at": AT, "status": "delivered"}
    results = emitter.emit_action(
        "staff_message_to_guest",
        payloads={"new-staff-message": MESSAGE, "new-message": MESSAGE,
                  "message-delivered": delivered},
        hotel_slug="hotel-paradise", room_number="101", conversation_id=45)
    assert [(r.event, r.channels) for r in results] == [
        ("new-staff-message", ("private-hotel-paradise-room-101-chat",)),
        ("new-message", ("private-hotel-paradise-conversation-45-chat",)),
        ("message-delivered", ("private-hotel-paradise-conversation-45-chat",))]
    assert len(transport.calls) == 1
    assert json.loads(transport.events[2].data) == delivered


def test_fan_out_needs_exactly_its_payloads(emitter: Emitter) -> None:
    """A missing or foreign payload in a fan-out is an error naming it."""
    with pytest.raises(ParameterError, match="missing payloads for message-delivered"):
        emitter.emit_action("staff_message_to_guest",
                            payloads={"new-staff-message": MESSAGE, "new-message": MESSAGE},
                            hotel_slug="hotel-paradise", room_number="101", conversation_id=45)
    with pytest.raises(ParameterError, match="offer-created is not a step"):
        emitter.emit_action("staff_message_to_guest",
                            payloads={"new-staff-message": MESSAGE, "new-message": MESSAGE,
                                      "message-delivered": {}, "offer-created": {}},
                            hotel_slug="hotel-paradise", room_number="101", conversation_id=45)
    with pytest.raises(UnknownName, match="no action named"):
        emitter.emit_action("staff_message", payloads={})


def test_transition_emits_exactly_the_contract_events(emitter: Emitter,
                                                      transport: RecordingTransport) -> None:
    """CONFIRMED -> IN_HOUSE emits booking_checked_in and booking_status_changed, one batch."""
    results = emitter.transition("BK-2025-0002", "CONFIRMED", "IN_HOUSE",
                                 {"room_number": "101", "changed_by": "reception"},
                                 at=AT, hotel_slug="hotel-paradise")
    assert [r.event for r in results] == ["booking_checked_in", "booking_status_changed"]
    assert len(transport.calls) == 1 and len(transport.events) == 5
    checked_in = json.loads(transport.events[0].data)
    assert checked_in == {"booking_id": "BK-2025-0002", "status": "IN_HOUSE",
                          "room_number": "101", "checked_in_at": AT}
    changed = json.loads(transport.events[3].data)
    assert changed == {"booking_id": "BK-2025-0002", "from_status": "CONFIRMED",
                       "status": "IN_HOUSE", "changed_at": AT, "changed_by": "reception"}


@pytest.mark.parametrize(("source", "target", "events"), [
    ("PENDING_PAYMENT", "CONFIRMED", ["payment_success", "booking_status_changed"]),
    ("PENDING_APPROVAL", "DECLINED", ["booking_declined", "booking_status_changed"]),
    ("CONFIRMED", "CANCELLED", ["booking_cancelled", "booking_status_changed"]),
    ("PENDING_PAYMENT", "EXPIRED", ["booking_status_changed"]),
])
def test_each_transition_emits_its_events(emitter: Emitter, source: str, target: str,
                                          events: list[str]) -> None:
    """Every audited transition emits its specific event plus booking_status_changed."""
    results = emitter.transition("BK-2025-0002", source, target, hotel_slug="hotel-paradise")
    assert [r.event for r in results] == events and all(r.ok for r in results)


def test_illegal_transitions_are_refused(emitter: Emitter, transport: RecordingTransport) -> None:
    """A transition the machine does not allow, or an aliased status, is refused with options."""
    with pytest.raises(TransitionRefused, match="may go to IN_HOUSE, CANCELLED, NO_SHOW"):
        emitter.transition("BK-2025-0002", "CONFIRMED", "COMPLETED", hotel_slug="hotel-paradise")
    with pytest.raises(TransitionRefused, match="'CHECKED_IN' is a wrong name; use 'IN_HOUSE'"):
        emitter.transition("BK-2025-0002", "CONFIRMED", "CHECKED_IN", hotel_slug="hotel-paradise")
    with pytest.raises(TransitionRefused, match="not a booking status"):
        emitter.transition("BK-2025-0002", "LOST", "CONFIRMED", hotel_slug="hotel-paradise")
    with pytest.raises(TransitionRefused, match="nothing"):
        emitter.transition("BK-2025-0002", "COMPLETED", "IN_HOUSE", hotel_slug="hotel-paradise")
    assert transport.calls == []


def test_transition_rejects_undeclared_data_and_overrides(emitter: Emitter) -> None:
    """Data no emitted event declares is an error, as is an override for a foreign event."""
    with pytest.raises(ParameterError, match="declares wifi_pin"):
        emitter.transition("BK-2025-0002", "CONFIRMED", "IN_HOUSE",
                           {"room_number": "101", "wifi_pin": "1"}, hotel_slug="hotel-paradise")
    with pytest.raises(ParameterError, match="does not emit payment_success"):
        emitter.transition("BK-2025-0002", "CONFIRMED", "IN_HOUSE", {"room_number": "101"},
                           payloads={"payment_success": {}}, hotel_slug="hotel-paradise")


def test_transition_override_payload_is_validated(emitter: Emitter) -> None:
    """An explicit per-event payload replaces the built one and is still validated."""
    with pytest.raises(PayloadRejected, match="checked_in_at"):
        emitter.transition("BK-2025-0002", "CONFIRMED", "IN_HOUSE", {"room_number": "101"},
                           payloads={"booking_checked_in": {"booking_id": "BK-2025-0002",
                                                            "status": "IN_HOUSE",
                                                            "room_number": "101"}},
                           hotel_slug="hotel-paradise")
