"""`hotelmate-rt emit` and `hotelmate-rt replay` as a developer runs them (real subprocess)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotelmate_rt.emitters import DeadEvent, DeadLetterFile
from hotelmate_rt.testing.scripted_server import ScriptedPusherServer
from tests.helpers import UPDATED, run_cli

SECRET = "cli-secret-value"


def run(*args: str, server: ScriptedPusherServer | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real CLI with PUSHER_URL pointing at `server` (or no Pusher settings at all)."""
    url = f"http://app-key:{SECRET}@127.0.0.1:{server.port}/apps/4242" if server else None
    return run_cli(*args, env={"PUSHER_URL": url} if url else None)


@pytest.fixture
def server() -> Iterator[ScriptedPusherServer]:
    """A scripted Pusher HTTP API."""
    with ScriptedPusherServer() as running:
        yield running


def test_emit_sends_one_checked_event(server: ScriptedPusherServer) -> None:
    """A valid event is sent to every contract channel and reported as JSON."""
    result = run("emit", "booking_updated", "--param", "hotel_slug=hotel-paradise",
                 "--data", json.dumps(UPDATED), "--json", server=server)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["outcome"] == "sent" and report["channels"] == [
        "private-booking-BK-2025-0002", "private-hotel-hotel-paradise-staff"]
    assert json.loads(server.requests[0].body["data"]) == UPDATED
    assert SECRET not in result.stdout + result.stderr


def test_emit_refuses_invalid_data_and_says_why(server: ScriptedPusherServer,
                                                tmp_path: Path) -> None:
    """Invalid data exits 1 with the violation, and nothing is sent."""
    payload = tmp_path / "payload.json"
    payload.write_text(json.dumps({"booking_id": "BK-2025-0002"}))
    result = run("emit", "booking_updated", "-p", "hotel_slug=hotel-paradise",
                 "--data", f"@{payload}", server=server)
    assert result.returncode == 1
    assert "updated_at" in result.stderr and "refused" in result.stderr
    assert "Traceback" not in result.stderr and server.requests == []


def test_emit_usage_errors_exit_2() -> None:
    """Bad JSON, a bad --param, an unknown event or missing settings exit 2 in one line."""
    cases = [
        (["emit", "booking_updated", "--data", "{nope"], "is not JSON"),
        (["emit", "booking_updated", "-p", "hotel_slug", "--data", "{}"], "NAME=VALUE"),
        (["emit", "booking_upd", "--data", "{}", "--dry-run"], "did you mean 'booking_updated'"),
        (["emit", "booking_updated", "-p", "hotel_slug=hotel-paradise", "--data",
          json.dumps(UPDATED)], "set PUSHER_URL"),
    ]
    for args, message in cases:
        result = run(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr


def test_emit_dry_run_needs_no_server() -> None:
    """--dry-run validates and lists the channels without any settings."""
    result = run("emit", "booking_updated", "-p", "hotel_slug=hotel-paradise",
                 "--data", json.dumps(UPDATED), "--dry-run")
    assert result.returncode == 0 and "private-hotel-hotel-paradise-staff" in result.stdout


def test_emit_server_refusal_exits_2_without_secret(server: ScriptedPusherServer) -> None:
    """A 401 from the server is a connection-level error (exit 2) that never shows the secret."""
    server.script = [401]
    result = run("emit", "booking_updated", "-p", "hotel_slug=hotel-paradise",
                 "--data", json.dumps(UPDATED), server=server)
    assert result.returncode == 2 and "HTTP 401" in result.stderr
    assert SECRET not in result.stderr and len(server.requests) == 1


def test_replay_keeps_only_what_still_fails(server: ScriptedPusherServer, tmp_path: Path) -> None:
    """replay resends each entry; exit 1 while something remains, 0 once the file is empty."""
    path = tmp_path / "dead.jsonl"
    dead = DeadLetterFile(path)
    for booking in ("BK-2025-0001", "BK-2025-0002"):
        dead.append(DeadEvent("booking_updated", ["private-booking-" + booking],
                              json.dumps({**UPDATED, "booking_id": booking}), "HTTP 503", 503,
                              3, {"booking_id": booking}))
    server.script = [200, 400]
    result = run("replay", str(path), "--json", server=server)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert [e["ids"]["booking_id"] for e in report["remaining"]] == ["BK-2025-0002"]
    assert [e.ids["booking_id"] for e in DeadLetterFile(path).read()] == ["BK-2025-0002"]
    result = run("replay", str(path), server=server)
    assert result.returncode == 0 and "resent 1, still failing 0" in result.stdout
    assert not path.exists()
    assert run("replay", str(path), server=server).returncode == 2
