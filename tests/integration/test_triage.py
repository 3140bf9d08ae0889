"""triage booking against a real soketi, the real auth view and the real emitter."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hotelmate_rt.auth import Principal
from hotelmate_rt.cli.app import app
from hotelmate_rt.contracts import Contract
from hotelmate_rt.emitters import NO_RETRY, Emitter, PusherTransport
from hotelmate_rt.oncall import Status, TriageOptions, TriageReport, run_triage
from hotelmate_rt.oncall.httpapi import channel_info
from hotelmate_rt.oncall.listening import Listening, make_probe
from hotelmate_rt.probes.auth import EndpointAuthorizer
from hotelmate_rt.probes.connection import ServerAddress
from hotelmate_rt.redact import Redactor
from hotelmate_rt.settings import PusherSettings
from hotelmate_rt.testing.auth_server import AuthServer
from hotelmate_rt.testing.soketi import SoketiServer, free_port
from tests.helpers import env_for

ROOT = Path(__file__).resolve().parents[2]
HOTEL = "hotel-paradise"
GUEST_TOKENS = {"guest-token-0002-abcdef": "BK-2025-0002", "guest-token-0003-abcdef":
                "BK-2025-0003", "guest-token-0004-abcdef": "BK-2025-0004",
                "guest-token-0005-abcdef": "BK-2025-0005", "guest-token-0006-abcdef":
                "BK-2025-0006"}
STAFF_TOKEN = "staff-token-7-abcdef"


@pytest.fixture(scope="module")
def auth(soketi: SoketiServer, contract: Contract) -> Iterator[AuthServer]:
    """The real auth view: one guest token per test booking, one staff token."""
    tokens = {token: Principal.guest(booking, HOTEL, "101")
              for token, booking in GUEST_TOKENS.items()}
    tokens[STAFF_TOKEN] = Principal.staff(HOTEL, user_id=7)
    with AuthServer(contract, soketi.key, soketi.secret, tokens) as server:
        yield server


def token_for(booking: str) -> str:
    """Return the guest token of a test booking."""
    return next(t for t, b in GUEST_TOKENS.items() if b == booking)


def triage(server: SoketiServer, booking: str, **options: Any) -> TriageReport:
    """Run a triage for `booking` against `server`."""
    defaults: dict[str, Any] = {"env": env_for(server), "contract": ROOT / "channels.yaml",
                                "hotel_slug": HOTEL, "step_timeout": 3.0}
    defaults.update(options)
    return run_triage(TriageOptions(booking_id=booking, **defaults))


def emitter_for(server: SoketiServer, contract: Contract, dead_letter: Path | bool = False,
                port: int | None = None) -> Emitter:
    """A real emitter sending to `server` (or to `port`, where nothing listens)."""
    transport = PusherTransport.create(server.app_id, server.key, server.secret, host=server.host,
                                       port=port or server.port, ssl=False, timeout=2.0)
    return Emitter(contract, transport, retry=NO_RETRY, defer=False,
                   dead_letter=dead_letter if dead_letter else False)


@pytest.fixture
def connected_guest(soketi: SoketiServer, auth: AuthServer,
                    contract: Contract) -> Iterator[Listening]:
    """A guest page connected to BK-2025-0003's channel through the auth endpoint."""
    channel = "private-booking-BK-2025-0003"
    authorizer = EndpointAuthorizer(auth.url, token_for("BK-2025-0003"), soketi.key, 3.0)
    probe = make_probe(contract, ServerAddress(soketi.key, soketi.host, soketi.port),
                       [(channel, "guest-booking")], authorizer, 3.0, Redactor(), 60.0)
    with Listening([("guest", probe)]) as listening:
        assert listening.wait_ready(time.monotonic() + 5.0), listening.heard[0].failure()
        yield listening


def test_connected_guest_is_seen(soketi: SoketiServer, auth: AuthServer,
                                 connected_guest: Listening) -> None:
    """A booking whose guest page is connected: one subscriber, the token is fine, exit 0."""
    report = triage(soketi, "BK-2025-0003", auth_endpoint=auth.url,
                    guest_token=token_for("BK-2025-0003"))
    occupied = report.get("booking.occupied")
    assert occupied is not None and occupied.status is Status.PASS
    state = next(c for c in report.channels if c.channel_id == "guest-booking")
    assert state.occupied is True and state.subscription_count == 1
    assert report.get("booking.token").status is Status.PASS  # type: ignore[union-attr]
    assert report.verdict.startswith("The guest page is connected (1 subscriber(s)")
    assert report.exit_code == 0


def test_booking_with_no_guest_connected(soketi: SoketiServer) -> None:
    """Nobody on the booking's channel: the verdict says so first, exit 1."""
    report = triage(soketi, "BK-2025-0004")
    occupied = report.get("booking.occupied")
    assert occupied is not None and occupied.status is Status.FAIL
    assert occupied.code == "no-subscriber"
    assert report.verdict.startswith("The guest page is not connected: no subscriber on "
                                     "private-booking-BK-2025-0004")
    assert report.exit_code == 1


def test_guest_token_that_cannot_authorize_is_the_verdict(soketi: SoketiServer,
                                                           auth: AuthServer) -> None:
    """A guest token for another booking: the guest page cannot subscribe."""
    report = triage(soketi, "BK-2025-0004", auth_endpoint=auth.url,
                    guest_token=token_for("BK-2025-0005"))
    check = report.get("booking.token")
    assert check is not None and check.code == "own-refused"
    assert report.verdict.startswith("The guest page cannot subscribe")
    assert token_for("BK-2025-0005") not in json.dumps(report.to_dict())


def test_dead_lettered_events_for_the_booking(soketi: SoketiServer, contract: Contract,
                                              tmp_path: Path) -> None:
    """Events that could not be sent (the backend had the wrong port) show up, this booking only."""
    dead = tmp_path / "dead.jsonl"
    log_file = tmp_path / "backend.log"
    handler = logging.FileHandler(log_file)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    emit_log = logging.getLogger("hotelmate_rt.emit")
    emit_log.addHandler(handler)
    old_level = emit_log.level
    emit_log.setLevel(logging.INFO)
    emitter = emitter_for(soketi, contract, dead_letter=dead, port=free_port())
    try:
        emitter.transition("BK-2025-0006", "CONFIRMED", "IN_HOUSE", {"room_number": "101"},
                           hotel_slug=HOTEL)
        emitter.emit("booking_updated", {"booking_id": "BK-2025-0099",
                                         "updated_at": "2025-01-01T00:00:00Z"},
                     hotel_slug=HOTEL)
    finally:
        emitter.close()
        emit_log.removeHandler(handler)
        emit_log.setLevel(old_level)
        handler.close()
    assert dead.exists()
    report = triage(soketi, "BK-2025-0006", dead_letter=dead, log_file=log_file)
    logged = report.get("sent.log")
    assert logged is not None and logged.status is Status.FAIL and logged.code == "emit-failed"
    assert all("BK-2025-0099" not in line for line in logged.evidence)
    check = report.get("sent.dead-letter")
    assert check is not None and check.status is Status.FAIL and check.code == "dead-lettered"
    events = sorted(entry["event"] for entry in report.sent if entry["source"] == "dead-letter")
    assert events == ["booking_checked_in", "booking_status_changed"]
    assert all("BK-2025-0099" not in json.dumps(entry) for entry in report.sent)
    assert "never reached Pusher" in report.verdict or "not connected" in report.verdict
    assert soketi.secret not in json.dumps(report.to_dict())


def _emit_when_listening(soketi: SoketiServer, contract: Contract, channel: str,
                         action: Any) -> threading.Thread:
    """Start a thread that waits until `channel` has a subscriber, then runs `action`."""
    settings = PusherSettings.from_env(env_for(soketi))

    def run() -> None:
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline:
            if channel_info(settings, channel, 2.0).occupied:
                break
            time.sleep(0.05)
        time.sleep(0.1)
        emitter = emitter_for(soketi, contract)
        try:
            action(emitter)
        finally:
            emitter.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_watch_sees_the_expected_events(soketi: SoketiServer, auth: AuthServer,
                                        contract: Contract) -> None:
    """--watch while staff checks the guest in: both expected events arrive, as guest and staff."""
    booking = "BK-2025-0002"
    thread = _emit_when_listening(
        soketi, contract, f"private-booking-{booking}",
        lambda e: e.transition(booking, "CONFIRMED", "IN_HOUSE", {"room_number": "101"},
                               hotel_slug=HOTEL))
    started = time.monotonic()
    report = triage(soketi, booking, auth_endpoint=auth.url, guest_token=token_for(booking),
                    staff_token=STAFF_TOKEN, room_number="101", watch=8.0,
                    expect=["CONFIRMED->IN_HOUSE"])
    thread.join(5.0)
    watch = report.get("watch")
    assert watch is not None and watch.status is Status.PASS, watch
    assert report.watch is not None
    expected = {(e["event"], e["channel"]) for e in report.watch["expected"]}
    assert ("booking_checked_in", f"private-booking-{booking}") in expected
    assert ("booking_status_changed", f"private-hotel-{HOTEL}-staff") in expected
    assert all(e["arrived"] for e in report.watch["expected"])
    assert {r["as"] for r in report.watch["received"]} == {"guest", "staff"}
    assert time.monotonic() - started < 8.0  # stops as soon as everything arrived
    assert report.verdict.startswith("The guest page is not connected")
    assert "The backend side works: every expected event reached" in report.verdict


def test_watch_reports_what_never_arrived_and_what_came_instead(
        soketi: SoketiServer, auth: AuthServer, contract: Contract) -> None:
    """--watch when the backend sends the wrong event: missing ones named, the other shown."""
    booking = "BK-2025-0003"
    thread = _emit_when_listening(
        soketi, contract, f"private-booking-{booking}",
        lambda e: e.emit("booking_updated", {"booking_id": booking,
                                             "updated_at": "2025-01-01T00:00:00Z"},
                         hotel_slug=HOTEL))
    report = triage(soketi, booking, auth_endpoint=auth.url, guest_token=token_for(booking),
                    watch=2.0, expect=["booking_checked_in"])
    thread.join(5.0)
    watch = report.get("watch")
    assert watch is not None and watch.status is Status.FAIL and watch.code == "missing-events"
    assert "booking_checked_in" in watch.summary and "booking_updated" in watch.summary
    assert report.watch is not None
    assert [e["event"] for e in report.watch["unexpected"]] == ["booking_updated"]
    assert report.watch["unexpected"][0]["verdict"] == ["conforms"]
    assert report.verdict.startswith(f"booking_checked_in never reached private-booking-"
                                     f"{booking}")
    assert report.exit_code == 1


def test_cli_triage_json_and_markdown(soketi: SoketiServer, auth: AuthServer) -> None:
    """The CLI prints the verdict first, in JSON and Markdown, and exits 1 on a problem."""
    env = {**env_for(soketi), "HOTELMATE_RT_GUEST_TOKEN": token_for("BK-2025-0004")}
    args = ["triage", "booking", "BK-2025-0004", "--hotel", HOTEL, "--auth-endpoint", auth.url,
            "--contract", str(ROOT / "channels.yaml")]
    runner = CliRunner()
    result = runner.invoke(app, [*args, "--json"], env=env)
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["verdict"].startswith("The guest page is not connected")
    assert token_for("BK-2025-0004") not in result.stdout
    markdown = runner.invoke(app, [*args, "--markdown"], env=env)
    assert markdown.stdout.startswith("## triage BK-2025-0004\n\n**The guest page is not "
                                      "connected")
    human = runner.invoke(app, args, env=env)
    assert "The guest page is not connected" in human.stdout.splitlines()[1]
    bad = runner.invoke(app, ["triage", "booking", "booking-2", "--contract",
                              str(ROOT / "channels.yaml")], env=env)
    assert bad.exit_code == 2 and "does not look like a booking id" in bad.output
