"""Building blocks of contract evolution: regex samples, payload bounds, sunsets, locations, config."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import pytest

from hotelmate_rt.contracts import load_contract, load_contract_text
from hotelmate_rt.contracts.diff.samples import regex_samples
from hotelmate_rt.contracts.diff.schemas import max_bytes
from hotelmate_rt.contracts.examples import event_example
from hotelmate_rt.errors import ConfigError, ContractLoadError
from hotelmate_rt.scan import load_tool_table

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = (ROOT / "channels.yaml").read_text()


@pytest.mark.parametrize("pattern", [
    r"BK-[0-9]{4}-[0-9]{4,}", r"[a-z0-9]+(?:-[a-z0-9]+)*", r"[0-9]{1,5}[A-Za-z]?",
    r"(?:staff|guest)-\d{2}", r"[^-]+", r"\w+\.\s?x", r"^[A-Z]{3}$"])
def test_regex_samples_all_match_and_cover_the_bounds(pattern: str) -> None:
    """Every sample fully matches its pattern, and several distinct ones come back."""
    samples = regex_samples(pattern)
    assert len(samples) >= 2 or pattern == r"^[A-Z]{3}$"
    assert all(re.fullmatch(pattern, s) for s in samples)


def test_regex_samples_reach_both_ends_of_a_repeat() -> None:
    """Open repeats are sampled far past their minimum, bounded ones at their maximum."""
    assert any(len(s) >= 20 for s in regex_samples(r"[0-9]{4,}"))
    assert {len(s) for s in regex_samples(r"[0-9]{1,12}")} >= {1, 12}
    assert sorted(regex_samples("(?:ab|cd)")) == ["ab", "cd"]
    assert regex_samples(r"(a)\1") == []  # a back reference is not modelled: no guess


def test_max_bytes_bounds_the_largest_instance() -> None:
    """A closed, bounded schema gets a bound no smaller than its largest instance; open ones none."""
    schema = {"type": "object", "additionalProperties": False,
              "properties": {"id": {"type": "integer"}, "tags": {"type": "array", "maxItems": 2,
                                                                "items": {"enum": ["a", "bb"]}},
                             "note": {"type": "string", "maxLength": 3}}}
    largest = {"id": -1.7976931348623157e308, "tags": ["bb", "bb"], "note": "\u0000\u0000\u0000"}
    bound = max_bytes(schema)
    assert bound is not None
    assert bound >= len(json.dumps(largest, separators=(",", ":")).encode())
    assert max_bytes({**schema, "additionalProperties": True}) is None
    recursive = {"$defs": {"n": {"type": "object", "additionalProperties": False,
                                 "properties": {"next": {"$ref": "#/$defs/n"}}}},
                 "$ref": "#/$defs/n"}
    assert max_bytes(recursive) is None


def test_example_payloads_validate_for_every_shipped_event() -> None:
    """The examples the AsyncAPI export ships are valid payloads, with parameter examples used."""
    contract = load_contract(ROOT / "channels.yaml")
    for event in contract.events.values():
        example = event_example(contract, event)
        assert event.validator is not None and event.validator.is_valid(example), event.name
    booked = event_example(contract, "booking_checked_in")
    assert booked["booking_id"] == "BK-2025-0002" and booked["room_number"] == "101"


def test_alias_sunset_dates_are_loaded() -> None:
    """`sunset:` on event and channel aliases is read as a date."""
    text = (SHIPPED.replace("    replaced_by: [booking_room_assigned]\n",
                            "    replaced_by: [booking_room_assigned]\n    sunset: 2026-06-30\n")
            .replace("        note: audit's proposed name; public, so any guest could read any booking\n",
                     "        note: audit's proposed name; public, so any guest could read any booking\n"
                     "        sunset: '2026-03-31'\n"))
    contract = load_contract_text(text, "c.yaml")
    assert contract.event_aliases["room_assigned"].sunset == datetime.date(2026, 6, 30)
    assert contract.channels["guest-booking"].aliases[1].sunset == datetime.date(2026, 3, 31)
    assert contract.event_aliases["offers-updated"].sunset is None


def test_a_bad_sunset_is_a_located_load_error() -> None:
    """A sunset that is not a date stops the load with file:line and the expected form."""
    text = SHIPPED.replace("    replaced_by: [booking_room_assigned]\n",
                           "    replaced_by: [booking_room_assigned]\n    sunset: next spring\n")
    with pytest.raises(ContractLoadError) as caught:
        load_contract_text(text, "c.yaml")
    line = text.splitlines().index("    sunset: next spring") + 1
    assert str(caught.value).startswith(f"c.yaml:{line}:")
    assert "YYYY-MM-DD" in str(caught.value)


def test_locate_finds_keys_and_falls_back_to_the_nearest_parent() -> None:
    """`Contract.locate` names the line of a key path, or of its nearest existing parent."""
    contract = load_contract_text(SHIPPED, "c.yaml")
    lines = SHIPPED.splitlines()
    where = contract.locate("events", "booking_created", "schema", "properties", "guest_name")
    assert lines[where.line - 1].strip().startswith("guest_name:")
    assert where.path == "events.booking_created.schema.properties.guest_name"
    missing = contract.locate("events", "booking_created", "nothing", "here")
    assert lines[missing.line - 1].strip() == "booking_created:"


def test_tool_table_reads_a_sub_table(tmp_path: Path) -> None:
    """The one pyproject reader returns [tool.hotelmate-rt.diff], {} when absent, errors if not a table."""
    path = tmp_path / "pyproject.toml"
    path.write_text('[tool.hotelmate-rt]\ninclude = ["src"]\n[tool.hotelmate-rt.diff]\nfail-on = "WARN"\n')
    assert load_tool_table(path, "diff") == {"fail-on": "WARN"}
    assert load_tool_table(path)["include"] == ["src"]
    path.write_text("[tool.other]\nx = 1\n")
    assert load_tool_table(path, "diff") == {}
    path.write_text('[tool.hotelmate-rt]\ndiff = "ERR"\n')
    with pytest.raises(ConfigError, match=r"\[tool.hotelmate-rt.diff\] must be a table"):
        load_tool_table(path, "diff")
