"""judge() at its edges: aliases still schema-checked, UTF-8 sizes, limits, findings as data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hotelmate_rt.contracts import Contract, VerdictKind, judge, load_contract, load_contract_text

CONTRACT = load_contract(Path(__file__).resolve().parents[2] / "channels.yaml")
BOOKING = "private-booking-BK-2025-0002"
ASSIGNED = {"booking_id": "BK-2025-0002", "room_number": "101",
            "assigned_at": "2025-11-22T14:30:00Z"}
SMALL = """
version: 1
targets: {tiny: {max_payload_bytes: 20}}
default_target: tiny
channels:
  open: {template: open, kind: public, audiences: [public], aliases: [{template: opened}]}
audiences: {public: {authenticates: false}}
events:
  note: {channels: [open], schema: {type: string}}
  maybe: {channels: [open], schema: {type: [string, 'null'], minLength: 2}}
  orphan: {channels: [], schema: {}}
"""


@pytest.fixture(scope="module")
def small() -> Contract:
    """A contract whose default target allows 20 bytes of data."""
    return load_contract_text(SMALL, "small.yaml")


def test_a_deprecated_event_name_is_still_checked_against_its_schema() -> None:
    """`room_assigned` names its replacement and is still validated as booking_room_assigned."""
    verdict = judge(CONTRACT, BOOKING, "room_assigned", {**ASSIGNED, "room_number": 101})
    assert verdict.kinds == [VerdictKind.DEPRECATED_NAME, VerdictKind.SCHEMA_VIOLATION]
    assert verdict.canonical_event == "booking_room_assigned"
    deprecated, violation = verdict.findings
    assert deprecated.replacement == "booking_room_assigned"
    assert "deprecated name; use booking_room_assigned" in deprecated.message
    assert violation.path == "$.room_number"
    assert judge(CONTRACT, BOOKING, "room_assigned", ASSIGNED).kinds == [
        VerdictKind.DEPRECATED_NAME]


def test_an_alias_with_several_replacements_names_them_all_and_checks_no_schema() -> None:
    """`offers-updated` lists its four replacements; no single schema applies to it."""
    verdict = judge(CONTRACT, "hotel-hotel-paradise", "offers-updated", {"anything": 1})
    assert verdict.kinds == [VerdictKind.DEPRECATED_NAME]
    assert verdict.canonical_event is None
    assert verdict.findings[0].replacement == (
        "offer-created / offer-updated / offer-deleted / offer-image-updated")


def test_payload_size_is_counted_in_utf8_bytes(small: Contract) -> None:
    """Nine `é` are 11 characters of JSON but 20 bytes; ten are too large for 20 bytes."""
    fits = judge(small, "open", "note", json.dumps("é" * 9, ensure_ascii=False))
    assert (fits.size, fits.ok) == (20, True)
    assert judge(small, "open", "note", {"é": 1}).size == len('{"é": 1}'.encode())
    over = judge(small, "open", "note", json.dumps("é" * 10, ensure_ascii=False))
    assert over.size == 22
    assert over.kinds == [VerdictKind.TOO_LARGE]
    assert over.findings[0].message == "payload is 22 bytes (UTF-8 JSON); the limit is 20"


def test_the_size_limit_is_inclusive_and_follows_the_target(small: Contract) -> None:
    """Exactly the limit conforms, one byte more is too large; a bigger target raises the limit."""
    assert judge(small, "open", "note", json.dumps("x" * 18)).ok
    assert judge(small, "open", "note", json.dumps("x" * 19)).kinds == [VerdictKind.TOO_LARGE]
    large = "x" * 20_000
    assert judge(CONTRACT, "hotel-hotel-paradise", "offer-deleted",
                 {"offer_id": 1, "offer_title": large, "action": "deleted"}).kinds == [
        VerdictKind.TOO_LARGE]
    assert judge(CONTRACT, "hotel-hotel-paradise", "offer-deleted",
                 {"offer_id": 1, "offer_title": large, "action": "deleted"}, "soketi").ok


def test_json_text_is_decoded_before_validation(small: Contract) -> None:
    """A JSON string is decoded and then validated; text that is not JSON is not validated."""
    assert judge(small, "open", "note", '"hello"').ok
    assert judge(small, "open", "note", "17").kinds == [VerdictKind.SCHEMA_VIOLATION]
    not_json = judge(small, "open", "note", "hello")
    assert not_json.kinds == [VerdictKind.NOT_JSON]
    assert not_json.findings[0].message.startswith("data is not JSON (")


def test_names_are_judged_once_per_pair_and_stay_right(small: Contract) -> None:
    """Judging the same names again (from the cache) gives the same findings, data judged anew."""
    first = judge(small, "closed", "note", '"a"')
    again = judge(small, "closed", "note", "1")
    assert first.kinds == [VerdictKind.UNKNOWN_CHANNEL]
    assert again.kinds == [VerdictKind.UNKNOWN_CHANNEL, VerdictKind.SCHEMA_VIOLATION]
    assert first.findings[0].message == "channel 'closed' matches no channel in the contract"


def test_unexpected_channel_and_sensitive_fields_are_located() -> None:
    """An event on a channel that does not carry it, with a sensitive field, says both."""
    data = {"offer_id": 1, "offer_title": "t", "action": "deleted", "nested": {"guest_token": "x"}}
    verdict = judge(CONTRACT, BOOKING, "offer-deleted", data)
    assert verdict.kinds == [VerdictKind.UNEXPECTED_CHANNEL, VerdictKind.SCHEMA_VIOLATION]
    assert verdict.findings[0].message == "offer-deleted is carried by hotel-public, not guest-booking"
    public = judge(CONTRACT, "hotel-hotel-paradise", "offer-deleted", data)
    sensitive = [f for f in public.findings if f.kind is VerdictKind.SENSITIVE_EXPOSED]
    assert [f.path for f in sensitive] == ["$.nested.guest_token"]
    assert "public channel 'hotel-hotel-paradise'" in sensitive[0].message


def test_a_wrong_channel_name_points_at_the_canonical_one() -> None:
    """`booking.BK-2025-0002` (a wrong alias) is reported with the canonical channel to use."""
    verdict = judge(CONTRACT, "booking.BK-2025-0002", "booking_room_assigned", ASSIGNED)
    finding = verdict.findings[0]
    assert finding.kind is VerdictKind.WRONG_CHANNEL_NAME
    assert finding.replacement == BOOKING
    assert verdict.channel_id == "guest-booking"


def test_verdicts_and_findings_as_data() -> None:
    """to_dict() carries ok, kinds, ids, size and each finding's path or replacement when set."""
    verdict = judge(CONTRACT, BOOKING, "room_assigned", {**ASSIGNED, "room_number": 101})
    out = verdict.to_dict()
    assert out["ok"] is False and out["channel"] == BOOKING and out["event"] == "room_assigned"
    assert out["verdict"] == ["deprecated-name", "schema-violation"]
    assert out["channel_id"] == "guest-booking"
    assert out["canonical_event"] == "booking_room_assigned"
    assert out["size"] == len(json.dumps({**ASSIGNED, "room_number": 101}))
    deprecated, violation = out["findings"]
    assert deprecated["replacement"] == "booking_room_assigned" and "path" not in deprecated
    assert violation["path"] == "$.room_number" and "replacement" not in violation
    ok = judge(CONTRACT, BOOKING, "booking_room_assigned", ASSIGNED).to_dict()
    assert ok["ok"] is True and ok["verdict"] == ["conforms"] and ok["findings"] == []


def test_names_findings_say_exactly_what_is_wrong(small: Contract) -> None:
    """Unknown names leave ids unset; messages name the alias, the guess and who carries what."""
    unknown = judge(small, "shut", "zzz", '"a"')
    assert (unknown.channel_id, unknown.canonical_event) == (None, None)
    assert [f.message for f in unknown.findings] == [
        "channel 'shut' matches no channel in the contract", "event 'zzz' is not in the contract"]
    guessed = judge(small, "open", "notes", '"a"')
    assert guessed.findings[0].message == "event 'notes' is not in the contract; did you mean 'note'?"
    assert guessed.findings[0].replacement == "note"
    known = judge(small, "opened", "note", '"a"')
    assert (known.channel_id, known.canonical_event) == ("open", "note")
    assert known.findings[0].message == "channel 'opened' is a deprecated name (alias); use 'open'"
    assert judge(small, "open", "orphan", "{}").findings[0].message == (
        "orphan is carried by no channel, not open")
    carried = judge(CONTRACT, "hotel-hotel-paradise", "booking_room_assigned", ASSIGNED)
    assert carried.findings[0].message == (
        "booking_room_assigned is carried by guest-booking, hotel-staff, room, not hotel-public")


def test_the_payload_itself_is_validated(small: Contract) -> None:
    """A schema that accepts null still refuses a bad payload: the data is what gets validated."""
    assert judge(small, "open", "maybe", "null").ok
    verdict = judge(small, "open", "maybe", '"a"')
    assert verdict.kinds == [VerdictKind.SCHEMA_VIOLATION]
    assert verdict.findings[0].message == '"a" is shorter than 2 characters'
    assert verdict.findings[0].path == "$"


def test_sensitive_field_message_names_the_risk() -> None:
    """A sensitive field on a public channel says who can read it."""
    data = {"offer_id": 1, "offer_title": "t", "action": "deleted", "password": "x"}
    verdict = judge(CONTRACT, "hotel-hotel-paradise", "offer-deleted", data)
    assert verdict.findings[-1].message == (
        "sensitive field $.password on public channel 'hotel-hotel-paradise', readable by anyone "
        "with the app key")
    assert verdict.findings[-1].to_dict() == {
        "kind": "sensitive-exposed", "message": verdict.findings[-1].message, "path": "$.password"}
