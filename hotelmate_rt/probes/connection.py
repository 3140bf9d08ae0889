"""A connection layer over pysher: what it keeps, what it overrides and why.

`Connection` subclasses `pysher.connection.Connection` and keeps its machinery: the `Thread` whose
`run()` calls `_connect()`, one `websocket.WebSocketApp` run loop per connection attempt, the
`bind()`/`event_callbacks` dispatch of connection-level events (`pusher:connection_established`,
`pusher:ping`/`pong`, `pusher:error`, `pusher:connection_failed`), `send_event`, `send_pong`,
`_on_open`, `_ping_handler`, `_start_timers`, and the `sched`-based ping, pong and connection
timers.
It does not use `pysher.Pusher` (its remote auth uses `requests` with no timeout and an `assert`):
private channels are authorized through `probes/auth.py` (httpx, bounded).

It overrides exactly what pysher gets wrong for a probe:

- `_on_message`: pysher dispatches only events someone bound by name and raises on a frame that
  is not JSON. Here every frame of a subscribed channel goes to `queue` as a `RawEvent`; a frame
  that is not JSON (or too deep to decode), whose channel or event is not a string, that comes on
  a channel the probe never subscribed to, or that names an unknown `pusher:*` /
  `pusher_internal:*` event is reported as a `FrameProblem` and the loop goes on;
  connection-level events still go to the bound callbacks. pysher also restarts every timer on
  every frame (a scheduler cancel and two inserts per event); here a frame only stamps
  `_last_rx` and the timers check it when they fire.
- `_connect_handler`: pysher pings every 120 s whatever the server says (soketi advertises 30 s
  and closes a silent socket after 120 s). Here `activity_timeout` from
  `pusher:connection_established` sets `ping_interval`, `pong_timeout` and `connection_timeout`;
  the new `socket_id` is recorded and `Subscriptions` (subscriptions.py) subscribes every
  channel again, each private one authorized with the new socket id (pysher resubscribes with no
  auth, or with a signature bound to the old socket id); a `Gap` reports the blind window once
  every channel is subscribed again (or refused), or when the session ends still blind.
- `send_ping`, `_check_pong`, `_connection_timed_out`, `_stop_timers`: the same timers, made
  activity-aware (ping only after `activity_timeout` of silence; reconnect when no frame came
  within `pong_timeout` of a ping; the connection timer is a backstop at `activity_timeout` +
  2 x `pong_timeout` of silence; `_stop_timers` cancels only those three timers, so the
  subscription deadline survives a server ping). The scheduler runs on one long-lived thread
  that sleeps at most `tick`: pysher's thread ends whenever its queue is empty (a timer entered
  at that moment would never fire) and sleeps up to 30 s after an earlier timer was entered.
- `_on_close`, `_on_error`, `_pusher_error_handler`: pysher ignores close codes (a 4200 "reconnect
  now" ends its thread) and calls `disconnect()`, which joins its own thread, from inside it.
  Here codes are classified: 4000-4099 stop with a clear `ProbeError`; 4100-4199 and network
  loss reconnect with capped exponential backoff, jitter and a give-up deadline; 4200-4299
  reconnect at once. `reconnect(0)` is one-shot (pysher's leaves the interval at 0 forever).
- `_connect`: pysher's loop retries at a fixed interval forever and `run_forever` has no connect
  timeout (websocket-client reads a process-global default). Here each attempt opens the
  TCP/TLS socket itself with `connect_timeout` and hands it to `WebSocketApp(socket=...)`, and
  the attempts back off, give up after `give_up_after` and end in `Fatal` or `Finished`. With
  several servers (the nodes of a cluster) a first connection tries each, and a lost connection
  fails over to the next node at once. The
  socket reads ahead (`_ReadAhead`) and the app uses websocket-client's `pending()`-aware
  dispatcher, so a burst of frames costs one `recv` instead of an epoll and three `recv`s each
  (about 25% less reader CPU per event than pysher's plain loop, measured in the benchmark).
- `disconnect`: pysher's joins with no timeout and closes the socket by waiting for the server's
  close frame. Here it sends a close frame, shuts the socket down and joins with a timeout; the
  read loop's select wakes every `tick` (socket_kwargs `ping_timeout`) to notice a stop.

What cannot be done through the subclass: the prepared socket bypasses websocket-client's HTTP
proxy support (pysher passes proxy settings to `run_forever`), so the probe connects directly;
and `WebSocketApp` logs "... - goodbye" at ERROR on the shared `websocket` logger whenever a
socket ends, closes on request included (it has a NullHandler, so nothing prints by default).

The queue carries `ProbeEvent`s (states, subscriptions, errors, gaps), `RawEvent`s (channel
events), and finally one `Fatal` or `Finished`; `Probe` (session.py) drains and judges it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import random
import sched
import socket
import ssl
import threading
import time
from collections.abc import Sequence
from typing import Any, NamedTuple, cast

import pysher.connection
import websocket

from hotelmate_rt.errors import HotelmateRtError, ProbeError

from .auth import Authorizer, Redactor
from .events import FrameProblem, Gap, ProbeEvent, PusherError, StateChanged, SubscriptionFailed
from .server import ConnectionOptions, ServerAddress, close_code_policy, stop_message
from .subscriptions import Subscriptions

__all__ = ["Connection", "ConnectionOptions", "RawEvent", "ServerAddress", "close_code_policy"]

_INTERNAL = ("pusher:", "pusher_internal:")
_CHANNEL_PROTOCOL = frozenset({"pusher_internal:subscription_succeeded", "pusher:subscription_error",
                               "pusher:error", "pusher_internal:member_added",
                               "pusher_internal:member_removed", "pusher:cache_miss",
                               "pusher_internal:subscription_count", "pusher:subscription_count"})
_CONNECTION_PROTOCOL = frozenset({"pusher:signin_success"})
_PYSHER_LOG = logging.getLogger("hotelmate_rt.probes.pysher")
_PYSHER_LOG.addHandler(logging.NullHandler())
_PYSHER_LOG.setLevel(logging.WARNING)  # pysher logs every frame it sends at INFO (signatures too)


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


class _ReadAhead:
    """A socket whose `recv` reads ahead, so websocket-client parses a burst of frames in memory."""

    __slots__ = ("_buf", "_pos", "_sock")

    def __init__(self, sock: socket.socket) -> None:
        """Wrap a connected socket (plain or TLS)."""
        self._sock = sock
        self._buf = b""
        self._pos = 0

    def recv(self, size: int) -> bytes:
        """Return up to `size` buffered bytes, reading up to 64 KiB when the buffer is empty."""
        if self._pos >= len(self._buf):
            self._buf = self._sock.recv(65536)
            self._pos = 0
        start = self._pos
        self._pos = start + size
        return self._buf[start:start + size]

    def pending(self) -> int:
        """Count bytes already read but not yet parsed (plus TLS-buffered bytes)."""
        extra = self._sock.pending() if isinstance(self._sock, ssl.SSLSocket) else 0
        return len(self._buf) - self._pos + extra

    def __getattr__(self, name: str) -> Any:
        """Delegate everything else (send, fileno, timeouts, shutdown, close) to the socket."""
        return getattr(self._sock, name)


class _App(websocket.WebSocketApp):
    """WebSocketApp whose read loop asks `pending()` before waiting in select (read-ahead)."""

    def create_dispatcher(self, ping_timeout: Any, dispatcher: Any = None, is_ssl: bool = False,
                          handleDisconnect: Any = None) -> Any:
        """Use websocket-client's pending-aware (SSL) dispatcher for every socket."""
        return super().create_dispatcher(ping_timeout, dispatcher, True, handleDisconnect)


class Connection(pysher.connection.Connection):
    """pysher's connection thread, fixed: keeps `channels` subscribed and reports on `queue`.

    Given several servers (the nodes of a cluster), it connects to the first that answers and,
    when its node is lost, fails over to the next one (then round the list with backoff).
    """

    def __init__(self, server: ServerAddress | Sequence[ServerAddress],
                 channels: Sequence[tuple[str, str | None]],
                 authorizer: Authorizer | None = None,
                 options: ConnectionOptions | None = None,
                 redactor: Redactor | None = None) -> None:
        """Describe the connection; nothing happens until `start()`."""
        options = options or ConnectionOptions()
        servers = [server] if isinstance(server, ServerAddress) else list(server)
        if not servers:
            raise ProbeError("no server to connect to")
        server = servers[0]
        super().__init__(self._channel_event, server.url,
                         reconnect_handler=self._subscribe_all, daemon=True,
                         reconnect_interval=options.backoff_initial,
                         socket_kwargs={"ping_timeout": options.tick,
                                        "skip_utf8_validation": True, "reconnect": 0})
        self.name = "hotelmate-rt-probe"
        self.logger = _PYSHER_LOG
        self.servers = servers
        self.server = server
        self.options = options
        self.authorizer = authorizer
        self.redact = redactor or Redactor()
        self.queue: queue.SimpleQueue[QueueItem] = queue.SimpleQueue()
        self.state = "initialized"
        self.socket_id: str | None = None
        self.activity_timeout = options.activity_timeout
        self.ping_interval = options.activity_timeout
        self.pong_timeout = options.pong_timeout
        self.connection_timeout = options.connect_timeout
        self.reconnects = 0
        self.frames = 0
        self._halt = threading.Event()
        self.subscriptions = Subscriptions(
            channels, authorizer, send=self.send_event, put=self._put, stop=self._stop_with,
            settled=self._close_gap_if_settled, redactor=self.redact, halt=self._halt,
            concurrency=options.auth_concurrency,
            subscribe_timeout=options.subscribe_timeout, backoff_initial=options.backoff_initial,
            backoff_max=options.backoff_max, give_up_after=options.give_up_after)
        self._last_rx = time.monotonic()
        self._established = False
        self._fatal: HotelmateRtError | None = None
        self._lost_reason = ""
        self._close_code: int | None = None
        self._error_code: int | None = None
        self._requested_delay: float | None = None
        self._gap_start: float | None = None
        self._gap_reason = ""
        self._lock = threading.Lock()
        tick = options.tick
        self.timeout_scheduler = sched.scheduler(
            time.monotonic, lambda delay: time.sleep(min(delay, tick)))
        self.timeout_scheduler_thread = threading.Thread(
            target=self._run_timers, name="hotelmate-rt-probe-timers", daemon=True)

    # -- public API ------------------------------------------------------------------------

    def close(self, timeout: float = 5.0) -> None:
        """Stop reading, close the socket and wait (bounded) for the thread to end."""
        self.disconnect(timeout)
        self.subscriptions.close()

    @property
    def alive(self) -> bool:
        """Tell whether the reader thread still runs."""
        return self.is_alive()

    def disconnect(self, timeout: float | None = 5.0) -> None:
        """Close without waiting for the server, then join (bounded, never from this thread)."""
        self.needs_reconnect = False
        self.disconnect_called = True
        self._halt.set()
        self._abort(polite=True)
        if self.is_alive() and threading.current_thread() is not self:
            self.join(5.0 if timeout is None else timeout)

    def reconnect(self, reconnect_interval: float | None = None) -> None:
        """Drop the socket and reconnect after `reconnect_interval` (once; None: backoff)."""
        self._requested_delay = reconnect_interval
        self.needs_reconnect = True
        self._abort()

    # -- the run loop (pysher's run() calls _connect()) ------------------------------------

    def _connect(self) -> None:
        """Run connection attempts back to back until closed, given up or stopped by a code."""
        if not self.timeout_scheduler_thread.is_alive():
            self.timeout_scheduler_thread.start()
        end: Fatal | Finished = Finished("closed")
        try:
            self._attempts()
        except HotelmateRtError as exc:
            end = Fatal(exc)
        except Exception as exc:  # an unexpected bug must end the stream, not hang it
            end = Fatal(ProbeError(f"probe connection failed unexpectedly: "
                                   f"{type(exc).__name__}: {self.redact(str(exc))}"))
        finally:
            self._halt.set()
            self._stop_timers()
            self.subscriptions.close()
        self._end_open_gap()
        self._set_state("stopped", reason=str(end.error) if isinstance(end, Fatal) else "closed")
        self._put(end)

    def _attempts(self) -> None:
        """Connect, read until lost, classify the loss, back off or reconnect now, repeat.

        A first connection tries every server once before giving up; after a loss the next
        attempt goes to the next server at once (failover), then round the list with backoff.
        """
        options = self.options
        first = True
        lost_mono = 0.0
        delay = 0.0
        tried: list[str] = []
        while not self.disconnect_called:
            if not first:
                if time.monotonic() - lost_mono > options.give_up_after:
                    raise ProbeError(
                        f"gave up reconnecting to {self._where()} after "
                        f"{options.give_up_after:g} s ({self._gap_reason})")
                if delay > 0:
                    self._set_state("reconnecting",
                                    reason=f"in {delay:.1f} s after {self._gap_reason}")
                    if self._halt.wait(delay):
                        return
            reason = self._run_once()
            if self._fatal is not None:
                raise self._fatal
            if self.disconnect_called:
                return
            if not self._established:
                if first:
                    tried.append(f"{self.server.url.split('?')[0]}: {reason}")
                    if len(tried) < len(self.servers):
                        self._next_server()
                        continue
                    raise ProbeError("cannot connect to " + "; ".join(tried))
                failed_over = self._next_server()
                delay = 0.0 if failed_over and delay == 0.0 else self._next_delay(delay)
                continue
            if self._gap_start is None:  # a loss while resubscribing extends the open gap
                self._gap_start, self._gap_reason = time.time(), reason
                lost_mono = time.monotonic()
            code = self._close_code if self._close_code is not None else self._error_code
            self._set_state("disconnected", code=code, reason=reason)
            first = False
            requested, self._requested_delay = self._requested_delay, None
            failed_over = self._next_server() if requested is None else False
            if requested is not None:
                delay = max(0.0, requested)
            elif failed_over or close_code_policy(code) == "now":
                delay = 0.0
            else:
                delay = options.backoff_initial
            if delay == 0.0:  # a 'now' reconnect is attempted at once; later attempts back off
                where = f" to {self.server.host}:{self.server.port}" if failed_over else ""
                self._set_state("reconnecting", reason=f"now{where} after {reason}")

    def _next_server(self) -> bool:
        """Move to the next server of the list; tell whether there is another one."""
        if len(self.servers) < 2:
            return False
        index = (self.servers.index(self.server) + 1) % len(self.servers)
        self.server = self.servers[index]
        self.url = self.server.url
        return True

    def _where(self) -> str:
        """Name the server(s) this connection uses."""
        return ", ".join(f"{s.host}:{s.port}" for s in self.servers)

    def _end_open_gap(self) -> None:
        """Report a gap still open when the session ends: the probe was blind until now."""
        if self._gap_start is not None:
            self._put(Gap(disconnected_at=self._gap_start, reconnected_at=time.time(),
                          reason=self._gap_reason, recovered=False,
                          channels=tuple(self.subscriptions.channels)))
            self._gap_start = None

    def _run_once(self) -> str:
        """Open one socket and run pysher's WebSocketApp loop on it; return why it ended."""
        self._set_state("connecting", reason=f"{self.server.host}:{self.server.port}"
                        if len(self.servers) > 1 else "")
        self.subscriptions.invalidate()
        self._last_rx = time.monotonic()  # a pong check left over from the last socket passes
        self._established = False
        self._lost_reason = ""
        self._close_code = self._error_code = None
        self.socket_id = None
        self.connection_timeout = self.options.connect_timeout
        try:
            sock = self._open_socket()
        except (OSError, websocket.WebSocketException) as exc:
            return self._describe_error(exc)
        if self.disconnect_called:
            sock.close()
            return "closed on request"
        self.socket = _App(self.url, on_open=self._on_open, on_message=self._on_message,
                           on_error=self._on_error, on_close=self._on_close,
                           socket=cast(socket.socket, _ReadAhead(sock)))
        self._last_rx = time.monotonic()
        self.socket.run_forever(**self.socket_kwargs)
        with contextlib.suppress(OSError):
            sock.close()
        return self._lost_reason or "connection lost"

    def _open_socket(self) -> socket.socket:
        """Open the TCP (and TLS) socket within connect_timeout (run_forever has no timeout)."""
        timeout = self.options.connect_timeout
        sock = socket.create_connection((self.server.host, self.server.port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if not self.server.tls:
            return sock
        try:
            context = ssl.create_default_context()
            with contextlib.suppress(ImportError, OSError):
                import certifi

                context.load_verify_locations(certifi.where())
            return context.wrap_socket(sock, server_hostname=self.server.host)
        except BaseException:
            sock.close()
            raise

    def _next_delay(self, delay: float) -> float:
        """Return the next backoff delay (exponential with a little jitter, capped)."""
        base = max(self.options.backoff_initial, delay * 2)
        return min(self.options.backoff_max, base) * random.uniform(0.9, 1.1)

    def _abort(self, polite: bool = False) -> None:
        """Shut the current socket down so the read loop ends now (never waits, any thread)."""
        ws = getattr(self.socket, "sock", None)
        raw = getattr(ws, "sock", None)
        if ws is None or raw is None:
            return
        if polite:
            with contextlib.suppress(Exception):  # the socket may already be gone
                ws.send_close()
        with contextlib.suppress(OSError):
            raw.shutdown(socket.SHUT_RDWR)

    def _stop_with(self, error: HotelmateRtError) -> None:
        """Stop for good with `error` (first one wins) and end the read loop."""
        with self._lock:
            if self._fatal is None:
                self._fatal = error
        self.needs_reconnect = False
        self._abort()

    def _lose(self, reason: str) -> None:
        """Drop a connection that stopped answering; the run loop reconnects with backoff."""
        if not self._lost_reason:
            self._lost_reason = reason
        self.needs_reconnect = True
        self._abort()

    def _run_timers(self) -> None:
        """Run pysher's timeout scheduler on one long-lived thread until the connection ends."""
        tick = self.options.tick
        while not self._halt.is_set():
            try:
                delay = self.timeout_scheduler.run(blocking=False)
                if self._established and self.subscriptions.waiting:
                    self.subscriptions.expire(time.monotonic())
            except Exception as exc:  # a timer callback bug must stop the probe, not hide
                self._stop_with(ProbeError(f"probe timer failed unexpectedly: "
                                           f"{type(exc).__name__}: {self.redact(str(exc))}"))
                delay = None
            self._halt.wait(tick if delay is None else min(max(delay, 0.0), tick))

    # -- queue -----------------------------------------------------------------------------

    def _put(self, item: QueueItem) -> None:
        """Hand one item to the consumer."""
        self.queue.put(item)

    def _set_state(self, state: str, **extra: Any) -> None:
        """Record and report a state change."""
        previous, self.state = self.state, state
        self._put(StateChanged(state=state, previous=previous, **extra))

    # -- WebSocketApp callbacks ------------------------------------------------------------

    def _on_message(self, *args: Any) -> None:
        """Queue every channel event; report malformed or unexpected frames and go on."""
        message = args[-1]
        self._last_rx = time.monotonic()
        self.frames += 1
        try:  # str in, so json skips its byte-encoding sniffing; bad UTF-8 is a ValueError too
            params = json.loads(message.decode() if type(message) is bytes else message)
        except RecursionError:
            self._problem("too-deep", "server sent a frame nested too deeply to decode "
                          f"({len(message)} bytes)")
            return
        except ValueError:
            self._problem("not-json", f"server sent a frame that is not JSON: {message[:80]!r}")
            return
        if type(params) is not dict:
            self._problem("not-object", "server sent a frame that is not a JSON object: "
                          f"{_preview(params)}")
            return
        event = params.get("event")
        channel = params.get("channel")
        if type(event) is not str:
            self._problem("bad-event", f"server sent a frame whose event is not a string: "
                          f"{_preview(event)}")
            return
        if channel is not None and type(channel) is not str:
            self._problem("bad-channel", f"server sent {event!r} with a channel that is not a "
                          f"string: {_preview(channel)}", event=event)
            return
        if channel is not None and not event.startswith(_INTERNAL):
            if not self.subscriptions.is_ours(channel):
                self._problem("unsubscribed-channel", f"server sent {event!r} on {channel!r}, "
                              "a channel this probe did not subscribe to", channel, event)
                return
            self.queue.put(RawEvent(channel, event, params.get("data"), time.time()))
            return
        try:
            if channel is None:
                callbacks = self.event_callbacks.get(event, ())
                for func, cb_args, cb_kwargs in callbacks:
                    func(params.get("data"), *cb_args, **cb_kwargs)
                if not callbacks and event not in _CONNECTION_PROTOCOL:
                    self._problem("unknown-protocol-event", f"server sent {event!r}, which "
                                  "this probe does not know (ignored)", event=event)
            elif event in _CHANNEL_PROTOCOL:
                self.event_handler(event, params.get("data"), channel)
            else:
                self._problem("unknown-protocol-event", f"server sent {event!r} on {channel!r}, "
                              "which this probe does not know (ignored)", channel, event)
        except HotelmateRtError as exc:
            self._stop_with(exc)
        except Exception as exc:  # an unexpected bug must end the stream, not hang it
            self._stop_with(ProbeError(f"probe connection failed unexpectedly: "
                                       f"{type(exc).__name__}: {self.redact(str(exc))}"))

    def _problem(self, kind: str, message: str, channel: str | None = None,
                 event: str | None = None) -> None:
        """Report a frame the probe reports instead of judging."""
        self._put(FrameProblem(kind=kind, message=self.redact(message), channel=channel,
                               event=event))

    def _on_error(self, *args: Any) -> None:
        """Remember why the socket failed; a bug in a callback stops the probe."""
        exc = args[-1]
        if isinstance(exc, HotelmateRtError):
            self._stop_with(exc)
        elif not isinstance(exc, OSError | websocket.WebSocketException):
            self._stop_with(ProbeError(f"probe connection failed unexpectedly: "
                                       f"{type(exc).__name__}: {self.redact(str(exc))}"))
        elif not self._lost_reason and not self.disconnect_called:
            self._lost_reason = self._describe_error(exc)

    def _on_close(self, *args: Any) -> None:
        """Classify the close code: 4000-4099 stop, 4100-4199 back off, 4200-4299 now."""
        self._stop_timers()
        if self.disconnect_called:
            return
        code = args[1] if len(args) >= 3 and isinstance(args[1], int) else None
        reason = args[2] if len(args) >= 3 and args[2] else ""
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", errors="replace")
        if code is not None:
            self._close_code = code
            said = f" {reason}" if reason else ""
            self._lost_reason = f"server closed the connection (code {code}{said})"
        if code is None:
            code = self._error_code
        if code is not None and close_code_policy(code) == "stop":
            self._stop_with(ProbeError(stop_message(code, self.redact(str(reason)))))
        else:
            self.needs_reconnect = True

    # -- bound connection events (pysher's bind()) -----------------------------------------

    def _connect_handler(self, data: Any) -> None:
        """Follow the server's activity_timeout, record the socket id, then (re)subscribe."""
        parsed = _decode(data)
        options = self.options
        self.socket_id = str(parsed.get("socket_id", ""))
        server_timeout = parsed.get("activity_timeout")
        if isinstance(server_timeout, int | float) and server_timeout > 0:
            self.activity_timeout = min(float(server_timeout), options.activity_timeout)
        self.ping_interval = self.activity_timeout
        self.pong_timeout = options.pong_timeout
        self.connection_timeout = self.activity_timeout + 2 * options.pong_timeout
        if self._gap_start is not None:
            self.reconnects += 1
        self._established = True
        self.needs_reconnect = False
        self._set_state("connected", socket_id=self.socket_id,
                        activity_timeout=self.activity_timeout)
        self._start_timers()
        self.subscriptions.start(self.socket_id, resubscribing=self._gap_start is not None)
        self._close_gap_if_settled()  # nothing to wait for (no channel, or all refused)

    def _subscribe_all(self) -> None:
        """pysher's reconnect handler: subscriptions start from `_connect_handler` instead."""

    def _channel_event(self, event: str, data: Any, channel: str) -> None:
        """Handle pusher_internal events of a channel (pysher's event_handler hook)."""
        if event == "pusher_internal:subscription_succeeded":
            if self.subscriptions.succeeded(channel):
                self._close_gap_if_settled()
            else:
                self._problem("unsubscribed-channel", f"server confirmed a subscription to "
                              f"{channel!r}, which this probe did not ask for", channel, event)
        elif event == "pusher:subscription_error":
            self._on_subscription_error(channel, _decode(data))
        elif event == "pusher:error":
            self._pusher_error_handler(data, channel)
        # presence member events and subscription counts need nothing more than the activity mark.

    def _close_gap_if_settled(self) -> None:
        """Report the gap once every channel is subscribed again (or refused); any thread."""
        with self._lock:
            start, established = self._gap_start, self._established
            if start is None or not established or not self.subscriptions.settled:
                return
            self._gap_start = None
        self._put(Gap(disconnected_at=start, reconnected_at=time.time(), reason=self._gap_reason,
                      channels=tuple(self.subscriptions.channels)))

    def _pusher_error_handler(self, data: Any, channel: str | None = None) -> None:
        """Report a pusher:error and classify its code (never disconnects from this thread)."""
        decoded = _decode(data)
        raw_code = decoded.get("code")
        try:
            code = int(raw_code) if raw_code is not None else None
        except (TypeError, ValueError):
            code = None
        text = self.redact(str(decoded.get("message") or decoded.get("error") or ""))
        self._put(PusherError(code=code, message=text, channel=channel))
        if code is None:
            return
        self._error_code = code
        if close_code_policy(code) == "stop":
            self._stop_with(ProbeError(stop_message(code, text)))

    def _on_subscription_error(self, channel: str, data: dict[str, Any]) -> None:
        """Report a refused subscription; the other channels go on."""
        status = data.get("status")
        error = str(data.get("error") or data.get("message") or data.get("type") or "refused")
        kind = str(data.get("type") or "")
        if kind == "AuthError" or status in (401, 4009):
            meaning = ("the server rejected the channel signature: the auth endpoint signs with "
                       "a different app key/secret than this server's app, or for another "
                       "socket id")
        else:
            meaning = "the server refused the subscription"
        failure = SubscriptionFailed(channel=channel, source="server",
                                     status=status if isinstance(status, int) else None,
                                     reason=self.redact(error), meaning=meaning)
        self.subscriptions.refused(channel, failure, ProbeError(
            f"subscription to {channel} refused by the server "
            f"({kind or 'error'} {status}: {self.redact(error)}); {meaning}"))
        self._close_gap_if_settled()

    # -- timers (pysher's sched timers, activity-aware) ------------------------------------

    def send_ping(self) -> None:
        """Ping after ping_interval of silence (else re-arm for then); check the answer later."""
        now = time.monotonic()
        due = self._last_rx + self.ping_interval
        enter = self.timeout_scheduler.enter
        if now < due - 0.005:
            self.ping_timer = enter(due - now, 1, self.send_ping)
            return
        self.send_event("pusher:ping", {})
        self.ping_timer = enter(self.ping_interval, 1, self.send_ping)
        self.pong_timer = enter(self.pong_timeout, 3, self._check_pong, (now,))

    def _check_pong(self, sent: float = 0.0) -> None:
        """Reconnect when no frame (a pong or anything else) came within pong_timeout of a ping."""
        if self._last_rx >= sent:
            return
        self._lose(f"no pusher:pong within {self.pong_timeout:g} s")

    def _connection_timed_out(self) -> None:
        """Stop if the server never said connection_established; reconnect after long silence."""
        if not self._established:
            self._stop_with(ProbeError(
                f"{self.server.host}:{self.server.port} accepted the WebSocket but sent no "
                f"pusher:connection_established within {self.options.connect_timeout:g} s: "
                "is this a Pusher-protocol server?"))
            return
        silent = time.monotonic() - self._last_rx
        if silent < self.connection_timeout:
            self.connection_timer = self.timeout_scheduler.enter(
                self.connection_timeout - silent, 2, self._connection_timed_out)
            return
        self._lose(f"no frame for {silent:.0f} s")

    def _stop_timers(self) -> None:
        """Cancel the ping, pong and connection timers (not the subscription deadline)."""
        for event in (self.ping_timer, self.pong_timer, self.connection_timer):
            self._cancel(event)

    def _cancel(self, event: Any) -> None:
        """Cancel one scheduled event if it is still pending."""
        if event is not None:
            with contextlib.suppress(ValueError):
                self.timeout_scheduler.cancel(event)

    def _describe_error(self, exc: BaseException) -> str:
        """Phrase a socket error in one short redacted sentence."""
        if isinstance(exc, ConnectionRefusedError):
            return "connection refused"
        text = str(exc) or type(exc).__name__
        return self.redact(text)


def _preview(value: Any) -> str:
    """Show a value in at most 80 characters (a frame part that is not what it should be)."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        text = type(value).__name__
    return text if len(text) <= 80 else text[:77] + "..."


def _decode(data: Any) -> dict[str, Any]:
    """Decode a frame's `data` (a JSON string or already an object) into a dict."""
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except (ValueError, RecursionError):
            return {}
    return data if isinstance(data, dict) else {}
