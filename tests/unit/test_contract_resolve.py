"""The contract resolution API: channel names, event names and payloads, asked one way by all."""

from __future__ import annotations

import json

import pytest

from hotelmate_rt.contracts import (
    Contract,
    NameStatus,
    VerdictKind,
    judge,
    load_contract_text,
    payload_rules,
    resolve_channel,
    resolve_event,
)
from hotelmate_rt.emitters import Emitter, RecordingTransport
from hotelmate_rt.errors import PayloadRejected, UnknownName
from tests.helpers import CHECKED_IN


def test_canonical_channel_gives_its_parameters(contract: Contract) -> None:
    """A canonical name resolves to its channel and the parameters that render it."""
    name = resolve_channel(contract, "private-hotel-paradise-room-101-chat")
    assert name.status is NameStatus.CANONICAL and name.channel is not None
    assert name.channel.id == "guest-room-chat"
    assert name.match is not None and name.match.params == {"hotel_slug": "hotel-paradise",
                                                            "room_number": "101"}
    assert name.finding() is None


@pytest.mark.parametrize(("channel", "status", "kind"), [
    ("booking.BK-2025-0002", NameStatus.WRONG, VerdictKind.WRONG_CHANNEL_NAME),
    ("booking-BK-2025-0002", NameStatus.DEPRECATED, VerdictKind.DEPRECATED_NAME),
])
def test_channel_aliases_name_the_canonical_replacement(contract: Contract, channel: str,
                                                        status: NameStatus,
                                                        kind: VerdictKind) -> None:
    """A wrong or deprecated alias keeps its status and names the canonical channel name."""
    name = resolve_channel(contract, channel)
    assert name.status is status
    assert name.canonical == "private-booking-BK-2025-0002"
    finding = name.finding()
    assert finding is not None and finding.kind is kind
    assert finding.replacement == "private-booking-BK-2025-0002"


def test_unknown_channel_suggests_the_closest_template(contract: Contract) -> None:
    """A name that fits nothing is unknown, with the closest canonical template suggested."""
    name = resolve_channel(contract, "private-boking-{*}")
    assert name.status is NameStatus.UNKNOWN and name.channel is None
    assert name.suggestion == "private-booking-{booking_id}"
    assert resolve_channel(contract, "hm-debug-feed").suggestion is None


def test_patterns_with_holes_resolve_like_the_scan_sees_them(contract: Contract) -> None:
    """`{*}` fills one parameter slot; literal text around it must still match."""
    canonical = resolve_channel(contract, "private-{*}-room-{*}-chat")
    assert canonical.status is NameStatus.CANONICAL
    assert canonical.canonical == "private-{hotel_slug}-room-{room_number}-chat"
    alias = resolve_channel(contract, "{*}-room-{*}-chat")
    assert alias.status is NameStatus.DEPRECATED and alias.template == \
        "{hotel_slug}-room-{room_number}-chat"
    assert resolve_channel(contract, "hotel-{*}-staff-{*}-notifications").channel is None


def test_event_names_canonical_wrong_deprecated_and_unknown(contract: Contract) -> None:
    """Each kind of event name resolves with its replacement or a 'did you mean'."""
    assert resolve_event(contract, "booking_checked_in").status is NameStatus.CANONICAL
    wrong = resolve_event(contract, "message-received")
    assert wrong.status is NameStatus.WRONG and wrong.replaced_by == ("new-staff-message",)
    assert wrong.event is not None and wrong.event.name == "new-staff-message"
    several = resolve_event(contract, "offers-updated")
    assert several.status is NameStatus.DEPRECATED and several.event is None
    assert several.replacement == "offer-created / offer-updated / offer-deleted / " \
                                  "offer-image-updated"
    unknown = resolve_event(contract, "booking_checkedin")
    assert unknown.status is NameStatus.UNKNOWN and unknown.suggestion == "booking_checked_in"
    assert unknown.problem == "event 'booking_checkedin' is not in the contract; did you mean " \
                              "'booking_checked_in'?"


def test_contract_event_raises_the_resolution_problem(contract: Contract) -> None:
    """`Contract.event` refuses a non-canonical name with the resolution API's sentence."""
    with pytest.raises(UnknownName, match="is a wrong name; use new-staff-message"):
        contract.event("message-received")


def test_payload_checks_on_the_wire(contract: Contract) -> None:
    """Received data: not JSON, too large for the target, schema paths, sensitive on public."""
    rules = payload_rules(contract, contract.events["offer-created"])
    assert rules.check_wire("{oops").encoding[0].kind is VerdictKind.NOT_JSON
    big = json.dumps({"offer": {"id": 1, "title": "x" * 20_000}, "action": "created"})
    assert [f.kind for f in rules.check_wire(big).findings] == [VerdictKind.TOO_LARGE]
    assert payload_rules(contract, contract.events["offer-created"], "soketi").check_wire(big).ok
    leaky = {"offer": {"id": 1, "title": "Spa", "email": "a@b.c"}, "action": "created"}
    assert rules.check_wire(leaky).ok
    exposed = rules.check_wire(leaky, public_channel="hotel-paradise")
    assert [(f.kind, f.path) for f in exposed.content] == [
        (VerdictKind.SENSITIVE_EXPOSED, "$.offer.email")]


def test_value_that_json_cannot_encode_is_not_json(contract: Contract) -> None:
    """A value about to be sent that cannot be encoded is one not-json finding, no text."""
    check = payload_rules(contract, contract.events["offer-created"]).check_value({"x": {1, 2}})
    assert check.text is None and [f.kind for f in check.findings] == [VerdictKind.NOT_JSON]


def test_emitter_and_judge_agree_on_a_payload(contract: Contract) -> None:
    """The Emitter refuses what `judge` flags, with the same kinds, paths and sizes."""
    bad = {**CHECKED_IN, "status": "CHECKED_IN", "colour": "red"}
    emitter = Emitter(contract, RecordingTransport(), dead_letter=False)
    with pytest.raises(PayloadRejected) as info:
        emitter.emit("booking_checked_in", bad, hotel_slug="hotel-paradise")
    refused = sorted((f.kind, f.path) for f in info.value.findings)  # type: ignore[attr-defined]
    verdict = judge(contract, "private-booking-BK-2025-0002", "booking_checked_in", bad)
    assert refused == sorted((f.kind, f.path) for f in verdict.findings)
    prepared = emitter.prepare("booking_checked_in", CHECKED_IN, hotel_slug="hotel-paradise")
    received = judge(contract, prepared.channels[0], "booking_checked_in", prepared.data)
    assert received.ok and received.size == len(prepared.data.encode())


# -- edges found by mutation testing (`make mutation`) ------------------------------------------

SHAPES = """version: 1
parameters:
  x: {pattern: '[a-z]+', example: ab}
  y: {pattern: '.*', example: anything}
  w: {pattern: '[0-9]+', example: '1'}
audiences:
  public: {authenticates: false}
channels:
  anything: {template: '{y}', kind: public, audiences: [public],
             aliases: [{template: 'ab-{y}', status: deprecated}]}
  ab: {template: 'ab-{x}', kind: public, audiences: [public]}
  pair: {template: 'p-{x}-{z}', kind: public, audiences: [public]}
  big: {template: 'big-{w}', kind: public, audiences: [public],
        aliases: [{template: 'old-big-{x}', status: deprecated}]}
events:
  e: {channels: [anything, ab, pair, big], schema: {type: object}}
"""
"""`{y}` takes anything, so a pattern can fit several templates; `z` is undeclared."""


@pytest.fixture()
def shapes() -> Contract:
    """The small contract whose templates compete for the same `{*}` patterns."""
    return load_contract_text(SHAPES, "shapes.yaml")


def test_the_most_specific_template_wins_then_canonical_before_alias(shapes: Contract) -> None:
    """`ab-{*}` fits `{y}`, the alias `ab-{y}` and `ab-{x}`: the canonical `ab-{x}` wins."""
    name = resolve_channel(shapes, "ab-{*}")
    assert name.status is NameStatus.CANONICAL and name.template == "ab-{x}"
    assert resolve_channel(shapes, "zz-{*}").template == "{y}"


def test_each_slot_takes_its_own_pattern_or_holes(contract: Contract, shapes: Contract) -> None:
    """A concrete value next to a hole must fit its parameter's pattern (undeclared: Pusher's)."""
    assert resolve_channel(contract, "private-hotel-paradise-room-{*}-chat").channel is not None
    assert resolve_channel(contract, "private-HOTEL-room-{*}-chat").channel is None
    assert resolve_channel(shapes, "p-{*}-A_b.c").template == "p-{x}-{z}"
    assert resolve_channel(shapes, "p-{*}-a/b").template == "{y}"


def test_a_template_too_large_for_re2_only_loses_its_own_pattern_entry(shapes: Contract) -> None:
    """When one index regex is past RE2's budget, that entry alone is left out: not its aliases."""
    from hotelmate_rt.contracts.model import Location, Parameter

    assert resolve_channel(shapes, "big-{*}").template == "big-{w}"
    shapes.parameters["w"] = Parameter("w", ".{1000}" * 60, "", "", Location("s", 0, 0))
    shapes._resolved.clear()
    assert resolve_channel(shapes, "big-{*}").template == "{y}"
    assert resolve_channel(shapes, "old-big-{*}").template == "old-big-{x}"


def test_resolved_names_keep_the_name_asked_and_the_alias_note(contract: Contract) -> None:
    """Every resolution carries the name it was asked about; an event alias keeps its note."""
    assert resolve_channel(contract, "private-booking-BK-2025-0002").name == \
        "private-booking-BK-2025-0002"
    assert resolve_event(contract, "booking_checked_in").name == "booking_checked_in"
    wrong = resolve_event(contract, "message-received")
    assert wrong.name == "message-received"
    assert wrong.note == contract.event_aliases["message-received"].note != ""


def test_an_unknown_channel_finding_carries_the_suggestion(contract: Contract) -> None:
    """The finding says "did you mean" and offers the closest template as the replacement."""
    finding = resolve_channel(contract, "private-boking-{*}").finding()
    assert finding is not None and finding.kind is VerdictKind.UNKNOWN_CHANNEL
    assert finding.message.endswith("; did you mean 'private-booking-{booking_id}'?")
    assert finding.replacement == "private-booking-{booking_id}"


def test_payload_checks_at_the_edges(contract: Contract) -> None:
    """Exactly the limit fits; not-JSON keeps its text and size; a JSON string is checked whole."""
    rules = payload_rules(contract, None)
    exact = json.dumps("x" * (rules.limit - 2))
    assert rules.check_wire(exact).size == rules.limit and rules.check_wire(exact).ok
    assert [f.kind for f in rules.check_wire(json.dumps("x" * (rules.limit - 1))).findings] == [
        VerdictKind.TOO_LARGE]
    broken = rules.check_wire("{oops")
    assert (broken.text, broken.size) == ("{oops", 5)
    unsendable = rules.check_value({"x": {1, 2}})
    assert unsendable.size == 0
    assert unsendable.findings[0].message.startswith("payload is not JSON-serialisable: ")
    leaky = payload_rules(contract, contract.events["offer-created"])
    text = json.dumps({"offer": {"id": 1, "title": "Spa", "email": "a@b.c"}, "action": "created"})
    exposed = leaky.check_wire(text, public_channel="hotel-paradise")
    assert [f.path for f in exposed.content] == ["$.offer.email"]
