"""The scan on fixture trees built from the seeds' own snippets and from realistic code."""

from __future__ import annotations

import re

import pytest

from hotelmate_rt.contracts import Contract
from hotelmate_rt.scan import ScanResult, scan
from hotelmate_rt.scan.rules import LIFECYCLE_RULES
from tests.helpers import SCAN_FIXTURES, site_rules_only

_MARKER = re.compile(r"expect\[([a-z-]+)\]")


def run(contract: Contract, tree: str) -> ScanResult:
    """Scan one fixture tree with coverage rules off (they are tested on their own)."""
    root = SCAN_FIXTURES / tree
    return scan([root], contract, site_rules_only(), root=root)


def found(result: ScanResult) -> list[tuple[str, str, int]]:
    """Reduce findings to sorted (rule, file, line)."""
    return sorted((f.rule, f.file, f.line) for f in result.findings)


def expected(tree: str) -> list[tuple[str, str, int]]:
    """Collect the `expect[rule]` markers written on the lines of a fixture tree."""
    root = SCAN_FIXTURES / tree
    out: list[tuple[str, str, int]] = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for rule in _MARKER.findall(line):
                out.append((rule, path.relative_to(root).as_posix(), number))
    return sorted(out)


TREES = ["seed000/wrong", "seed000/correct", "seed001/wrong", "seed001/seed_correct",
         "seed001/correct", "seed002/wrong", "seed002/correct", "seed003/wrong",
         "seed003/correct", "seed004", "realistic"]


@pytest.mark.parametrize("tree", TREES)
def test_fixture_tree_produces_exactly_the_marked_findings(contract: Contract, tree: str) -> None:
    """Every `expect[rule]` marker is found, on its line, and nothing else is."""
    assert found(run(contract, tree)) == expected(tree)


def test_seed000_wrong_variant_findings_spelled_out(contract: Contract) -> None:
    """Seed 000 as shipped: wrong channel both sides, leaked guest_token, auth that never runs."""
    result = run(contract, "seed000/wrong")
    assert found(result) == [
        ("lifecycle-client-per-mount", "frontend/src/BookingStatusPage.jsx", 8),
        ("lifecycle-no-catch-up", "frontend/src/BookingStatusPage.jsx", 8),
        ("payload-missing-field", "backend/bookings/views.py", 14),
        ("payload-sensitive-public", "backend/bookings/views.py", 21),
        ("payload-unknown-field", "backend/bookings/views.py", 21),
        ("public-with-auth", "frontend/src/BookingStatusPage.jsx", 19),
        ("wrong-channel-name", "backend/bookings/views.py", 15),
        ("wrong-channel-name", "frontend/src/BookingStatusPage.jsx", 19),
    ]
    channel = next(f for f in result.findings if f.rule == "wrong-channel-name")
    assert channel.fix == "did you mean `private-booking-{booking_id}`?"
    assert "booking.{*}" in channel.message
    assert (channel.line, channel.column) == (15, 9)


@pytest.mark.parametrize("tree", ["seed000/correct", "seed001/correct", "seed003/correct"])
def test_contract_correct_variants_are_clean(contract: Contract, tree: str) -> None:
    """The variants rewritten to the contract produce no name finding and no unresolved site
    (their per-mount clients are lifecycle findings, marked in the files)."""
    result = run(contract, tree)
    assert [f for f in result.findings if f.rule not in LIFECYCLE_RULES] == []
    assert result.unresolved == []
    assert result.sites


def test_wrong_event_name_suggests_the_contract_event(contract: Contract) -> None:
    """`message-received` is reported with "did you mean `new-staff-message`?"."""
    result = run(contract, "seed001/wrong")
    finding = next(f for f in result.findings if f.rule == "wrong-event-name")
    assert finding.fix == "did you mean `new-staff-message`?"
    assert (finding.file, finding.line, finding.column) == ("frontend/src/GuestChat.jsx", 13, 18)


def test_fstring_and_template_literal_channels_match_their_templates(contract: Contract) -> None:
    """`f"{hotel_slug}-room-{room_number}-chat"` and its JS twin both become `{*}-room-{*}-chat`."""
    result = run(contract, "seed001/wrong")
    shown = {(s.file, tuple(s.to_dict().get("channels", []))) for s in result.sites
             if s.kind.value in ("trigger", "subscribe")}
    assert ("backend/chat/views.py", ("{*}-room-{*}-chat",)) in shown
    assert ("frontend/src/GuestChat.jsx", ("{*}-room-{*}-chat",)) in shown
    assert ("backend/chat/views.py", ("{*}-conversation-{*}-chat",)) in shown


def test_realistic_tree_resolves_wrappers_across_files(contract: Contract) -> None:
    """Wrapper calls become sites at the caller, through a chain of wrappers and imports."""
    result = run(contract, "realistic")
    by_place = {(s.file, s.line): s for s in result.sites}
    chained = by_place[("backend/bookings/services.py", 10)]
    assert chained.to_dict()["channels"] == ["private-hotel-{*}-staff"]
    assert chained.to_dict()["events"] == ["booking_updated"]
    assert [v.split(" at ")[0] for v in chained.via] == ["notify_staff()", "notify()"]
    guest = next(s for s in result.sites
                 if s.file == "frontend/src/features/chat/useGuestChat.js"
                 and s.kind.value == "bind" and s.line == 12)
    assert guest.to_dict()["events"] == ["new-staff-message", "message-received"]
    assert len(result.unresolved) == 3
    assert result.summary()["unresolved_sites"] == 3


def test_parallel_scan_finds_the_same_as_one_process(contract: Contract,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker-pool path (used on large trees) gives the same findings and sites."""
    from hotelmate_rt.scan import engine

    monkeypatch.setattr(engine, "_PARALLEL_MIN_FILES", 1)
    root = SCAN_FIXTURES / "realistic"
    config = site_rules_only()
    pooled = scan([root], contract, config, root=root)
    single = scan([root], contract, config, root=root, parallel=False)
    assert found(pooled) == found(single) == expected("realistic")
    assert sorted((s.file, s.line, s.kind.value) for s in pooled.sites) == \
        sorted((s.file, s.line, s.kind.value) for s in single.sites)
    assert pooled.files_parsed == single.files_parsed
