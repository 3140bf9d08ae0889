"""Suppression comments, rule severities, include/exclude from pyproject, and coverage rules."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hotelmate_rt.contracts import Contract, load_contract
from hotelmate_rt.scan import ConfigError, Level, load_config, parse_config, scan
from tests.helpers import CONTRACT_PATH, COVERAGE_OFF, SCAN_FIXTURES


def test_suppression_comments_on_the_line_or_the_line_before(contract: Contract,
                                                             tmp_path: Path) -> None:
    """`# hotelmate-rt: ignore[rule]` and `// hotelmate-rt: ignore[rule]` silence that rule only."""
    (tmp_path / "a.py").write_text(textwrap.dedent('''\
        def f(pusher_client):
            pusher_client.trigger("hotel-x", "nope-1", {})  # hotelmate-rt: ignore[unknown-event]
            # hotelmate-rt: ignore[unknown-event, unknown-channel]
            pusher_client.trigger("nowhere", "nope-2", {})
            pusher_client.trigger("hotel-x", "nope-3", {})  # hotelmate-rt: ignore[unknown-channel]
            pusher_client.trigger("nowhere", "nope-4", {})  # hotelmate-rt: ignore
    '''))
    (tmp_path / "b.js").write_text(textwrap.dedent('''\
        const ch = pusher.subscribe('hotel-x');
        ch.bind('nope-5', f); // hotelmate-rt: ignore[unknown-event]
        ch.bind('nope-6', f);
    '''))
    result = scan([tmp_path], contract, parse_config({"severity": COVERAGE_OFF}), root=tmp_path)
    assert [(f.rule, f.file, f.line) for f in result.findings] == [
        ("unknown-event", "a.py", 5), ("unknown-event", "b.js", 3)]
    assert result.suppressed == 6


def test_severities_from_pyproject(contract: Contract, tmp_path: Path) -> None:
    """`[tool.hotelmate-rt.severity]` turns rules off or changes their level; exit logic follows."""
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent('''\
        [tool.hotelmate-rt]
        exclude = ["legacy/**", "*_test.py"]

        [tool.hotelmate-rt.severity]
        deprecated-channel = "error"
        event-not-on-channel = "off"
        uncovered-backend-event = "off"
        uncovered-frontend-event = "off"
        transition-never-emitted = "off"
    '''))
    config = load_config(tmp_path / "pyproject.toml")
    assert config.level("deprecated-channel") is Level.ERROR
    assert config.level("unknown-event") is Level.ERROR
    tree = SCAN_FIXTURES / "seed001" / "seed_correct"
    result = scan([tree], contract, config, root=tree)
    assert [(f.rule, f.level.value) for f in result.findings] == [("deprecated-channel", "error")]
    assert result.fails("error") and result.fails("warning") and not result.fails("never")


def test_exclude_globs_skip_paths(contract: Contract, tmp_path: Path) -> None:
    """Excluded directories and file patterns are never read."""
    bad = 'def f(pusher_client):\n    pusher_client.trigger("x", "nope", {})\n'
    for name in ("legacy/old.py", "app/views_test.py", "app/views.py", "node_modules/p/i.js"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(bad)
    config = parse_config({"exclude": ["legacy/**", "*_test.py"], "severity": COVERAGE_OFF})
    result = scan([tmp_path], contract, config, root=tmp_path)
    assert result.files_seen == 1
    assert {f.file for f in result.findings} == {"app/views.py"}


@pytest.mark.parametrize(("table", "message"), [
    ({"severity": {"unknown-evnt": "off"}}, "did you mean 'unknown-event'?"),
    ({"severity": {"unknown-event": "fatal"}}, "must be error, warning or off"),
    ({"exclude": "x", "include": [1]}, "include must be a list of path patterns"),
    ({"max-file-bytes": -1}, "max-file-bytes must be a positive integer"),
])
def test_bad_configuration_is_a_usage_error(table: dict[str, object], message: str) -> None:
    """Configuration mistakes raise ConfigError with a plain sentence."""
    with pytest.raises(ConfigError, match=message.replace("?", r"\?")):
        parse_config(table)


def test_coverage_is_reported_per_side(contract: Contract, tmp_path: Path) -> None:
    """A backend-only tree gets backend coverage and transition findings, no frontend ones."""
    tree = SCAN_FIXTURES / "seed002" / "correct"
    result = scan([tree], contract, parse_config({}), root=tree)
    rules = {f.rule for f in result.findings}
    assert "uncovered-frontend-event" not in rules
    uncovered = {f.message.split("`")[1] for f in result.findings
                 if f.rule == "uncovered-backend-event"}
    assert "booking_checked_in" not in uncovered          # via transition CONFIRMED -> IN_HOUSE
    assert "booking_room_assigned" not in uncovered       # emitted directly
    assert "booking_created" in uncovered
    missing = result.coverage.transitions_missing
    assert "CONFIRMED->IN_HOUSE" not in missing and "IN_HOUSE->COMPLETED" not in missing
    assert "PENDING_APPROVAL->DECLINED" in missing
    transition = [f for f in result.findings if f.rule == "transition-never-emitted"]
    assert all(f.file.endswith("channels.yaml") and f.line > 1 for f in transition)
    assert len(transition) == len(missing)


def test_frontend_only_tree_gets_frontend_coverage(contract: Contract) -> None:
    """The offers frontend binds the four offer events; other events are reported unbound."""
    tree = SCAN_FIXTURES / "seed004" / "frontend"
    result = scan([tree], contract, parse_config({}), root=tree)
    rules = {f.rule for f in result.findings}
    assert "uncovered-backend-event" not in rules and "transition-never-emitted" not in rules
    unbound = {f.message.split("`")[1] for f in result.findings
               if f.rule == "uncovered-frontend-event"}
    assert not unbound & {"offer-created", "offer-updated", "offer-deleted",
                          "offer-image-updated"}
    assert "new-staff-message" in unbound


def test_coverage_suppression_in_the_contract(tmp_path: Path) -> None:
    """A `# hotelmate-rt: ignore[...]` comment in channels.yaml silences coverage for that event."""
    text = CONTRACT_PATH.read_text(encoding="utf-8").replace(
        "  booking_created:\n", "  booking_created:  # hotelmate-rt: ignore[uncovered-backend-event]\n")
    copy = tmp_path / "channels.yaml"
    copy.write_text(text)
    contract = load_contract(copy)
    tree = SCAN_FIXTURES / "seed002" / "correct"
    result = scan([tree], contract, parse_config({}), root=tmp_path)
    assert not any("`booking_created`" in f.message for f in result.findings
                   if f.rule == "uncovered-backend-event")
