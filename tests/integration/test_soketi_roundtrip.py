"""Round trips through a real soketi: the pusher SDK triggers, pysher receives."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pusher
import pysher
import pytest

from hotelmate_rt.testing.soketi import SoketiError, SoketiServer

WAIT = 10.0

Frame = tuple[str, Any, str]


class Inbox:
    """Collects every channel frame pysher receives, even for channels it has not registered."""

    def __init__(self, forward: Callable[[str, Any, str], None]) -> None:
        """Keep pysher's own dispatcher so bound callbacks still run."""
        self._forward = forward
        self._frames: list[Frame] = []
        self._cond = threading.Condition()

    def __call__(self, event: str, data: Any, channel: str) -> None:
        """Record one frame and pass it on to pysher."""
        with self._cond:
            self._frames.append((event, data, channel))
            self._cond.notify_all()
        self._forward(event, data, channel)

    def wait_for(self, channel: str, events: set[str], timeout: float = WAIT) -> Frame:
        """Return the first frame on ``channel`` whose event is in ``events``, or fail."""
        with self._cond:
            found = self._cond.wait_for(
                lambda: next((f for f in self._frames if f[2] == channel and f[0] in events), None),
                timeout,
            )
            if found is None:
                pytest.fail(f"no {sorted(events)} on {channel} within {timeout} s: {self._frames}")
            return found


class Catcher:
    """A pysher callback that keeps every payload and signals the first one."""

    def __init__(self) -> None:
        """Start empty."""
        self.items: list[Any] = []
        self.event = threading.Event()

    def __call__(self, data: Any) -> None:
        """Keep one payload."""
        self.items.append(data)
        self.event.set()

    def wait(self, timeout: float = WAIT) -> bool:
        """Wait (bounded) for the first payload."""
        return self.event.wait(timeout)


class Client:
    """A connected pysher client plus its inbox."""

    def __init__(self, server: SoketiServer) -> None:
        """Connect to ``server`` and wait (bounded) for the socket id."""
        options = {**server.pysher_kwargs(), "log_level": logging.WARNING, "reconnect_interval": 1}
        self.pysher = pysher.Pusher(**options)
        # pysher stores a channel only after sending pusher:subscribe, so a fast reply would be
        # dropped: hook the connection's dispatcher to see every channel frame.
        self.inbox = Inbox(self.pysher._connection_handler)
        # pysher runs websocket-client with ping_timeout=100, which is also the select() timeout
        # of its read loop: disconnect() can then block for 100 s. Keep that loop responsive.
        self.pysher.connection.socket_kwargs["ping_timeout"] = 0.5
        self.pysher.connection.event_handler = self.inbox
        connected = threading.Event()
        self.pysher.connection.bind("pusher:connection_established", lambda _: connected.set())
        self.pysher.connect()
        if not connected.wait(WAIT):
            self.close()
            pytest.fail(f"pysher did not connect to {server.ws_url} within {WAIT} s")

    @property
    def socket_id(self) -> str:
        """The socket id soketi assigned to this connection."""
        return str(self.pysher.connection.socket_id)

    def close(self) -> None:
        """Disconnect and wait (bounded) for pysher's thread to end."""
        self.pysher.disconnect(timeout=WAIT)


@pytest.fixture
def client(soketi: SoketiServer) -> Iterator[Client]:
    """A pysher client connected to the session's soketi."""
    c = Client(soketi)
    yield c
    c.close()


@pytest.fixture
def backend(soketi: SoketiServer) -> pusher.Pusher:
    """The real pusher server SDK pointed at the session's soketi."""
    return pusher.Pusher(**soketi.pusher_kwargs(), timeout=WAIT)


def test_private_channel_receives_triggered_event(client: Client, backend: pusher.Pusher) -> None:
    """An event triggered with the pusher SDK arrives on a locally authorized private channel."""
    channel_name = "private-booking-BK-2025-0002"
    auth = backend.authenticate(channel=channel_name, socket_id=client.socket_id)["auth"]
    channel = client.pysher.subscribe(channel_name, auth=auth)
    event, _, _ = client.inbox.wait_for(
        channel_name, {"pusher_internal:subscription_succeeded", "pusher:subscription_error"}
    )
    assert event == "pusher_internal:subscription_succeeded"

    received = Catcher()
    channel.bind("booking-status-changed", received)
    payload = {"booking_id": "BK-2025-0002", "status": "checked_in"}
    # soketi answers {"ok": true}; hosted Pusher answers {} (or {"channels": ...}).
    assert isinstance(backend.trigger(channel_name, "booking-status-changed", payload), dict)

    assert received.wait(), f"event not received within {WAIT} s"
    assert json.loads(received.items[0]) == payload


@pytest.mark.parametrize("wrong", ["secret", "socket_id"])
def test_private_channel_with_bad_signature_is_refused(
    client: Client, soketi: SoketiServer, wrong: str
) -> None:
    """A private subscription signed with the wrong secret or another socket id is refused."""
    channel_name = "private-booking-BK-2025-0003"
    kwargs = soketi.pusher_kwargs()
    socket_id = client.socket_id
    if wrong == "secret":
        kwargs["secret"] = "not-the-secret"
    else:
        socket_id = "123.456"
    signer = pusher.Pusher(**kwargs)
    auth = signer.authenticate(channel=channel_name, socket_id=socket_id)["auth"]
    client.pysher.subscribe(channel_name, auth=auth)

    event, data, _ = client.inbox.wait_for(
        channel_name, {"pusher_internal:subscription_succeeded", "pusher:subscription_error"}
    )
    assert event == "pusher:subscription_error"
    assert data["type"] == "AuthError"
    assert data["status"] == 401


def _public_roundtrip(server: SoketiServer) -> Any:
    """Trigger one event on a public channel of ``server`` and return what pysher received."""
    c = Client(server)
    try:
        c.pysher.subscribe("hotel-grand-offers")
        c.inbox.wait_for("hotel-grand-offers", {"pusher_internal:subscription_succeeded"})
        pusher.Pusher(**server.pusher_kwargs(), timeout=WAIT).trigger(
            "hotel-grand-offers", "offer-created", {"offer_id": 7}
        )
        _, data, _ = c.inbox.wait_for("hotel-grand-offers", {"offer-created"})
        return json.loads(data)
    finally:
        c.close()


def test_fresh_soketi_restarts_on_the_same_port(fresh_soketi: SoketiServer) -> None:
    """A graceful and an abrupt restart keep the port, and the server serves again after both."""
    port = fresh_soketi.port
    fresh_soketi.restart()
    fresh_soketi.restart(abrupt=True)
    assert fresh_soketi.port == port
    assert fresh_soketi.is_running
    assert _public_roundtrip(fresh_soketi) == {"offer_id": 7}


def test_extra_env_reaches_soketi() -> None:
    """``extra_env`` configures soketi: a disabled app is refused with error 4003."""
    errors = Catcher()
    with SoketiServer(extra_env={"SOKETI_DEFAULT_APP_ENABLED": "false"}) as server:
        client = pysher.Pusher(**server.pysher_kwargs(), log_level=logging.CRITICAL)
        client.connection.socket_kwargs["ping_timeout"] = 0.5
        client.connection.bind("pusher:error", errors)
        client.connect()
        try:
            assert errors.wait(), "no pusher:error for a disabled app"
        finally:
            client.disconnect(timeout=WAIT)
    assert errors.items[0]["code"] == 4003


def test_failed_start_reports_the_log_tail() -> None:
    """A soketi that cannot start raises SoketiError quoting its own log."""
    bad_tls = {"SOKETI_SSL_CERT": "/nonexistent.pem", "SOKETI_SSL_KEY": "/nonexistent.key"}
    server = SoketiServer(extra_env=bad_tls, startup_timeout=WAIT)
    try:
        with pytest.raises(SoketiError, match="App construction failed"):
            server.start()
        assert not server.is_running
    finally:
        server.close()
