"""A Pusher-protocol client connection the probe can trust, on websocket-client.

Why not pysher's `Connection`: every behaviour the probe needs is one pysher gets wrong, so a
subclass would override nearly all of it. pysher pings every 120 s and ignores the server's
`activity_timeout` (soketi advertises 30 s and closes a silent socket after 120 s); it dispatches
only events someone bound by name (the probe must see every frame); its `_on_message` raises on a
frame that is not JSON; it ignores WebSocket close codes, so a 4200 "reconnect now" ends its
thread; it reconnects at a fixed interval with no backoff and no give-up; its resubscribe after a
reconnect re-sends no auth (the old signature is bound to the old socket id); its remote auth uses
`requests` with no timeout and an `assert`; and `disconnect()` joins with no timeout. This module
keeps what pysher gets right (the frame shapes, the ping/pong protocol, the signature formula,
pinned in the unit tests against pysher itself) and does the rest on websocket-client (which
pysher itself uses): one reader thread, a bounded `recv` tick, every wait with a deadline.

The connection turns frames into `ProbeEvent`s (states, subscriptions, errors, gaps) and raw
channel events (`RawEvent`), put on a queue that `Probe` (session.py) drains and judges. Close
codes: 4000-4099 stop with a clear `ProbeError`; 4100-4199 and network loss reconnect with
exponential backoff; 4200-4299 reconnect at once. After every reconnect each private channel is
authorized again with the *new* socket id before it is resubscribed, and a `Gap` reports the
blind window once every channel is subscribed again.
"""

from __future__ import annotations

import contextlib
import json
import queue
import random
import struct
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from hotelmate_rt.errors import HotelmateRtError, ProbeError

from .auth import Authorizer, Redactor, meaning_of
from .events import Gap, ProbeEvent, PusherError, StateChanged, Subscribed, SubscriptionFailed

__all__ = ["Connection", "ConnectionOptions", "RawEvent", "ServerAddress", "close_code_policy"]

PROTOCOL = 7
CLIENT_NAME = "hotelmate-rt-probe"


class RawEvent(NamedTuple):
    """One channel event exactly as received: channel, event name, raw data, receive time."""

    channel: str
    event: str
    data: Any
    at: float


class Fatal(NamedTuple):
    """The connection stopped for good; the session raises `error`."""

    error: HotelmateRtError


class Finished(NamedTuple):
    """The connection was closed on request."""

    reason: str


QueueItem = ProbeEvent | RawEvent | Fatal | Finished


@dataclass(frozen=True, slots=True)
class ServerAddress:
    """Where the Pusher-protocol server is and which app key to connect with."""

    key: str
    host: str = "127.0.0.1"
    port: int = 6001
    tls: bool = False

    @classmethod
    def for_cluster(cls, key: str, cluster: str) -> ServerAddress:
        """Return the hosted Pusher Channels address of a cluster (TLS on 443)."""
        return cls(key, f"ws-{cluster}.pusher.com", 443, True)

    @property
    def url(self) -> str:
        """Return the WebSocket URL a client connects to (key in the path, like pusher-js)."""
        scheme = "wss" if self.tls else "ws"
        return (f"{scheme}://{self.host}:{self.port}/app/{self.key}"
                f"?protocol={PROTOCOL}&client={CLIENT_NAME}&version=1.0")


@dataclass(frozen=True, slots=True)
class ConnectionOptions:
    """Timeouts and backoff; every wait the connection makes is bounded by one of these."""

    connect_timeout: float = 10.0
    activity_timeout: float = 120.0
    pong_timeout: float = 30.0
    subscribe_timeout: float = 10.0
    backoff_initial: float = 0.5
    backoff_max: float = 10.0
    give_up_after: float = 300.0
    tick: float = 0.5


def close_code_policy(code: int | None) -> str:
    """Classify a close/error code: 'stop', 'backoff' or 'now' (protocol 7 rules)."""
    if code is None:
        return "backoff"
    if 4000 <= code <= 4099:
        return "stop"
    if 4200 <= code <= 4299:
        return "now"
    return "backoff"


_STOP_MEANINGS = {
    4000: "the server requires TLS: connect with --tls",
    4001: "the server does not know this app key: check --key (the key must match the server's "
          "app)",
    4003: "the app is disabled on the server",
    4004: "the app is over its connection quota",
    4005: "the path is wrong: the probe connects to /app/KEY",
    4006: "the protocol version is not supported",
    4007: "the client did not send a supported protocol version",
    4008: "the client did not identify itself",
    4009: "the connection is unauthorized (the server closed it)",
}


def stop_message(code: int, reason: str) -> str:
    """Explain a 4000-4099 close code: the connection must not be retried unchanged."""
    meaning = _STOP_MEANINGS.get(code, "the server refused the connection; it must not be "
                                       "retried unchanged")
    said = f" (server said: {reason})" if reason else ""
    return f"server closed the connection with code {code}: {meaning}{said}"


@dataclass(slots=True)
class _Channel:
    """One channel the connection keeps subscribed."""

    name: str
    channel_id: str | None
    subscribed: bool = False


class _Lost(Exception):
    """The socket was lost (network or server close) and should be reconnected."""

    def __init__(self, reason: str, code: int | None = None) -> None:
        self.reason = reason
        self.code = code
        super().__init__(reason)


class Connection:
    """A reader thread that keeps `channels` subscribed and puts what happens on `queue`."""

    def __init__(self, server: ServerAddress, channels: Sequence[tuple[str, str | None]],
                 authorizer: Authorizer | None = None,
                 options: ConnectionOptions | None = None,
                 redactor: Redactor | None = None) -> None:
        """Describe the connection; nothing happens until `start()`."""
        self.server = server
        self.options = options or ConnectionOptions()
        self.authorizer = authorizer
        self.redact = redactor or Redactor()
        self.queue: queue.SimpleQueue[QueueItem] = queue.SimpleQueue()
        self.state = "initialized"
        self.socket_id: str | None = None
        self.activity_timeout = self.options.activity_timeout
        self.reconnects = 0
        self.frames = 0
        self._channels = [_Channel(name, cid) for name, cid in channels]
        self._stop = threading.Event()
        self._ws: Any = None
        self._last_rx = 0.0
        self._timeout = -1.0
        self._gap_start: float | None = None
        self._gap_reason = ""
        self._thread = threading.Thread(target=self._run, name="hotelmate-rt-probe", daemon=True)

    # -- public API ------------------------------------------------------------------------

    def start(self) -> None:
        """Start the reader thread (connect, subscribe, read)."""
        self._thread.start()

    def close(self, timeout: float = 5.0) -> None:
        """Stop reading, close the socket and wait (bounded) for the thread to end."""
        self._stop.set()
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(Exception):  # the socket may already be gone
                ws.abort()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        """Tell whether the reader thread still runs."""
        return self._thread.is_alive()

    # -- thread ----------------------------------------------------------------------------

    def _put(self, item: QueueItem) -> None:
        """Hand one item to the consumer."""
        self.queue.put(item)

    def _set_state(self, state: str, **extra: Any) -> None:
        """Record and report a state change."""
        previous, self.state = self.state, state
        self._put(StateChanged(state=state, previous=previous, **extra))

    def _run(self) -> None:
        """Connect, then keep the subscriptions alive until stopped or a fatal error."""
        try:
            self._session()
        except HotelmateRtError as exc:
            self._set_state("stopped", reason=str(exc))
            self._put(Fatal(exc))
            return
        except Exception as exc:  # an unexpected bug must end the stream, not hang it
            error = ProbeError(f"probe connection failed unexpectedly: "
                               f"{type(exc).__name__}: {self.redact(str(exc))}")
            self._set_state("stopped", reason=str(error))
            self._put(Fatal(error))
            return
        finally:
            self._drop_socket()
        self._set_state("stopped", reason="closed")
        self._put(Finished("closed"))

    def _session(self) -> None:
        """Run connections back to back: read until lost, then back off and reconnect."""
        first = True
        lost_mono = 0.0
        delay = 0.0
        while not self._stop.is_set():
            if not first:
                if time.monotonic() - lost_mono > self.options.give_up_after:
                    raise ProbeError(
                        f"gave up reconnecting to {self.server.host}:{self.server.port} after "
                        f"{self.options.give_up_after:g} s ({self._gap_reason})")
                if delay > 0:
                    self._set_state("reconnecting", reason=f"in {delay:.1f} s after "
                                                           f"{self._gap_reason}")
                    if self._stop.wait(delay):
                        return
            try:
                self._connect()
            except _Lost as lost:
                if self._stop.is_set():
                    return
                if first:
                    raise ProbeError(
                        f"cannot connect to {self.server.url.split('?')[0]}: {lost.reason}"
                    ) from None
                delay = self._next_delay(delay)
                continue
            if not first:
                self.reconnects += 1
            try:
                self._subscribe_all()
                self._read()
                return
            except _Lost as lost:
                if self._stop.is_set():
                    return
                self._drop_socket()
                if self._gap_start is None:  # a loss while resubscribing extends the open gap
                    self._gap_start, self._gap_reason = time.time(), lost.reason
                    lost_mono = time.monotonic()
                self._set_state("disconnected", code=lost.code, reason=lost.reason)
                policy = close_code_policy(lost.code)
                delay = 0.0 if policy == "now" else self.options.backoff_initial
                first = False
                # A 'now' reconnect is attempted at once; later attempts back off.
                if delay == 0.0:
                    self._set_state("reconnecting", reason=f"now after {lost.reason}")

    def _next_delay(self, delay: float) -> float:
        """Return the next backoff delay (exponential with a little jitter, capped)."""
        base = max(self.options.backoff_initial, delay * 2)
        return min(self.options.backoff_max, base) * random.uniform(0.9, 1.1)

    def _drop_socket(self) -> None:
        """Close the current socket without waiting."""
        ws, self._ws = self._ws, None
        if ws is not None:
            with contextlib.suppress(Exception):  # closing a broken socket may fail
                ws.abort()
                ws.close(timeout=0.2)

    def _connect(self) -> None:
        """Open the socket and wait (bounded) for pusher:connection_established."""
        import websocket

        self._set_state("connecting")
        try:
            ws = websocket.create_connection(
                self.server.url, timeout=self.options.connect_timeout,
                skip_utf8_validation=True, enable_multithread=True)
        except (OSError, websocket.WebSocketException) as exc:
            raise _Lost(self._describe_error(exc)) from None
        self._ws = ws
        self._timeout = self.options.connect_timeout
        deadline = time.monotonic() + self.options.connect_timeout
        while True:
            if self._stop.is_set():
                raise _Lost("closed on request")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ProbeError(
                    f"{self.server.host}:{self.server.port} accepted the WebSocket but sent no "
                    f"pusher:connection_established within {self.options.connect_timeout:g} s: "
                    "is this a Pusher-protocol server?")
            message = self._recv(min(remaining, self.options.tick))
            if message is None:
                continue
            event = message.get("event")
            if event == "pusher:connection_established":
                data = _decode(message.get("data"))
                self.socket_id = str(data.get("socket_id", ""))
                server_timeout = data.get("activity_timeout")
                if isinstance(server_timeout, int | float) and server_timeout > 0:
                    self.activity_timeout = min(float(server_timeout),
                                                self.options.activity_timeout)
                self._set_state("connected", socket_id=self.socket_id,
                                activity_timeout=self.activity_timeout)
                return
            if event == "pusher:error":
                self._on_pusher_error(message)

    def _subscribe_all(self) -> None:
        """Authorize (with the current socket id) and subscribe every channel."""
        for channel in self._channels:
            channel.subscribed = False
            data: dict[str, Any] = {"channel": channel.name}
            if channel.name.startswith(("private-", "presence-")):
                if self.authorizer is None:
                    raise ProbeError(
                        f"{channel.name} is a private channel: pass --auth-endpoint URL with "
                        "--token (or --sign-locally for a dev server)")
                try:
                    authorization = self.authorizer.authorize(self.socket_id or "", channel.name)
                except ProbeError as exc:
                    status = getattr(exc, "status", None)
                    reason = str(getattr(exc, "reason", "") or "")
                    meaning = meaning_of(status) if isinstance(status, int) and status != 200 \
                        else str(exc)
                    self._put(SubscriptionFailed(
                        channel=channel.name, source="auth-endpoint", status=status,
                        reason=reason, meaning=meaning))
                    raise
                data["auth"] = authorization.auth
                if authorization.channel_data is not None:
                    data["channel_data"] = authorization.channel_data
            self._send({"event": "pusher:subscribe", "data": data})

    def _send(self, message: dict[str, Any]) -> None:
        """Send one JSON frame, or report the socket lost."""
        import websocket

        ws = self._ws
        if ws is None:
            raise _Lost("socket closed")
        try:
            ws.send(json.dumps(message))
        except (OSError, websocket.WebSocketException) as exc:
            raise _Lost(self._describe_error(exc)) from None

    def _recv(self, timeout: float) -> dict[str, Any] | None:
        """Receive one JSON frame within `timeout` (None on timeout or a non-JSON frame)."""
        import websocket

        ws = self._ws
        if ws is None:
            raise _Lost("socket closed")
        timeout = max(timeout, 0.001)
        try:
            if abs(timeout - self._timeout) > 0.01:
                ws.settimeout(timeout)
                self._timeout = timeout
            opcode, payload = ws.recv_data()
        except (TimeoutError, websocket.WebSocketTimeoutException):
            return None
        except (OSError, websocket.WebSocketException) as exc:
            if self._stop.is_set():
                raise _Lost("closed on request") from None
            raise _Lost(self._describe_error(exc)) from None
        self._last_rx = time.monotonic()
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            code: int | None = None
            reason = ""
            if len(payload) >= 2:
                code = struct.unpack("!H", payload[:2])[0]
                reason = payload[2:].decode("utf-8", errors="replace")
            if code is not None and close_code_policy(code) == "stop":
                raise ProbeError(stop_message(code, reason))
            said = f" {reason}" if reason else ""
            raise _Lost(f"server closed the connection (code {code}{said})", code)
        self.frames += 1
        try:
            message = json.loads(payload)
        except ValueError:
            self._put(PusherError(code=None, message="server sent a frame that is not JSON: "
                                  f"{payload[:80]!r}"))
            return None
        return message if isinstance(message, dict) else None

    def _read(self) -> None:
        """Read frames until stopped, honouring activity_timeout with ping/pong."""
        options = self.options
        self._last_rx = time.monotonic()
        subscribe_deadline = time.monotonic() + options.subscribe_timeout
        ping_sent: float | None = None
        pending = {c.name for c in self._channels}
        channel_ids = {c.name: c.channel_id for c in self._channels}
        resubscribe = self.reconnects > 0
        queue_put = self.queue.put
        while not self._stop.is_set():
            now = time.monotonic()
            if ping_sent is not None:
                wait = ping_sent + options.pong_timeout - now
                if wait <= 0:
                    raise _Lost(f"no pusher:pong within {options.pong_timeout:g} s")
            else:
                wait = self._last_rx + self.activity_timeout - now
                if wait <= 0:
                    self._send({"event": "pusher:ping", "data": {}})
                    ping_sent = now
                    continue
            if pending:
                left = subscribe_deadline - now
                if left <= 0:
                    names = ", ".join(sorted(pending))
                    raise ProbeError(f"the server did not answer the subscription to {names} "
                                     f"within {options.subscribe_timeout:g} s")
                wait = min(wait, left)
            message = self._recv(min(wait, options.tick))
            if message is None:
                continue
            ping_sent = None  # any frame proves the connection is alive
            event = message.get("event")
            channel = message.get("channel")
            if channel is not None and not str(event).startswith(("pusher:", "pusher_internal:")):
                queue_put(RawEvent(channel, str(event), message.get("data"), time.time()))
                continue
            if event == "pusher_internal:subscription_succeeded":
                name = str(channel)
                pending.discard(name)
                for c in self._channels:
                    if c.name == name:
                        c.subscribed = True
                queue_put(Subscribed(channel=name, channel_id=channel_ids.get(name),
                                     resubscribed=resubscribe))
                if not pending and self._gap_start is not None:
                    queue_put(Gap(disconnected_at=self._gap_start, reconnected_at=time.time(),
                                  reason=self._gap_reason,
                                  channels=tuple(c.name for c in self._channels)))
                    self._gap_start = None
            elif event == "pusher:subscription_error":
                self._on_subscription_error(str(channel), _decode(message.get("data")))
            elif event == "pusher:ping":
                self._send({"event": "pusher:pong", "data": {}})
            elif event == "pusher:error":
                self._on_pusher_error(message)
            # pusher:pong and presence member events need nothing more than the activity mark.
        raise _Lost("closed on request")

    def _on_pusher_error(self, message: dict[str, Any]) -> None:
        """Report a pusher:error frame; the close frame that may follow decides what happens."""
        data = _decode(message.get("data"))
        raw_code = data.get("code")
        try:
            code = int(raw_code) if raw_code is not None else None
        except (TypeError, ValueError):
            code = None
        text = data.get("message") or data.get("error") or ""
        self._put(PusherError(code=code, message=self.redact(str(text)),
                              channel=message.get("channel")))

    def _on_subscription_error(self, channel: str, data: dict[str, Any]) -> None:
        """Report a refused subscription and stop: the channel cannot be listened to."""
        status = data.get("status")
        error = str(data.get("error") or data.get("message") or data.get("type") or "refused")
        kind = str(data.get("type") or "")
        if kind == "AuthError" or status in (401, 4009):
            meaning = ("the server rejected the channel signature: the auth endpoint signs with "
                       "a different app key/secret than this server's app, or for another "
                       "socket id")
        else:
            meaning = "the server refused the subscription"
        self._put(SubscriptionFailed(channel=channel, source="server",
                                     status=status if isinstance(status, int) else None,
                                     reason=self.redact(error), meaning=meaning))
        raise ProbeError(f"subscription to {channel} refused by the server "
                         f"({kind or 'error'} {status}: {self.redact(error)}); {meaning}")

    def _describe_error(self, exc: BaseException) -> str:
        """Phrase a socket error in one short redacted sentence."""
        if isinstance(exc, ConnectionRefusedError):
            return "connection refused"
        text = str(exc) or type(exc).__name__
        return self.redact(text)


def _decode(data: Any) -> dict[str, Any]:
    """Decode a frame's `data` (a JSON string or already an object) into a dict."""
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            return {}
    return data if isinstance(data, dict) else {}
