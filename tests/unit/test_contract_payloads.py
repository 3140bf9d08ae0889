"""Payload validation agrees with python-jsonschema, finds every violation, and measures bytes."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from hotelmate_rt.contracts import judge, payload_bytes, sensitive_paths
from tests.helpers import CHECKED_IN, shipped_contract

CONTRACT = shipped_contract()

CLOCK = {"user_id": 123, "staff_id": 456, "is_on_duty": True,
         "clock_time": "2025-11-22T14:30:00.000Z", "first_name": "John", "last_name": "Doe",
         "action": "clock_in"}
OFFER = {"offer": {"id": 1, "title": "Spa weekend", "photo_url": None}, "action": "created"}

SAMPLES: list[tuple[str, Any]] = [
    ("clock-status-updated", CLOCK),
    ("clock-status-updated", {**CLOCK, "is_on_duty": "yes"}),
    ("clock-status-updated", {k: v for k, v in CLOCK.items() if k != "action"}),
    ("booking_checked_in", CHECKED_IN),
    ("booking_checked_in", {**CHECKED_IN, "guest_token": "abc"}),
    ("booking_checked_in", {**CHECKED_IN, "status": "CHECKED_IN"}),
    ("offer-created", OFFER),
    ("offer-created", {"offer": {"id": "1"}, "action": "made"}),
    ("new-staff-message", {"id": 9, "message": "Hello!", "sender_type": "staff",
                           "timestamp": "2025-11-22T14:30:00Z", "extra": 1}),
    ("new-staff-message", {"id": 9, "message": "Hello!", "sender_type": "robot"}),
    ("message-delivered", {"message_id": 9, "delivered_at": "x", "status": "delivered"}),
    ("offer-deleted", [1, 2]),
]


@pytest.mark.parametrize(("event", "data"), SAMPLES)
def test_validator_agrees_with_python_jsonschema(event: str, data: Any) -> None:
    """jsonschema-rs and the reference implementation give the same answer and error count."""
    compiled = CONTRACT.events[event]
    assert compiled.validator is not None
    oracle = jsonschema.Draft202012Validator(dict(compiled.schema))
    expected = sorted(oracle.iter_errors(data), key=lambda e: list(e.absolute_path))
    assert compiled.validator.is_valid(data) == (not expected)
    assert len(compiled.validator.violations(data)) == len(expected)


def test_every_violation_has_its_json_path() -> None:
    """A payload broken in two nested places reports both, each with its JSON path."""
    validator = CONTRACT.events["offer-created"].validator
    assert validator is not None
    paths = sorted(v.path for v in validator.violations({"offer": {"id": "1"}, "action": "made"}))
    assert paths == ["$.action", "$.offer", "$.offer.id"]


def test_payload_bytes_are_utf8_not_sys_getsizeof() -> None:
    """Sizes are UTF-8 bytes of the JSON string: 'é' is two bytes, as Pusher counts it."""
    assert payload_bytes({"m": "é"}) == len('{"m": "é"}'.encode())
    assert payload_bytes("ab") == 2


def test_too_large_uses_the_target_limit() -> None:
    """The same payload is too large for hosted Pusher but fine for local soketi."""
    data = {**OFFER, "offer": {"id": 1, "title": "x" * 20_000}}
    on_pusher = judge(CONTRACT, "hotel-killarney", "offer-created", data)
    on_soketi = judge(CONTRACT, "hotel-killarney", "offer-created", data, target="soketi")
    assert [f.kind.value for f in on_pusher.findings] == ["too-large"]
    assert on_soketi.ok


def test_sensitive_paths_are_found_at_any_depth() -> None:
    """Sensitive keys inside nested objects and lists are located."""
    data = {"a": {"guest_token": 1}, "b": [{"email": "x"}], "token": 2}
    assert sensitive_paths(data, frozenset({"guest_token", "email", "token"})) == [
        "$.a.guest_token", "$.b[0].email", "$.token"]
