"""The probe against a real soketi and the real auth endpoint: subscriptions, verdicts, faults."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import queue
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pusher
import pytest

from hotelmate_rt.auth import Principal
from hotelmate_rt.contracts import Contract
from hotelmate_rt.errors import AuthEndpointError, HotelmateRtError, ProbeError
from hotelmate_rt.probes import (
    Connection,
    ConnectionOptions,
    EndpointAuthorizer,
    FrameProblem,
    Gap,
    Judged,
    Probe,
    ProbeEvent,
    ServerAddress,
    StateChanged,
    Subscribed,
    plan_subscriptions,
)
from hotelmate_rt.testing.auth_server import AuthServer
from hotelmate_rt.testing.soketi import SoketiServer
from tests.helpers import BOOKING, CHECKED_IN, HOTEL

WAIT = 10.0
GUEST_TOKEN = "guest-token-0002-abcdef"
STAFF_TOKEN = "staff-token-7-abcdef"
IDLE_TOKEN = "staff-token-idle-abcdef"
TOKENS = {
    GUEST_TOKEN: Principal.guest(BOOKING, HOTEL, "101"),
    STAFF_TOKEN: Principal.staff(HOTEL, user_id=7),
    IDLE_TOKEN: Principal.staff("idle-hotel", user_id=8),
}
GUEST_PARAMS = {"booking_id": BOOKING, "hotel_slug": HOTEL, "room_number": "101"}


class Running:
    """A probe iterated on a background thread, with bounded waits on what it yielded."""

    def __init__(self, probe: Probe) -> None:
        """Start iterating the probe's event stream."""
        self.probe = probe
        self.events: list[ProbeEvent] = []
        self.error: HotelmateRtError | None = None
        self.done = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        """Collect every event until the stream ends."""
        try:
            for event in self.probe.events():
                with self._cond:
                    self.events.append(event)
                    self._cond.notify_all()
        except HotelmateRtError as exc:
            self.error = exc
        finally:
            with self._cond:
                self.done = True
                self._cond.notify_all()

    def wait_for(self, predicate: Callable[[ProbeEvent], bool], count: int = 1,
                 timeout: float = WAIT) -> list[ProbeEvent]:
        """Wait until `count` events match `predicate`, or fail the test."""
        def found() -> list[ProbeEvent] | None:
            hits = [e for e in self.events if predicate(e)]
            return hits if len(hits) >= count or (self.done and hits) else None

        with self._cond:
            hits = self._cond.wait_for(found, timeout)
        if not hits or len(hits) < count:
            pytest.fail(f"wanted {count} matching event(s) within {timeout} s; error "
                        f"{self.error}; got {[e.to_dict() for e in self.events]}")
        return hits

    def wait_done(self, timeout: float = WAIT) -> None:
        """Wait until the stream ended."""
        with self._cond:
            assert self._cond.wait_for(lambda: self.done, timeout), "probe did not stop"

    def subscribed(self, count: int) -> None:
        """Wait until `count` subscriptions were confirmed."""
        self.wait_for(lambda e: isinstance(e, Subscribed), count)

    def judged(self, event: str, count: int = 1, timeout: float = WAIT) -> list[Judged]:
        """Wait for `count` judged events named `event`."""
        hits = self.wait_for(lambda e: isinstance(e, Judged) and e.event == event, count,
                             timeout)
        return [h for h in hits if isinstance(h, Judged)]

    def stop(self) -> None:
        """Close the probe and wait (bounded) for the thread."""
        self.probe.close()
        self._thread.join(WAIT)


@pytest.fixture
def auth(contract: Contract, soketi: SoketiServer) -> Iterator[AuthServer]:
    """The real auth endpoint (the Django view) for the test tokens."""
    with AuthServer(contract, soketi.key, soketi.secret, TOKENS) as server:
        yield server


def sender(server: SoketiServer) -> pusher.Pusher:
    """A pusher SDK client that triggers on `server`."""
    return pusher.Pusher(**server.pusher_kwargs())  # type: ignore[arg-type]


def start(contract: Contract, server: SoketiServer, auth: AuthServer | None, token: str | None,
          audience: str | None, params: dict[str, str], channels: tuple[str, ...] = (),
          options: ConnectionOptions | None = None, key: str | None = None) -> Running:
    """Start a probe the way `listen` does (auth through the endpoint) and collect its stream."""
    plan = plan_subscriptions(contract, audience, params, channels)
    authorizer = EndpointAuthorizer(auth.url, token, server.key, timeout=5.0) if auth else None
    address = ServerAddress(key or server.key, server.host, server.port)
    opts = options or ConnectionOptions(backoff_initial=0.2, backoff_max=1.0, give_up_after=30)
    return Running(Probe(contract, address, plan, authorizer, options=opts))


def test_guest_subscribes_to_every_channel_a_guest_may_read(
        contract: Contract, soketi: SoketiServer, auth: AuthServer) -> None:
    """A guest with booking, hotel and room sees their booking, the hotel page and room chat."""
    running = start(contract, soketi, auth, GUEST_TOKEN, "guest", GUEST_PARAMS)
    try:
        running.subscribed(3)
        names = {e.channel for e in running.events if isinstance(e, Subscribed)}
        assert names == {f"private-booking-{BOOKING}", f"hotel-{HOTEL}",
                         f"private-{HOTEL}-room-101-chat"}
        sender(soketi).trigger(f"private-booking-{BOOKING}", "booking_checked_in", CHECKED_IN)
        [judged] = running.judged("booking_checked_in")
        assert judged.ok and judged.verdict.channel_id == "guest-booking"
        connected = [e for e in running.events if isinstance(e, StateChanged)
                     and e.state == "connected"]
        assert connected[0].activity_timeout == 30.0  # soketi's advertised value is honoured
        assert {r.channel_name for r in auth.requests} == {f"private-booking-{BOOKING}",
                                                           f"private-{HOTEL}-room-101-chat"}
    finally:
        running.stop()


def test_guest_is_refused_another_booking(contract: Contract, soketi: SoketiServer,
                                          auth: AuthServer) -> None:
    """Another guest's booking channel is refused by the auth endpoint with 403 and a reason."""
    running = start(contract, soketi, auth, GUEST_TOKEN, "guest", {},
                    ("private-booking-BK-2025-0003",))
    running.wait_done()
    assert isinstance(running.error, AuthEndpointError)
    assert running.error.status == 403
    assert "another booking" in str(running.error)
    assert GUEST_TOKEN not in str(running.error)
    failed = [e for e in running.events if e.type == "subscription-failed"]
    assert failed and failed[0].to_dict()["status"] == 403


def test_staff_sees_the_hotel_channels(contract: Contract, soketi: SoketiServer,
                                       auth: AuthServer) -> None:
    """Staff with only a hotel subscribe to the public hotel channel and the staff channel."""
    running = start(contract, soketi, auth, STAFF_TOKEN, "staff", {"hotel_slug": HOTEL})
    try:
        running.subscribed(2)
        notes = [e.to_dict()["message"] for e in running.events if e.type == "note"]
        assert any("room_number" in n for n in notes)  # channels needing a room are skipped
        sender(soketi).trigger(f"private-hotel-{HOTEL}-staff", "clock-status-updated", {
            "user_id": 7, "staff_id": 3, "is_on_duty": True,
            "clock_time": "2025-06-01T08:00:00Z", "first_name": "Ana", "last_name": "Li",
            "action": "clock_in"})
        [judged] = running.judged("clock-status-updated")
        assert judged.ok, judged.verdict.findings
    finally:
        running.stop()


def test_every_verdict_kind_comes_from_a_real_event(contract: Contract, soketi: SoketiServer,
                                                    auth: AuthServer) -> None:
    """Each verdict kind is produced by an event really sent through soketi."""
    booking = f"private-booking-{BOOKING}"
    hotel = f"hotel-{HOTEL}"
    alias = f"booking-{BOOKING}"
    unknown = "hm-debug-feed"
    running = start(contract, soketi, auth, GUEST_TOKEN, None, {},
                    (booking, hotel, alias, unknown))
    offer = {"offer": {"id": 1, "title": "Spa"}, "action": "created"}
    sends: list[tuple[str, str, Any, str]] = [
        (booking, "booking_checked_in", CHECKED_IN, "conforms"),
        (booking, "booking_teleported", {"booking_id": BOOKING}, "unknown-event"),
        (booking, "offer-created", offer, "unexpected-channel"),
        (booking, "booking_checked_in", {**CHECKED_IN, "status": "CHECKED_IN"},
         "schema-violation"),
        (booking, "booking_updated", "{not json", "not-json"),
        (booking, "booking_updated", {"booking_id": BOOKING, "updated_at": "2025-06-01T10:00:00Z",
                                      "changed_fields": ["notes"] * 1500}, "too-large"),
        (booking, "room_assigned", {"booking_id": BOOKING, "room_number": "101",
                                    "assigned_at": "2025-06-01T10:00:00Z"}, "deprecated-name"),
        (alias, "booking_checked_in", CHECKED_IN, "deprecated-name"),
        (hotel, "offer-created", {"offer": {"id": 2, "title": "Spa", "email": "a@b.c"},
                                  "action": "created"}, "sensitive-exposed"),
        (unknown, "booking_checked_in", CHECKED_IN, "unknown-channel"),
    ]
    try:
        running.subscribed(4)
        client = sender(soketi)
        for channel, event, data, _ in sends:
            client.trigger(channel, event, data)
        judged = running.wait_for(lambda e: isinstance(e, Judged), len(sends))
        got = [(e.channel, e.event, [k.value for k in e.kinds]) for e in judged
               if isinstance(e, Judged)]
        for (channel, event, _, kind), (seen_channel, seen_event, kinds) in zip(
                sends, got, strict=True):
            assert (seen_channel, seen_event) == (channel, event)
            assert kind in kinds, (event, kinds)
        by_kind = {k: e for e in judged if isinstance(e, Judged) for k in
                   [f.kind.value for f in e.verdict.findings]}
        assert by_kind["schema-violation"].verdict.findings[0].path == "$.status"
        assert by_kind["sensitive-exposed"].verdict.findings[-1].path == "$.offer.email"
        deprecated = [f for e in judged if isinstance(e, Judged) for f in e.verdict.findings
                      if f.kind.value == "deprecated-name"]
        assert {f.replacement for f in deprecated} == {"booking_room_assigned", booking}
        assert running.probe.summary.events == len(sends)
        assert running.probe.summary.violations == len(sends) - 1
    finally:
        running.stop()


def test_data_that_is_not_json_is_reported_and_the_probe_goes_on(
        contract: Contract, soketi: SoketiServer) -> None:
    """A frame whose data is not JSON gets a not-json verdict and the next event still arrives."""
    running = start(contract, soketi, None, None, "public", {"hotel_slug": "nj-hotel"})
    try:
        running.subscribed(1)
        client = sender(soketi)
        client.trigger("hotel-nj-hotel", "offer-deleted", "<html>oops</html>")
        client.trigger("hotel-nj-hotel", "offer-deleted",
                       {"offer_id": 1, "offer_title": "Spa", "action": "deleted"})
        first, second = running.judged("offer-deleted", 2)
        assert [k.value for k in first.kinds] == ["not-json"]
        assert first.data == "<html>oops</html>"
        assert second.ok
    finally:
        running.stop()


def test_unknown_app_key_stops_with_a_clear_message(contract: Contract,
                                                    soketi: SoketiServer) -> None:
    """Close code 4001 (app key unknown) stops the probe instead of reconnecting."""
    running = start(contract, soketi, None, None, "public", {"hotel_slug": HOTEL},
                    key="no-such-key")
    running.wait_done()
    assert isinstance(running.error, ProbeError)
    assert "4001" in str(running.error) and "app key" in str(running.error)
    assert running.probe.connection.reconnects == 0


def test_no_server_is_a_connection_error(contract: Contract, free_port: Callable[[], int]
                                         ) -> None:
    """Nothing listening on the port gives a ProbeError quickly, not a hang."""
    plan = plan_subscriptions(contract, "public", {"hotel_slug": HOTEL})
    probe = Probe(contract, ServerAddress("k", "127.0.0.1", free_port()), plan,
                  options=ConnectionOptions(connect_timeout=2))
    started = time.monotonic()
    with pytest.raises(ProbeError, match="cannot connect"):
        list(probe.events())
    assert time.monotonic() - started < 5


def test_idle_pings_follow_the_server_activity_timeout(contract: Contract,
                                                       soketi: SoketiServer) -> None:
    """With a 1 s activity timeout the probe pings when idle and gets pongs (no reconnect)."""
    running = start(contract, soketi, None, None, "public", {"hotel_slug": "ping-hotel"},
                    options=ConnectionOptions(activity_timeout=1.0, pong_timeout=2.0))
    try:
        running.subscribed(1)
        frames = running.probe.connection.frames
        time.sleep(3.5)
        assert running.probe.connection.frames >= frames + 2  # pongs answered the pings
        assert running.probe.connection.reconnects == 0
    finally:
        running.stop()


@pytest.mark.parametrize("abrupt", [False, True], ids=["restart", "crash"])
def test_restart_reconnects_reauthorizes_and_reports_the_gap(
        contract: Contract, fresh_soketi: SoketiServer, abrupt: bool) -> None:
    """soketi restarted mid-listen: reconnect, re-authorize with the new socket, report the gap."""
    with AuthServer(contract, fresh_soketi.key, fresh_soketi.secret, TOKENS) as auth:
        running = start(contract, fresh_soketi, auth, GUEST_TOKEN, "guest", GUEST_PARAMS)
        try:
            running.subscribed(3)
            fresh_soketi.restart(abrupt=abrupt)
            [gap] = running.wait_for(lambda e: isinstance(e, Gap), timeout=20)
            assert isinstance(gap, Gap)
            assert gap.disconnected_at < gap.reconnected_at
            assert f"private-booking-{BOOKING}" in gap.channels
            sender(fresh_soketi).trigger(f"private-booking-{BOOKING}", "booking_checked_in",
                                         CHECKED_IN)
            [judged] = running.judged("booking_checked_in")
            assert judged.ok
            again = [e for e in running.events if isinstance(e, Subscribed) and e.resubscribed]
            assert len(again) == 3
            sockets = [e.socket_id for e in running.events
                       if isinstance(e, StateChanged) and e.state == "connected"]
            assert len(set(sockets)) == 2
            booking_auths = [r for r in auth.requests
                             if r.channel_name == f"private-booking-{BOOKING}"]
            assert [r.status for r in booking_auths] == [200, 200]
            assert running.probe.summary.gaps == [gap]
        finally:
            running.stop()


@pytest.mark.slow
def test_idle_for_more_than_120_s_still_receives_without_a_gap(
        contract: Contract, soketi: SoketiServer, auth: AuthServer) -> None:
    """soketi closes silent sockets after 120 s; the probe's pings keep it open past that."""
    running = start(contract, soketi, auth, IDLE_TOKEN, "staff", {"hotel_slug": "idle-hotel"})
    try:
        running.subscribed(2)
        time.sleep(125)
        sender(soketi).trigger("private-hotel-idle-hotel-staff", "booking_overstay_acknowledged",
                               {"booking_id": BOOKING, "acknowledged_at": "2025-06-01T10:00:00Z"})
        [judged] = running.judged("booking_overstay_acknowledged")
        assert judged.ok
        assert not [e for e in running.events if isinstance(e, Gap)]
        assert not [e for e in running.events
                    if isinstance(e, StateChanged) and e.state == "disconnected"]
    finally:
        running.stop()


def _mute_server(listener: socket.socket) -> None:
    """Accept WebSockets, send a non-JSON frame and connection_established, then never answer."""
    guid = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        conn.settimeout(WAIT)
        request = b""
        while b"\r\n\r\n" not in request:
            request += conn.recv(4096)
        key = re.search(rb"Sec-WebSocket-Key: *(\S+)", request, re.I)
        assert key is not None
        accept = base64.b64encode(hashlib.sha1(key.group(1) + guid).digest())
        conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
        hello = json.dumps({"event": "pusher:connection_established",
                            "data": json.dumps({"socket_id": "1.2", "activity_timeout": 1})})
        for text in (b"<html>not json", hello.encode()):
            conn.sendall(bytes([0x81, len(text)]) + text)  # one unmasked text frame


def test_no_pong_reconnects_and_a_non_json_frame_is_reported() -> None:
    """A server that stops answering pings is dropped and reconnected; a bad frame is reported."""
    listener = socket.create_server(("127.0.0.1", 0))
    threading.Thread(target=_mute_server, args=(listener,), daemon=True).start()
    connection = Connection(ServerAddress("k", "127.0.0.1", listener.getsockname()[1]), [],
                            options=ConnectionOptions(pong_timeout=0.5, backoff_initial=0.1,
                                                      tick=0.1))
    connection.start()
    seen: list[Any] = []
    try:
        deadline = time.monotonic() + WAIT
        while connection.reconnects < 1 or not seen or seen[-1].type != "state":
            assert time.monotonic() < deadline, [e for e in seen]
            with contextlib.suppress(queue.Empty):
                seen.append(connection.queue.get(timeout=0.1))
    finally:
        started = time.monotonic()
        connection.close(timeout=WAIT)
        listener.close()
    assert time.monotonic() - started < 2 and not connection.alive
    assert any(isinstance(e, FrameProblem) and e.kind == "not-json" for e in seen)
    lost = [e for e in seen if isinstance(e, StateChanged) and e.state == "disconnected"]
    assert lost and "no pusher:pong within 0.5 s" in lost[0].reason
