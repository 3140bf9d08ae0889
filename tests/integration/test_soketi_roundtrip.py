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

from hotelmate_rt.testing.soketi import SoketiServer

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


class Client:
    """A connected pysher client plus its inbox."""

    def __init__(self, server: SoketiServer) -> None:
        """Connect to ``server`` and wait (bounded) for the socket id."""
        self.pysher = pysher.Pusher(
            **server.pysher_kwargs(), log_level=logging.WARNING, reconnect_interval=1
        )
        # pysher stores a channel only after sending pusher:subscribe, so a fast reply would be
        # dropped: hook the connection's dispatcher to see every channel frame.
        self.inbox = Inbox(self.pysher._connection_handler)
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

    received: list[Any] = []
    arrived = threading.Event()
    channel.bind("booking-status-changed", lambda data: (received.append(data), arrived.set()))
    payload = {"booking_id": "BK-2025-0002", "status": "checked_in"}
    assert backend.trigger(channel_name, "booking-status-changed", payload) == {}

    assert arrived.wait(WAIT), f"event not received within {WAIT} s"
    assert json.loads(received[0]) == payload


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
