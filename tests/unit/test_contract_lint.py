"""Lint rules: each broken contract yields its rule at the right line; the shipped one is clean."""

from __future__ import annotations

import pytest

from hotelmate_rt.contracts import lint, load_contract_text
from tests.helpers import CONTRACT_PATH, shipped_contract

SHIPPED = CONTRACT_PATH.read_text()


def lint_text(text: str) -> list:
    """Lint contract text and return the findings."""
    return lint(load_contract_text(text, "broken.yaml"))


def line_of(text: str, needle: str) -> int:
    """Return the 1-based line where `needle` (which may span lines) starts."""
    return text[: text.index(needle)].count("\n") + 1


def test_shipped_contract_lints_clean() -> None:
    """The contract HotelMate ships has no findings."""
    assert lint(shipped_contract()) == []


@pytest.mark.parametrize(("old", "new", "rule", "anchor"), [
    ("template: 'private-room-{hotel_slug}-{room_number}'",
     "template: 'private-room-{hotel_slug}-{room_no}'", "undeclared-parameter", "  room:"),
    ("  offer-deleted:\n    channels: [hotel-public]", "  offer-deleted:\n    channels: []",
     "event-without-channel", "  offer-deleted:"),
    ("  offer-deleted:\n    channels: [hotel-public]", "  offer-deleted:\n    channels: [hotel-pub]",
     "unknown-channel", "  offer-deleted:"),
    ("      - from: CONFIRMED\n        to: NO_SHOW", "      - from: CONFIRMED\n        to: NOSHOW",
     "unknown-state", "- from: CONFIRMED\n        to: NOSHOW"),
    ("emits: [booking_checked_in, booking_status_changed]",
     "emits: [booking_checkedin, booking_status_changed]", "unknown-event",
     "- from: CONFIRMED\n        to: IN_HOUSE"),
    ("  clock-status-updated:\n    # Seed 003 sent this on the public hotel-{hotel_slug} channel",
     "  clock-status-updated:\n    # moved back to the public channel: wrong", None, None),
    ("    replaced_by: [booking_room_assigned]", "    replaced_by: [booking_room_asigned]",
     "alias-to-nothing", "  room_assigned:"),
    ("        replaced_by: IN_HOUSE", "        replaced_by: INHOUSE", "alias-to-nothing",
     "CHECKED_IN:"),
    ("    audiences: [staff]\n    description: one room",
     "    audiences: [public]\n    description: one room",
     "public-audience-on-private,unauthenticated-private", "  room:"),
    ("template: 'private-room-{hotel_slug}-{room_number}'",
     "template: 'room-{hotel_slug}-{room_number}'", "kind-prefix", "  room:"),
    ("template: 'private-room-{hotel_slug}-{room_number}'",
     "template: 'private-room/{hotel_slug}-{room_number}'", "channel-name-limits", "  room:"),
    ("template: 'private-room-{hotel_slug}-{room_number}'",
     "template: 'private-room-" + "x" * 160 + "-{hotel_slug}-{room_number}'",
     "channel-name-limits", "  room:"),
])
def test_each_rule_is_located(old: str, new: str, rule: str | None, anchor: str | None) -> None:
    """A contract broken one way yields exactly that rule, at the broken entry's line."""
    assert old in SHIPPED
    text = SHIPPED.replace(old, new, 1)
    findings = lint_text(text)
    if rule is None:
        assert findings == []
        return
    assert sorted(f.rule for f in findings) == rule.split(","), [str(f) for f in findings]
    assert anchor is not None
    assert findings[0].where.line == line_of(text, anchor)
    assert str(findings[0]).startswith(f"broken.yaml:{findings[0].where.line}:")


def test_sensitive_field_on_public_channel_is_an_error() -> None:
    """Moving clock-status-updated (staff names) onto the public hotel channel is flagged."""
    old = "    channels: [hotel-staff]\n    description: a staff member clocked in or out"
    text = SHIPPED.replace(old, "    channels: [hotel-public]\n    description: a staff member "
                                "clocked in or out")
    [finding] = lint_text(text)
    assert finding.rule == "sensitive-on-public"
    assert "first_name" in finding.message and "last_name" in finding.message
    assert finding.where.line == line_of(text, "  clock-status-updated:")


def test_globally_sensitive_field_in_public_schema_is_flagged() -> None:
    """A guest_token field declared in an offer payload is flagged (it is sensitive everywhere)."""
    text = SHIPPED.replace("        offer_title: {type: string}\n        action: {const: deleted}",
                           "        offer_title: {type: string}\n        guest_token: {type: string}"
                           "\n        action: {const: deleted}")
    [finding] = lint_text(text)
    assert finding.rule == "sensitive-on-public"
    assert "guest_token" in finding.message
