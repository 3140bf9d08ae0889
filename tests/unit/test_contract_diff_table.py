"""`contract diff` judges each contract edit with the expected check ids and levels (a table of edits)."""

from __future__ import annotations

import copy
import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from hotelmate_rt.contracts import load_contract, load_contract_text
from hotelmate_rt.contracts.diff import DiffCheck, Level, diff_contracts

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = (ROOT / "channels.yaml").read_text()
DATA = yaml.safe_load(SHIPPED)
TODAY = datetime.date(2026, 1, 1)
LATER = datetime.date(2030, 1, 1)
EARLIER = datetime.date(2025, 1, 1)

Edit = Callable[[dict[str, Any]], None]
E, W, I = Level.ERR, Level.WARN, Level.INFO  # noqa: E741


def events(d: dict[str, Any]) -> dict[str, Any]:
    """Return the events section."""
    return d["events"]


def props(d: dict[str, Any], event: str) -> dict[str, Any]:
    """Return an event schema's properties."""
    return d["events"][event]["schema"]["properties"]


def schema(d: dict[str, Any], event: str) -> dict[str, Any]:
    """Return an event's schema."""
    return d["events"][event]["schema"]


def machine(d: dict[str, Any]) -> dict[str, Any]:
    """Return the booking status machine."""
    return d["state_machines"]["booking"]


def transition(d: dict[str, Any], source: str, target: str) -> dict[str, Any]:
    """Return the transition entry from `source` to `target`."""
    for entry in machine(d)["transitions"]:
        sources = entry["from"] if isinstance(entry["from"], list) else [entry["from"]]
        if source in sources and entry["to"] == target:
            return entry
    raise KeyError((source, target))


def steps(d: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the steps of the staff message action."""
    return d["actions"]["staff_message_to_guest"]["steps"]


def rename_channel(d: dict[str, Any], old: str, new: str) -> None:
    """Rename a channel id everywhere it is referenced."""
    d["channels"] = {new if k == old else k: v for k, v in d["channels"].items()}
    for event in d["events"].values():
        event["channels"] = [new if c == old else c for c in event["channels"]]


def drop_channel(d: dict[str, Any], name: str) -> None:
    """Remove a channel and every reference to it."""
    del d["channels"][name]
    for event in d["events"].values():
        event["channels"] = [c for c in event["channels"] if c != name]


def add_envelope(d: dict[str, Any], field: str = "type") -> None:
    """Add an envelope event with two variants (as in a grown backend)."""
    variant = {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}
    d["events"]["hotel_event"] = {
        "channels": ["hotel-staff"], "schema": {"type": "object", "required": [field]},
        "envelope": {"field": field, "variants": {"room_cleaned": copy.deepcopy(variant),
                                                  "room_inspected": copy.deepcopy(variant)}}}


def _set(path: list[str | int], value: Any) -> Edit:
    """Return an edit setting a nested key."""
    def edit(d: dict[str, Any]) -> None:
        node = d
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value
    return edit


def _pop(path: list[str | int]) -> Edit:
    """Return an edit deleting a nested key."""
    def edit(d: dict[str, Any]) -> None:
        node = d
        for part in path[:-1]:
            node = node[part]
        del node[path[-1]]
    return edit


def _all(*edits: Edit) -> Edit:
    """Return an edit applying several edits in order."""
    def edit(d: dict[str, Any]) -> None:
        for one in edits:
            one(d)
    return edit


def _same(d: dict[str, Any]) -> None:
    """Leave the contract as it is."""


# (id, edit of OLD, edit of NEW, expected {(check, level)}): every check the diff reports.
CASES: list[tuple[str, Edit, Edit, set[tuple[DiffCheck, Level]]]] = [
    # -- events -----------------------------------------------------------------------------
    ("event removed", _same, _pop(["events", "booking_overstay_acknowledged"]),
     {(DiffCheck.EVENT_REMOVED, E)}),
    ("event renamed without alias", _same,
     lambda d: events(d).__setitem__("booking_overstay_ack",
                                     events(d).pop("booking_overstay_acknowledged")),
     {(DiffCheck.EVENT_RENAMED, E)}),
    ("event became an alias", _same,
     _all(_pop(["events", "booking_overstay_acknowledged"]),
          _set(["event_aliases", "booking_overstay_acknowledged"],
               {"replaced_by": ["booking_overstay_extended"], "status": "deprecated"})),
     {(DiffCheck.EVENT_DEPRECATED, W)}),
    ("event added", _same,
     _set(["events", "booking_note_added"],
          {"channels": ["hotel-staff"], "schema": {"type": "object"}}),
     {(DiffCheck.EVENT_ADDED, I)}),
    ("event moved off a channel", _same,
     _set(["events", "booking_checked_out", "channels"], ["guest-booking", "hotel-staff"]),
     {(DiffCheck.EVENT_CHANNEL_REMOVED, E)}),
    ("event added to a channel", _same,
     _set(["events", "booking_overstay_flagged", "channels"], ["hotel-staff", "room"]),
     {(DiffCheck.EVENT_CHANNEL_ADDED, I)}),
    ("alias removed before its sunset", _set(["event_aliases", "room_assigned", "sunset"], LATER),
     _pop(["event_aliases", "room_assigned"]), {(DiffCheck.ALIAS_REMOVED_BEFORE_SUNSET, E)}),
    ("alias removed after its sunset", _set(["event_aliases", "room_assigned", "sunset"], EARLIER),
     _pop(["event_aliases", "room_assigned"]), {(DiffCheck.ALIAS_REMOVED_AFTER_SUNSET, I)}),
    ("deprecated alias without sunset removed", _same, _pop(["event_aliases", "overstay_flagged"]),
     {(DiffCheck.ALIAS_REMOVED_UNDATED, W)}),
    ("wrong alias removed", _same, _pop(["event_aliases", "message-received"]),
     {(DiffCheck.WRONG_ALIAS_REMOVED, I)}),
    ("event alias added", _same,
     _set(["event_aliases", "booking_moved"],
          {"replaced_by": ["booking_room_assigned"], "status": "deprecated"}),
     {(DiffCheck.ALIAS_ADDED, I)}),
    ("event alias retargeted", _same,
     _set(["event_aliases", "room_assigned", "replaced_by"], ["booking_updated"]),
     {(DiffCheck.ALIAS_RETARGETED, W)}),
    ("alias sunset brought forward", _set(["event_aliases", "room_assigned", "sunset"], LATER),
     _set(["event_aliases", "room_assigned", "sunset"], datetime.date(2029, 1, 1)),
     {(DiffCheck.ALIAS_SUNSET_EARLIER, W)}),
    # -- channels ---------------------------------------------------------------------------
    ("channel removed", _same, lambda d: drop_channel(d, "room"),
     {(DiffCheck.CHANNEL_REMOVED, E)}),
    ("channel added", _same,
     _set(["channels", "housekeeping"], {"template": "private-hotel-{hotel_slug}-housekeeping",
                                         "kind": "private", "audiences": ["staff"]}),
     {(DiffCheck.CHANNEL_ADDED, I)}),
    ("channel id renamed, same name", _same, lambda d: rename_channel(d, "guest-booking", "booking"),
     {(DiffCheck.CHANNEL_ID_RENAMED, I)}),
    ("channel template changed", _same,
     _set(["channels", "guest-booking", "template"], "private-reservation-{booking_id}"),
     {(DiffCheck.CHANNEL_TEMPLATE_CHANGED, E)}),
    ("channel parameter renamed", _same,
     _all(_set(["parameters", "thread_id"], {"pattern": "[0-9]{1,12}", "example": "45"}),
          _set(["channels", "conversation-chat", "template"],
               "private-{hotel_slug}-conversation-{thread_id}-chat")),
     {(DiffCheck.CHANNEL_PARAMETER_RENAMED, E)}),
    ("public channel made private", _same,
     _all(_set(["channels", "hotel-public", "kind"], "private"),
          _set(["channels", "hotel-public", "template"], "private-hotel-{hotel_slug}")),
     {(DiffCheck.CHANNEL_KIND_CHANGED, E)}),
    ("private channel made public", _same,
     _all(_set(["channels", "room", "kind"], "public"),
          _set(["channels", "room", "template"], "room-{hotel_slug}-{room_number}")),
     {(DiffCheck.CHANNEL_MADE_PUBLIC, E), (DiffCheck.SENSITIVE_ON_PUBLIC, E)}),
    ("audience removed from a channel", _same,
     _set(["channels", "hotel-public", "audiences"], ["public", "staff"]),
     {(DiffCheck.CHANNEL_AUDIENCE_REMOVED, E)}),
    ("audience added to a channel", _same,
     _set(["channels", "conversation-chat", "audiences"], ["staff", "guest"]),
     {(DiffCheck.CHANNEL_AUDIENCE_ADDED, I)}),
    ("parameter pattern narrowed", _same,
     _set(["parameters", "conversation_id", "pattern"], "[0-9]{1,6}"),
     {(DiffCheck.PARAMETER_NARROWED, E)}),
    ("parameter pattern widened", _same,
     _set(["parameters", "room_number", "pattern"], "[0-9]{1,6}[A-Za-z]?"),
     {(DiffCheck.PARAMETER_WIDENED, I)}),
    ("parameter retyped", _same,
     _all(_set(["parameters", "conversation_id", "pattern"], "[a-f]{8}"),
          _set(["parameters", "conversation_id", "example"], "deadbeef")),
     {(DiffCheck.PARAMETER_RETYPED, E)}),
    ("parameter pattern rewritten (cannot tell)", _same,
     _set(["parameters", "hotel_slug", "pattern"], "(?:[a-z0-9]+-)*[a-z0-9]+"),
     {(DiffCheck.PARAMETER_CHANGED, W)}),
    ("audience scope changed", _same, _set(["audiences", "staff", "scope"], []),
     {(DiffCheck.AUDIENCE_SCOPE_CHANGED, W)}),
    ("channel alias removed before its sunset",
     _set(["channels", "guest-booking", "aliases", 1, "sunset"], LATER),
     lambda d: d["channels"]["guest-booking"]["aliases"].pop(1),
     {(DiffCheck.ALIAS_REMOVED_BEFORE_SUNSET, E)}),
    ("channel alias added", _same,
     lambda d: d["channels"]["room"]["aliases"].append(
         {"template": "room.{hotel_slug}.{room_number}", "status": "wrong"}),
     {(DiffCheck.ALIAS_ADDED, I)}),
    # -- payloads ---------------------------------------------------------------------------
    ("required field removed", _same,
     _all(_pop(["events", "booking_checked_out", "schema", "properties", "room_number"]),
          _set(["events", "booking_checked_out", "schema", "required"],
               ["booking_id", "status", "checked_out_at"])),
     {(DiffCheck.FIELD_REMOVED, E)}),
    ("optional field removed", _same,
     _pop(["events", "booking_room_assigned", "schema", "properties", "room_type"]),
     {(DiffCheck.OPTIONAL_FIELD_REMOVED, W)}),
    ("field made optional", _same,
     _set(["events", "booking_updated", "schema", "required"], ["booking_id"]),
     {(DiffCheck.FIELD_MADE_OPTIONAL, W)}),
    ("required field added", _same,
     _all(_set(["events", "booking_declined", "schema", "properties", "declined_by"],
               {"type": "string"}),
          lambda d: schema(d, "booking_declined")["required"].append("declined_by")),
     {(DiffCheck.REQUIRED_FIELD_ADDED, I)}),
    ("optional field added", _same,
     _set(["events", "booking_declined", "schema", "properties", "note"], {"type": "string"}),
     {(DiffCheck.OPTIONAL_FIELD_ADDED, I)}),
    ("field made required", _same,
     lambda d: schema(d, "booking_declined")["required"].append("reason"),
     {(DiffCheck.FIELD_MADE_REQUIRED, I)}),
    ("type changed", _same,
     _set(["events", "message-delivered", "schema", "properties", "message_id"],
          {"type": "string"}),
     {(DiffCheck.TYPE_CHANGED, E)}),
    ("type widened (integer to number)", _same,
     _set(["events", "clock-status-updated", "schema", "properties", "user_id"],
          {"type": "number"}),
     {(DiffCheck.TYPE_WIDENED, E)}),
    ("nullable added widens the type", _same,
     _set(["events", "booking_declined", "schema", "properties", "reason"],
          {"type": ["string", "null"]}),
     {(DiffCheck.TYPE_WIDENED, E)}),
    ("type narrowed (through a $ref)", _same,
     _set(["events", "offer-created", "schema", "$defs", "offer", "properties", "price"],
          {"type": ["number", "null"]}),
     {(DiffCheck.TYPE_NARROWED, W)}),
    ("enum value added", _same,
     lambda d: props(d, "message-delivered")["status"]["enum"].append("failed"),
     {(DiffCheck.ENUM_VALUE_ADDED, W)}),
    ("value added to an extensible enum",
     _set(["events", "message-delivered", "schema", "properties", "status", "x-extensible"], True),
     _all(_set(["events", "message-delivered", "schema", "properties", "status", "x-extensible"],
               True),
          lambda d: props(d, "message-delivered")["status"]["enum"].append("failed")),
     {(DiffCheck.EXTENSIBLE_ENUM_VALUE_ADDED, I)}),
    ("enum value removed", _same,
     _set(["events", "booking_cancelled", "schema", "properties", "refund_status", "enum"],
          ["none", "pending"]),
     {(DiffCheck.ENUM_VALUE_REMOVED, I)}),
    ("enum value removed that a transition still sends", _same,
     lambda d: schema(d, "booking_status_changed")["$defs"]["status"]["enum"].remove("NO_SHOW"),
     {(DiffCheck.ENUM_VALUE_STILL_EMITTED, E)}),
    ("const changed on a transition's event", _same,
     _set(["events", "booking_declined", "schema", "properties", "status"], {"const": "REJECTED"}),
     {(DiffCheck.ENUM_VALUE_ADDED, W), (DiffCheck.ENUM_VALUE_STILL_EMITTED, E)}),
    ("enum constraint dropped", _same,
     _set(["events", "message-delivered", "schema", "properties", "status"], {"type": "string"}),
     {(DiffCheck.ENUM_DROPPED, E)}),
    ("enum constraint introduced", _same,
     _set(["events", "booking_updated", "schema", "properties", "status", "enum"],
          ["CONFIRMED", "IN_HOUSE"]),
     {(DiffCheck.ENUM_INTRODUCED, W)}),
    ("format changed", _same,
     _set(["events", "booking_overstay_extended", "schema", "properties", "extended_at",
           "format"], "date"),
     {(DiffCheck.FORMAT_CHANGED, E)}),
    ("format removed", _same,
     _pop(["events", "booking_created", "schema", "properties", "created_at", "format"]),
     {(DiffCheck.FORMAT_REMOVED, W)}),
    ("format added", _same,
     _set(["events", "booking_overstay_extended", "schema", "properties", "new_checkout",
           "format"], "date"),
     {(DiffCheck.FORMAT_ADDED, I)}),
    ("pattern changed", _same,
     _set(["events", "booking_room_assigned", "schema", "properties", "room_number", "pattern"],
          "^[0-9]{1,4}$"),
     {(DiffCheck.CONSTRAINT_CHANGED, W)}),
    ("payload closed to extra fields", _same,
     _set(["events", "new-staff-message", "schema", "$defs", "message",
           "additionalProperties"], False),
     {(DiffCheck.CLOSED, W)}),
    ("payload opened to extra fields", _same,
     _pop(["events", "offer-deleted", "schema", "additionalProperties"]),
     {(DiffCheck.OPENED, I)}),
    ("nested required field removed behind a $ref", _same,
     _all(_pop(["events", "offer-created", "schema", "$defs", "offer", "properties", "title"]),
          _set(["events", "offer-created", "schema", "$defs", "offer", "required"], ["id"])),
     {(DiffCheck.FIELD_REMOVED, E)}),
    ("array item type changed", _same,
     _set(["events", "booking_updated", "schema", "properties", "changed_fields", "items"],
          {"type": "integer"}),
     {(DiffCheck.TYPE_CHANGED, E)}),
    ("anyOf variant added",
     _set(["events", "payment_success", "schema", "properties", "amount"],
          {"anyOf": [{"type": "number"}, {"type": "string"}]}),
     _set(["events", "payment_success", "schema", "properties", "amount"],
          {"anyOf": [{"type": "number"}, {"type": "string"}, {"type": "null"}]}),
     {(DiffCheck.VARIANT_ADDED, W)}),
    ("anyOf variant removed",
     _set(["events", "payment_success", "schema", "properties", "amount"],
          {"anyOf": [{"type": "number"}, {"type": "string"}]}),
     _set(["events", "payment_success", "schema", "properties", "amount"],
          {"anyOf": [{"type": "number"}]}),
     {(DiffCheck.VARIANT_REMOVED, I)}),
    ("unmodelled keyword changed", _same,
     _set(["events", "booking_updated", "schema", "propertyNames"], {"pattern": "^[a-z_]+$"}),
     {(DiffCheck.KEYWORD_CHANGED, W)}),
    ("sensitive field added on a public channel", _same,
     _set(["events", "offer-deleted", "schema", "properties", "email"], {"type": "string"}),
     {(DiffCheck.OPTIONAL_FIELD_ADDED, I), (DiffCheck.SENSITIVE_ON_PUBLIC, E)}),
    ("field declared sensitive on a public channel", _same,
     lambda d: d["sensitive_fields"].append("offer_title"),
     {(DiffCheck.SENSITIVE_ON_PUBLIC, E)}),
    ("envelope variant added", add_envelope,
     _all(add_envelope, _set(["events", "hotel_event", "envelope", "variants", "room_blocked"],
                             {"type": "object"})),
     {(DiffCheck.VARIANT_ADDED, W)}),
    ("envelope field renamed", add_envelope, lambda d: add_envelope(d, "kind"),
     {(DiffCheck.ENVELOPE_FIELD_CHANGED, E), (DiffCheck.FIELD_REMOVED, E),
      (DiffCheck.REQUIRED_FIELD_ADDED, I)}),
    # -- status machine and actions ---------------------------------------------------------
    ("transition removed", _same,
     lambda d: machine(d)["transitions"].remove(transition(d, "CONFIRMED", "NO_SHOW")),
     {(DiffCheck.TRANSITION_REMOVED, E)}),
    ("transition added", _same,
     lambda d: machine(d)["transitions"].append(
         {"from": "IN_HOUSE", "to": "CANCELLED", "emits": ["booking_status_changed"]}),
     {(DiffCheck.TRANSITION_ADDED, I)}),
    ("transition no longer emits an event", _same,
     lambda d: transition(d, "PENDING_PAYMENT", "CONFIRMED")["emits"].remove("payment_success"),
     {(DiffCheck.TRANSITION_EMITS_REMOVED, E)}),
    ("transition emits another event", _same,
     lambda d: transition(d, "PENDING_PAYMENT", "EXPIRED")["emits"].append("booking_updated"),
     {(DiffCheck.TRANSITION_EMITS_ADDED, I)}),
    ("status added", _same, lambda d: machine(d)["states"].append("ON_HOLD"),
     {(DiffCheck.STATE_ADDED, W)}),
    ("status removed with its transition", _same,
     _all(lambda d: machine(d)["states"].remove("NO_SHOW"),
          lambda d: machine(d)["transitions"].remove(transition(d, "CONFIRMED", "NO_SHOW"))),
     {(DiffCheck.STATE_REMOVED, E), (DiffCheck.TRANSITION_REMOVED, E)}),
    ("initial statuses changed", _same, lambda d: machine(d)["initial"].append("CONFIRMED"),
     {(DiffCheck.INITIAL_CHANGED, W)}),
    ("status machine removed", _same, _pop(["state_machines", "booking"]),
     {(DiffCheck.MACHINE_REMOVED, E)}),
    ("status machine added", _same,
     _set(["state_machines", "room"], {"parameter": "room_number", "states": ["CLEAN", "DIRTY"],
                                       "transitions": [{"from": "CLEAN", "to": "DIRTY",
                                                        "emits": ["booking_updated"]}]}),
     {(DiffCheck.MACHINE_ADDED, I)}),
    ("action removed", _same, _pop(["actions", "staff_message_to_guest"]),
     {(DiffCheck.ACTION_REMOVED, E)}),
    ("action added", _same,
     _set(["actions", "check_in_guest"], {"steps": [{"event": "booking_checked_in"}]}),
     {(DiffCheck.ACTION_ADDED, I)}),
    ("action no longer emits an event", _same, lambda d: steps(d).pop(2),
     {(DiffCheck.ACTION_EVENT_REMOVED, E)}),
    ("action emits another event", _same,
     lambda d: steps(d).append({"event": "booking_updated"}),
     {(DiffCheck.ACTION_EVENT_ADDED, I)}),
    ("action steps reordered", _same, lambda d: steps(d).reverse(),
     {(DiffCheck.ACTION_REORDERED, W)}),
    ("action step sent to other channels", _same, _set(["actions", "staff_message_to_guest",
                                                        "steps", 0, "channels"], []),
     {(DiffCheck.ACTION_CHANNELS_CHANGED, W)}),
    # -- limits -----------------------------------------------------------------------------
    ("target limit lowered", _same, _set(["targets", "pusher", "max_payload_bytes"], 8192),
     {(DiffCheck.TARGET_LIMIT_LOWERED, W)}),
    ("target limit raised", _same, _set(["targets", "soketi", "max_payload_bytes"], 204800),
     {(DiffCheck.TARGET_LIMIT_RAISED, I)}),
    ("target removed", _same, _pop(["targets", "soketi"]), {(DiffCheck.TARGET_REMOVED, W)}),
    ("target added", _same, _set(["targets", "ably"], {"max_payload_bytes": 65536}),
     {(DiffCheck.TARGET_ADDED, I)}),
    ("default target changed", _same, _set(["default_target"], "soketi"),
     {(DiffCheck.DEFAULT_TARGET_CHANGED, W)}),
    ("largest payload now exceeds the limit", _same,
     _set(["events", "message-delivered", "schema", "properties", "note"],
          {"type": "string", "maxLength": 4000}),
     {(DiffCheck.OPTIONAL_FIELD_ADDED, I), (DiffCheck.PAYLOAD_EXCEEDS_LIMIT, E)}),
]


def _contract(edit: Edit, name: str) -> Any:
    """Apply an edit to the shipped contract's data and load the dumped YAML."""
    data = copy.deepcopy(DATA)
    edit(data)
    return load_contract_text(yaml.safe_dump(data, sort_keys=False), name)


def test_the_table_has_at_least_forty_edits_covering_every_check() -> None:
    """The table is as large as promised and exercises every check id at least once."""
    assert len(CASES) >= 40
    assert {check for *_, expected in CASES for check, _ in expected} == set(DiffCheck)


@pytest.mark.parametrize(("before", "after", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_edit_is_judged(before: Edit, after: Edit, expected: set[tuple[DiffCheck, Level]]) -> None:
    """The diff reports exactly the expected checks, at their levels, each locatable."""
    result = diff_contracts(_contract(before, "old.yaml"), _contract(after, "new.yaml"), TODAY)
    found = {(c.check, c.level) for c in result.changes}
    assert found == expected, [c.message for c in result.changes]
    for change in result.changes:
        assert change.old is not None or change.new is not None
        for where in (change.old, change.new):
            assert where is None or where.line > 0
        assert change.message and change.subject


def test_unchanged_contract_diffs_empty() -> None:
    """The shipped contract against itself (and against its own YAML re-dump) has no changes."""
    shipped = load_contract(ROOT / "channels.yaml")
    assert diff_contracts(shipped, load_contract(ROOT / "channels.yaml")).changes == []
    assert diff_contracts(shipped, _contract(_same, "dumped.yaml")).changes == []


def _reorder(node: Any) -> Any:
    """Reverse the order of every mapping's keys (not of lists, whose order means something)."""
    if isinstance(node, dict):
        return {k: _reorder(node[k]) for k in reversed(list(node))}
    if isinstance(node, list):
        return [_reorder(v) for v in node]
    return node


def test_reordering_keys_and_comments_change_nothing() -> None:
    """Every mapping reversed and comments added everywhere: no change, same contract hash."""
    from hotelmate_rt.contracts.codegen import contract_hash

    shipped = load_contract(ROOT / "channels.yaml")
    reordered = load_contract_text(yaml.safe_dump(_reorder(DATA), sort_keys=False), "r.yaml")
    commented = load_contract_text(
        "\n".join(f"{line}  # note" if line.strip() and ": " in line and "'" not in line
                  and "{" not in line else line for line in SHIPPED.splitlines())
        + "\n# trailing comment\n", "c.yaml")
    for other in (reordered, commented):
        assert diff_contracts(shipped, other).changes == []
        assert contract_hash(other) == contract_hash(shipped)


def test_locations_point_at_the_changed_yaml_on_each_side() -> None:
    """A type change names the line of the old and the new `type`; a removal has no new location."""
    changed = SHIPPED.replace("message_id: {type: integer}", "message_id: {type: string}")
    new = load_contract_text("# a comment shifts every line\n" + changed, "new.yaml")
    result = diff_contracts(load_contract(ROOT / "channels.yaml"), new)
    (change,) = result.changes
    old_line = SHIPPED.splitlines()[change.old.line - 1]
    new_line = ("# x\n" + changed).splitlines()[change.new.line - 1]
    assert "message_id: {type: integer}" in old_line and change.new.line == change.old.line + 1
    assert "message_id: {type: string}" in new_line
    assert change.old.path == "events.message-delivered.schema.properties.message_id.type"
    assert "integer" in change.message and "string" in change.message
    removed = diff_contracts(load_contract(ROOT / "channels.yaml"), _contract(
        _pop(["events", "booking_overstay_acknowledged"]), "n.yaml")).changes[0]
    assert removed.new is None and removed.anchor is not None and removed.anchor.line > 0


def test_every_check_has_a_summary_help_and_level() -> None:
    """Each check id is unique, kebab-case, and carries its metadata."""
    ids = [c.value for c in DiffCheck]
    assert len(ids) == len(set(ids))
    for check in DiffCheck:
        assert check.value == check.value.lower() and " " not in check.value
        assert isinstance(check.level, Level) and check.summary and check.help
