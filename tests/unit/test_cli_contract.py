"""`hotelmate-rt contract lint|show`: exit codes, JSON output, and no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import CONTRACT_PATH, ROOT, run_cli

SHIPPED = CONTRACT_PATH.read_text()


def test_lint_shipped_contract_exits_0() -> None:
    """The shipped contract lints clean from the repository root (default path)."""
    result = run_cli("contract", "lint")
    assert result.returncode == 0, result.stderr
    assert "no findings" in result.stdout


def test_show_json_lists_every_seed_name() -> None:
    """`contract show --json` lists the seeds' channels (or their aliases) and events."""
    result = run_cli("contract", "show", "--json")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    templates = {c["template"] for c in data["channels"]} | {
        a["template"] for c in data["channels"] for a in c["aliases"]}
    for seed_name in ["booking.{booking_id}", "booking-{booking_id}", "hotel-{hotel_slug}",
                      "{hotel_slug}-room-{room_number}-chat", "staff-{hotel_slug}",
                      "{hotel_slug}-conversation-{conversation_id}-chat",
                      "hotel-{hotel_slug}-public", "room-{hotel_slug}-{room_number}"]:
        assert seed_name in templates
    events = {e["name"] for e in data["events"]} | {a["name"] for a in data["event_aliases"]}
    assert {"clock-status-updated", "offers-updated", "message-received", "new-staff-message",
            "booking_checked_in", "offer-image-updated", "message-delivered"} <= events


def test_show_table_for_people() -> None:
    """The table view names the channels."""
    result = run_cli("contract", "show")
    assert result.returncode == 0
    assert "guest-booking" in result.stdout


BROKEN = [
    ("invalid-yaml", "version: 1\nchannels:\n  a: [unclosed\nevents: {}\n", 2, ":4:"),
    ("unknown-key", SHIPPED.replace("\nevents:\n", "\nevnts:\n"), 2, "Did you mean 'events'"),
    ("bad-regex", SHIPPED.replace("pattern: '[0-9]{1,12}'", "pattern: '[0-9'"), 2,
     "not a valid regular expression"),
    ("undeclared-parameter", SHIPPED.replace("'private-room-{hotel_slug}-{room_number}'",
                                             "'private-room-{hotel_slug}-{room_no}'"), 1,
     "undeclared parameter 'room_no'"),
    ("event-on-no-channel", SHIPPED.replace("  offer-deleted:\n    channels: [hotel-public]",
                                            "  offer-deleted:\n    channels: []"), 1,
     "carried by no channel"),
    ("sensitive-on-public", SHIPPED.replace(
        "    channels: [hotel-staff]\n    description: a staff member clocked in or out",
        "    channels: [hotel-public]\n    description: a staff member clocked in or out"), 1,
     "sensitive field(s) first_name, last_name"),
    ("transition-unknown-state", SHIPPED.replace("        to: NO_SHOW", "        to: NOSHOW"), 1,
     "unknown state 'NOSHOW'"),
    ("alias-to-nothing", SHIPPED.replace("replaced_by: [booking_room_assigned]",
                                         "replaced_by: [booking_room_asigned]"), 1,
     "unknown event 'booking_room_asigned'"),
    ("channel-too-long", SHIPPED.replace("'private-room-{hotel_slug}-{room_number}'",
                                         "'private-room-" + "x" * 160 + "-{room_number}'"), 1,
     "Pusher allows 164"),
    ("illegal-character", SHIPPED.replace("'private-room-{hotel_slug}-{room_number}'",
                                          "'private-room/{hotel_slug}-{room_number}'"), 1,
     "contains '/'"),
]


@pytest.mark.parametrize(("name", "text", "code", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_contracts_exit_with_location_and_no_traceback(
        tmp_path: Path, name: str, text: str, code: int, message: str) -> None:
    """Each broken contract exits 1 or 2 with file:line and a plain sentence, never a traceback."""
    path = tmp_path / "channels.yaml"
    path.write_text(text)
    result = run_cli("contract", "lint", str(path))
    output = result.stdout + result.stderr
    assert result.returncode == code, output
    assert message in output
    assert f"{path}:" in output.replace("\n", "")
    assert "Traceback" not in output


def test_lint_json_reports_load_errors(tmp_path: Path) -> None:
    """`--json` output carries load errors as data, with exit 2."""
    path = tmp_path / "c.yaml"
    path.write_text("version: 1\nchanels: {}\nevents: {}\n")
    result = run_cli("contract", "lint", str(path), "--json")
    assert result.returncode == 2
    data = json.loads(result.stdout)
    assert data["load_errors"][0]["line"] == 2
    assert data["load_errors"][0]["kind"] == "unknown-key"


def test_env_var_overrides_default_path(tmp_path: Path) -> None:
    """HOTELMATE_RT_CONTRACT points the CLI at another contract file."""
    path = tmp_path / "elsewhere.yaml"
    path.write_text(SHIPPED)
    result = subprocess.run([sys.executable, "-m", "hotelmate_rt", "contract", "lint"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60,
                            env={**__import__("os").environ, "HOTELMATE_RT_CONTRACT": str(path)})
    assert result.returncode == 0, result.stderr
    missing = subprocess.run([sys.executable, "-m", "hotelmate_rt", "contract", "lint"],
                             cwd=tmp_path, capture_output=True, text=True, timeout=60,
                             env={k: v for k, v in __import__("os").environ.items()
                                  if k != "HOTELMATE_RT_CONTRACT"})
    assert missing.returncode == 2
    assert "not found" in missing.stderr


def test_cli_entry_point_stays_light() -> None:
    """Importing the CLI app loads neither rich nor the SDKs (they load inside commands)."""
    code = ("import sys, hotelmate_rt.cli.app; print(sorted({m.split('.')[0] for m in sys.modules}"
            " & {'rich', 'pysher', 'pusher', 'httpx', 'jsonschema_rs', 'yaml', 'django'}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, cwd=ROOT)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


def test_infer_merge_into_a_broken_contract_prints_error_lines_not_markup(tmp_path: Path) -> None:
    """`contract infer --merge BROKEN` says `error: FILE:LINE...` per problem, never raw markup."""
    broken = tmp_path / "c.yaml"
    broken.write_text("version: 1\nchanels: {}\nevents: {}\n")
    (tmp_path / "app.py").write_text("x = 1\n")
    result = run_cli("contract", "infer", str(tmp_path / "app.py"), "--merge", str(broken))
    assert result.returncode == 2
    assert f"error: {broken}:2:1: unknown key 'chanels'" in result.stderr
    assert "[bold red]" not in result.stderr and "Traceback" not in result.stderr
