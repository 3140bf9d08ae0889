"""`contract export asyncapi` validates with the official @asyncapi/parser (on Node) with zero errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from hotelmate_rt.contracts import load_contract
from hotelmate_rt.contracts.asyncapi import to_asyncapi

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("asyncapi_validate.js")


def _node() -> str:
    """Return the node executable, failing with a hint when Node or the parser is missing."""
    found = shutil.which("node")
    if found is None:
        pytest.fail("node is not on PATH (Node 20 runs @asyncapi/parser).", pytrace=False)
    if not (ROOT / "node_modules" / "@asyncapi" / "parser").is_dir():
        pytest.fail("@asyncapi/parser is not installed; run `make install` (npm install).",
                    pytrace=False)
    return found


def validate(path: Path) -> tuple[int, dict[str, Any]]:
    """Run the official parser on a document; return its exit code and JSON report."""
    completed = subprocess.run([_node(), str(SCRIPT), str(path)], capture_output=True, text=True,
                               timeout=120, cwd=ROOT)
    assert completed.stdout, completed.stderr
    return completed.returncode, json.loads(completed.stdout)


@pytest.mark.parametrize("as_json", [False, True], ids=["yaml", "json"])
def test_exported_document_parses_with_zero_errors(tmp_path: Path, as_json: bool) -> None:
    """The CLI's YAML and JSON exports parse with no error (and no warning) diagnostics."""
    out = tmp_path / ("asyncapi.json" if as_json else "asyncapi.yaml")
    args = [sys.executable, "-m", "hotelmate_rt", "contract", "export", "asyncapi",
            str(ROOT / "channels.yaml"), "--out", str(out), *(["--json"] if as_json else [])]
    exported = subprocess.run(args, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert exported.returncode == 0, exported.stderr
    code, report = validate(out)
    errors = [d for d in report["diagnostics"] if d["severity"] in ("error", "warning")]
    assert code == 0 and report["parsed"], report
    assert errors == []
    contract = load_contract(ROOT / "channels.yaml")
    receivers = sum(len(set(c.audiences) | (set(contract.audiences) if c.public_readable else set()))
                    for c in contract.channels.values())
    assert report["summary"] == {"version": "3.0.0", "channels": len(contract.channels),
                                 "operations": len(contract.channels) + receivers,
                                 "messages": len(contract.events)}


def test_a_broken_document_is_refused_by_the_same_parser(tmp_path: Path) -> None:
    """The check can fail: a dangling message reference is an error-level diagnostic."""
    document = to_asyncapi(load_contract(ROOT / "channels.yaml"))
    document["channels"]["guest-booking"]["messages"]["booking_status_changed"] = {
        "$ref": "#/components/messages/no-such-message"}
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    code, report = validate(path)
    assert code == 1
    assert any(d["severity"] == "error" for d in report["diagnostics"])


def test_document_carries_the_contract() -> None:
    """Addresses, parameters (x-pattern), Pusher extensions, operations and valid examples."""
    contract = load_contract(ROOT / "channels.yaml")
    document = to_asyncapi(contract, auth_endpoint="https://api.example/pusher/auth/")
    booking = document["channels"]["guest-booking"]
    assert booking["address"] == "private-booking-{booking_id}"
    assert booking["x-pusher-kind"] == "private" and booking["x-pusher-prefix"] == "private-"
    assert booking["x-pusher-audiences"] == ["guest"]
    assert {"address": "booking.{booking_id}", "status": "wrong",
            "note": contract.channels["guest-booking"].aliases[0].note} in booking["x-pusher-aliases"]
    parameter = document["components"]["parameters"]["booking_id"]
    assert parameter["x-pattern"] == contract.parameters["booking_id"].pattern
    assert parameter["x-example"] == "BK-2025-0002"
    assert document["channels"]["hotel-public"]["x-pusher-audiences"] == ["public", "guest", "staff"]
    operations = document["operations"]
    assert operations["backendSendGuestBooking"]["action"] == "send"
    guest = operations["guestReceiveGuestBooking"]
    assert guest["action"] == "receive" and guest["x-pusher-audience"] == "guest"
    assert guest["security"] == [{"$ref": "#/components/securitySchemes/guest"}]
    assert "security" not in operations["publicReceiveHotelPublic"]
    assert "guestReceiveHotelStaff" not in operations
    assert document["servers"]["pusher"]["x-pusher-auth-endpoint"] == "https://api.example/pusher/auth/"
    for name, event in contract.events.items():
        message = document["components"]["messages"][name]
        assert message["x-pusher-data-encoding"] == "json-string"
        (example,) = message["examples"]
        assert event.validator is not None and event.validator.is_valid(example["payload"]), name
    status = document["components"]["messages"]["booking_status_changed"]["payload"]
    assert status["properties"]["status"] == {
        "$ref": "#/components/schemas/booking_status_changed.status"}
