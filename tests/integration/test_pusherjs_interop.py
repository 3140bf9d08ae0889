"""pusher-js (the frontend's real client, on Node) against our auth endpoint, emitter and soketi."""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from hotelmate_rt.auth import Principal
from hotelmate_rt.contracts import Contract, VerdictKind, judge
from hotelmate_rt.emitters import Emitter, PusherTransport
from hotelmate_rt.testing.auth_server import AuthServer, ServedRequest
from hotelmate_rt.testing.soketi import SoketiError, SoketiServer, find_node_modules
from tests.helpers import ROOT

SCRIPT = Path(__file__).with_name("pusherjs_client.js")
HOTEL = "hotel-paradise"
OWN = "BK-2025-0002"
OTHER = "BK-2025-0003"
GUEST_TOKEN = "guest-token-0002"
OTHER_TOKEN = "guest-token-0003"
NODE_TIMEOUT_MS = 12_000  # the script's own hard bound
WAIT_S = 8.0  # how long the test waits for any one line from the script
SEED_CHECKED_IN = {"booking_id": OWN, "status": "IN_HOUSE", "room_number": "101",
                   "checked_in_at": "2025-03-01T10:00:00Z"}


def _checked_in(booking_id: str, room_number: str) -> dict[str, Any]:
    """Return a contract-valid booking_checked_in payload for one booking."""
    return {"booking_id": booking_id, "status": "IN_HOUSE", "room_number": room_number,
            "checked_in_at": "2025-03-01T10:00:00Z", "wifi_ssid": "Paradise-Guest"}


class NodeSetup(NamedTuple):
    """The `node` executable and the environment that lets it find pusher-js."""

    executable: str
    env: dict[str, str]


class PusherJs:
    """One pusherjs_client.js process whose JSON lines are read with a deadline, never blindly."""

    def __init__(self, node: NodeSetup, soketi: SoketiServer, channels: list[str], *,
                 auth_url: str | None = None, token: str | None = None,
                 max_events: int = 0) -> None:
        """Start pusher-js on Node subscribing to `channels` (bounded by NODE_TIMEOUT_MS)."""
        argv = [node.executable, str(SCRIPT), "--key", soketi.key, "--host", soketi.host,
                "--port", str(soketi.port), "--max-events", str(max_events),
                "--timeout-ms", str(NODE_TIMEOUT_MS)]
        if auth_url is not None:
            argv += ["--auth-endpoint", auth_url]
        if token is not None:
            argv += ["--token", token]
        self.lines: list[dict[str, Any]] = []
        self.stderr: list[str] = []
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.proc = subprocess.Popen([*argv, *channels], cwd=ROOT, env=node.env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self._threads = [threading.Thread(target=self._read_stdout, daemon=True),
                         threading.Thread(target=self._read_stderr, daemon=True)]
        for thread in self._threads:
            thread.start()

    def _read_stdout(self) -> None:
        """Queue every JSON line from the script, then None at end of output."""
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            text = raw.strip()
            if text:
                try:
                    self._queue.put(json.loads(text))
                except json.JSONDecodeError:
                    self._queue.put({"type": "garbage", "text": text})
        self._queue.put(None)

    def _read_stderr(self) -> None:
        """Keep pusher-js's log (stderr) so that the pipe never fills and failures can show it."""
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            self.stderr.append(raw.rstrip("\n"))

    def _explain(self, what: str) -> str:
        """Describe a failure with every line seen so far and the end of pusher-js's log."""
        tail = "\n".join(self.stderr[-20:])
        return f"{what}\nlines: {json.dumps(self.lines, indent=1)}\npusher-js log tail:\n{tail}"

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool],
                 what: str, timeout: float = WAIT_S) -> dict[str, Any]:
        """Return the first line (seen before or arriving within `timeout`) that matches."""
        for line in self.lines:
            if predicate(line):
                return line
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(self._explain(f"pusher-js: no {what} within {timeout}s"))
            try:
                got = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            if got is None:
                self._queue.put(None)
                raise AssertionError(self._explain(f"pusher-js exited before {what}"))
            self.lines.append(got)
            if predicate(got):
                return got

    def subscribed(self, channel: str) -> None:
        """Wait for `pusher:subscription_succeeded` on `channel`, failing at once on an error."""
        outcome = self.wait_for(lambda ln: ln.get("channel") == channel and ln["type"] in (
            "subscription_succeeded", "subscription_error"), f"subscription outcome on {channel}")
        if outcome["type"] != "subscription_succeeded":
            raise AssertionError(self._explain(f"pusher-js could not subscribe to {channel}"))

    def finish(self) -> list[dict[str, Any]]:
        """Wait for the script's `done` line and exit (bounded), and return every line it printed."""
        done = self.wait_for(lambda ln: ln["type"] == "done", "done line",
                             timeout=NODE_TIMEOUT_MS / 1000 + 2)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            raise AssertionError(self._explain("pusher-js printed done but did not exit")) from None
        assert done["reason"] == "max-events", self._explain(f"pusher-js stopped: {done}")
        return self.lines

    def events(self) -> list[dict[str, Any]]:
        """Return the events (not subscription or connection lines) pusher-js has reported."""
        return [ln for ln in self.lines if ln["type"] == "event"]

    def close(self) -> None:
        """Close stdin (the script then exits), bounded; kill if it is still running."""
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.close()
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(timeout=5)
        elif self.proc.stdin is not None:
            self.proc.stdin.close()
        for thread in self._threads:
            thread.join(timeout=5)


@pytest.fixture(scope="module")
def node() -> NodeSetup:
    """Node and its environment, failing (not skipping) with a fix if node or pusher-js is missing."""
    try:
        node_modules = find_node_modules()
    except SoketiError as exc:
        pytest.fail(f"{exc}\nRun `make test` (it installs soketi and pusher-js with npm first).",
                    pytrace=False)
    if not (node_modules / "pusher-js" / "package.json").is_file():
        pytest.fail(f"pusher-js is not installed in {node_modules}; run `npm install` at the "
                    "repository root (package.json pins pusher-js).", pytrace=False)
    found = shutil.which("node")
    if found is None:
        pytest.fail("node is not on PATH (Node 20 runs soketi and pusher-js).", pytrace=False)
    # require("pusher-js") walks up from the script to the repository's node_modules; NODE_PATH
    # covers a node_modules found elsewhere (HOTELMATE_RT_NODE_MODULES).
    return NodeSetup(found, {**os.environ, "NODE_PATH": str(node_modules)})


@pytest.fixture
def auth(contract: Contract, soketi: SoketiServer) -> Iterator[AuthServer]:
    """The real Django auth view for two guests of hotel-paradise, served on a free port."""
    tokens = {GUEST_TOKEN: Principal.guest(OWN, HOTEL, "101"),
              OTHER_TOKEN: Principal.guest(OTHER, HOTEL, "102")}
    with AuthServer(contract, soketi.key, soketi.secret, tokens) as server:
        yield server


@pytest.fixture
def transport(soketi: SoketiServer) -> Iterator[PusherTransport]:
    """A real pusher SDK transport to the session soketi."""
    sdk = PusherTransport.create(soketi.app_id, soketi.key, soketi.secret, host=soketi.host,
                                 port=soketi.port, ssl=False, timeout=5.0)
    yield sdk
    sdk.close()


@pytest.fixture
def emitter(contract: Contract, transport: PusherTransport) -> Iterator[Emitter]:
    """A strict, immediate emitter sending through the real transport."""
    with Emitter(contract, transport, strict=True, defer=False, dead_letter=False) as running:
        yield running


@pytest.fixture
def pusher_js(node: NodeSetup, soketi: SoketiServer) -> Iterator[Callable[..., PusherJs]]:
    """Start pusher-js clients on demand; every one is closed (bounded) at the end of the test."""
    started: list[PusherJs] = []

    def start(channels: list[str], **kwargs: Any) -> PusherJs:
        """Start one client."""
        client = PusherJs(node, soketi, channels, **kwargs)
        started.append(client)
        return client

    yield start
    for client in started:
        client.close()


def test_guest_page_receives_emitted_event_on_its_private_channel(
        pusher_js: Callable[..., PusherJs], auth: AuthServer, emitter: Emitter,
        contract: Contract) -> None:
    """pusher-js authorizes through our endpoint and receives the emitter's event byte for byte."""
    channel = f"private-booking-{OWN}"
    client = pusher_js([channel], auth_url=auth.url, token=GUEST_TOKEN, max_events=1)
    client.subscribed(channel)
    assert auth.requests == [ServedRequest("POST", channel, 200)]

    payload = _checked_in(OWN, "101")
    result = emitter.emit("booking_checked_in", payload, hotel_slug=HOTEL)
    assert result.ok, result
    assert channel in result.channels

    client.finish()
    [event] = client.events()
    assert (event["channel"], event["event"]) == (channel, "booking_checked_in")
    assert event["data"] == payload
    assert judge(contract, event["channel"], event["event"], event["data"]).ok


def test_guest_token_is_refused_another_bookings_channel(
        pusher_js: Callable[..., PusherJs], auth: AuthServer, emitter: Emitter) -> None:
    """The guest's token gets 403 for another booking's channel and none of its events arrive."""
    own, other = f"private-booking-{OWN}", f"private-booking-{OTHER}"
    client = pusher_js([other, own], auth_url=auth.url, token=GUEST_TOKEN, max_events=1)
    error = client.wait_for(lambda ln: ln["type"] == "subscription_error", "subscription_error")
    assert (error["channel"], error["status"]) == (other, 403), error
    client.subscribed(own)
    assert ServedRequest("POST", other, 403) in auth.requests
    assert ServedRequest("POST", own, 200) in auth.requests

    # The other booking's event is sent first; the guest's own event afterwards is the marker
    # that everything sent before it has been delivered (so no sleep is needed to prove absence).
    assert emitter.emit("booking_checked_in", _checked_in(OTHER, "102"), hotel_slug=HOTEL).ok
    assert emitter.emit("booking_checked_in", _checked_in(OWN, "101"), hotel_slug=HOTEL).ok

    client.finish()
    events = client.events()
    assert [(e["channel"], e["data"]["booking_id"]) for e in events] == [(own, OWN)], events
    assert not [ln for ln in client.lines if ln.get("channel") == other
                and ln["type"] != "subscription_error"]


def test_seed_000_public_booking_channel_never_runs_auth(
        pusher_js: Callable[..., PusherJs], auth: AuthServer, transport: PusherTransport,
        contract: Contract) -> None:
    """Seed 000's Bearer header on public booking.{id} never reaches auth, so anyone reads it."""
    channel = f"booking.{OWN}"
    guest = pusher_js([channel], auth_url=auth.url, token=GUEST_TOKEN, max_events=1)
    stranger = pusher_js([channel], max_events=1)  # no token, no auth endpoint at all
    guest.subscribed(channel)
    stranger.subscribed(channel)
    assert [r for r in auth.requests if r.channel_name == channel] == []
    assert auth.requests == []

    # What seed 000's backend does: trigger by hand on the public name, guest_token "for auth".
    # (The Emitter cannot: the contract gives it only private-booking-{booking_id}.)
    seed_payload = {**SEED_CHECKED_IN, "guest_token": GUEST_TOKEN}
    transport.trigger([channel], "booking_checked_in", json.dumps(seed_payload))

    for client in (guest, stranger):
        client.finish()
        [event] = client.events()
        assert (event["channel"], event["event"], event["data"]) == \
            (channel, "booking_checked_in", seed_payload)
    assert auth.requests == []

    got = guest.events()[0]
    verdict = judge(contract, got["channel"], got["event"], got["data"])
    assert not verdict.ok
    assert verdict.channel_id == "guest-booking"
    renamed = [f for f in verdict.findings if f.kind is VerdictKind.WRONG_CHANNEL_NAME]
    assert [f.replacement for f in renamed] == [f"private-booking-{OWN}"], verdict.to_dict()
    assert "wrong" in renamed[0].message
    assert VerdictKind.SENSITIVE_EXPOSED in verdict.kinds, verdict.to_dict()
