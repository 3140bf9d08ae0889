"""The shipped contract loads, and malformed contracts fail with file:line and a plain fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotelmate_rt.contracts import ProblemKind, load_contract, load_contract_text
from hotelmate_rt.errors import ContractLoadError
from tests.helpers import CONTRACT_PATH

SHIPPED = CONTRACT_PATH


def problems_of(text: str) -> list:
    """Load contract text expecting failure and return the problems."""
    with pytest.raises(ContractLoadError) as info:
        load_contract_text(text, "broken.yaml")
    return info.value.problems


def test_shipped_contract_loads_with_every_seed_channel_and_event() -> None:
    """Every channel and event the seeds name is in the contract, directly or as an alias."""
    contract = load_contract(SHIPPED)
    seed_channels = ["booking.BK-2025-0002", "booking-BK-2025-0002", "hotel-killarney",
                     "hotel-paradise-room-101-chat", "hotel-paradise-conversation-45-chat",
                     "staff-hotel-paradise", "hotel-paradise-public", "room-hotel-paradise-101"]
    for name in seed_channels:
        assert contract.match_channel(name) is not None, name
    seed_events = ["booking_checked_in", "booking_checked_out", "booking_room_assigned",
                   "booking_status_changed", "new-staff-message", "new-message",
                   "message-delivered", "clock-status-updated", "offer-created", "offer-updated",
                   "offer-deleted", "offer-image-updated", "booking_overstay_flagged",
                   "booking_overstay_acknowledged", "booking_overstay_extended", "booking_updated",
                   "booking_created", "booking_cancelled", "booking_approved", "booking_declined",
                   "payment_success"]
    assert set(seed_events) <= set(contract.events)
    for alias in ["message-received", "offers-updated", "room_assigned", "overstay_flagged"]:
        assert all(t in contract.events for t in contract.event_aliases[alias].replaced_by)
    machine = contract.state_machine("booking")
    assert set(machine.states) == {"PENDING_PAYMENT", "PENDING_APPROVAL", "CONFIRMED", "IN_HOUSE",
                                   "COMPLETED", "CANCELLED", "DECLINED", "EXPIRED", "NO_SHOW"}
    assert machine.canonical_state("CHECKED_IN")[0] == "IN_HOUSE"
    assert machine.canonical_state("CHECKED_OUT")[0] == "COMPLETED"
    steps = [s.event for s in contract.action("staff_message_to_guest").steps]
    assert steps == ["new-staff-message", "new-message", "message-delivered"]


def test_invalid_yaml_names_line_and_column() -> None:
    """A YAML syntax error names the line and column where the parser stopped."""
    [problem] = problems_of("version: 1\nchannels:\n  a: [unclosed\nevents: {}\n")
    assert problem.kind is ProblemKind.YAML_SYNTAX
    assert problem.where.line == 4
    assert str(problem).startswith("broken.yaml:4:")


def test_unknown_key_suggests_the_right_one() -> None:
    """A typo'd top-level key is located and gets a 'did you mean'."""
    text = SHIPPED.read_text().replace("\nevents:\n", "\nevnts:\n")
    found = problems_of(text)
    unknown = [p for p in found if p.kind is ProblemKind.UNKNOWN_KEY]
    assert unknown and "did you mean 'events'" in str(unknown[0]).lower()
    line = SHIPPED.read_text().splitlines().index("events:") + 1
    assert unknown[0].where.line == line
    assert any(p.kind is ProblemKind.MISSING_KEY for p in found)


def test_bad_regex_is_a_load_error_on_its_line() -> None:
    """A parameter pattern that is not a regex fails the load at the pattern's line."""
    text = SHIPPED.read_text().replace("pattern: '[0-9]{1,12}'", "pattern: '[0-9'")
    [problem] = problems_of(text)
    assert problem.kind is ProblemKind.BAD_PATTERN
    assert "not a valid regular expression" in problem.message
    lines = text.splitlines()
    assert "'[0-9'" in lines[problem.where.line - 1]


def test_bad_json_schema_is_a_load_error() -> None:
    """A payload schema that does not compile fails the load with its key path."""
    text = SHIPPED.read_text().replace("offer_title: {type: string}\n        action: {const: deleted}",
                                       "offer_title: {type: strng}\n        action: {const: deleted}")
    [problem] = problems_of(text)
    assert problem.kind is ProblemKind.BAD_SCHEMA
    assert problem.where.path == "events.offer-deleted.schema"


def test_wrong_kind_value_and_duplicate_key_are_reported_together() -> None:
    """Several problems in one file are all reported, not just the first."""
    text = SHIPPED.read_text().replace("kind: private\n    audiences: [staff]\n    description: "
                                       "one room", "kind: privat\n    audiences: [staff]\n    "
                                       "description: one room")
    text = text.replace("version: 1\n", "version: 1\nversion: 1\n", 1)
    found = problems_of(text)
    kinds = {p.kind for p in found}
    assert kinds == {ProblemKind.BAD_VALUE, ProblemKind.DUPLICATE_KEY}
    bad = next(p for p in found if p.kind is ProblemKind.BAD_VALUE)
    assert "did you mean 'private'" in bad.fix.lower()


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    """A missing contract file says so and how to point at one."""
    with pytest.raises(ContractLoadError) as info:
        load_contract(tmp_path / "nope.yaml")
    assert "not found" in str(info.value)
    assert "HOTELMATE_RT_CONTRACT" in str(info.value)


def test_malformed_template_is_a_load_error() -> None:
    """A template with a broken placeholder fails the load."""
    text = SHIPPED.read_text().replace("template: 'private-room-{hotel_slug}-{room_number}'",
                                       "template: 'private-room-{hotel_slug-{room_number}'")
    found = problems_of(text)
    assert [p.kind for p in found] == [ProblemKind.BAD_TEMPLATE]
