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

- `_on_message` and the channel protocol events: see `probes/frames.py` (`FrameHandling`, mixed
  in here), the per-frame path.
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
- `_on_close`, `_on_error`, `_pusher_error_handler` (frames.py): pysher ignores close codes (a
  4200 "reconnect now" ends its thread) and calls `disconnect()`, which joins its own thread,
  from inside it.
  Here codes are classified: 4000-4099 stop with a clear `ProbeError`; 4100-4199 and network
  loss reconnect with capped exponential backoff, jitter and a give-up deadline; 4200-4299
  reconnect at once. `reconnect(0)` is one-shot (pysher's leaves the interval at 0 forever).
- `_connect`: pysher's loop retries at a fixed interval forever and `run_forever` has no connect
  timeout. Here each attempt opens its socket with `probes/sockets.py` (`open_socket` within
  `connect_timeout`, read-ahead), and the attempts back off, give up after `give_up_after` and
  end in `Fatal` or `Finished`. With several servers (the nodes of a cluster) a first
  connection tries each, and a lost connection fails over to the next node at once.
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
import logging
import queue
import random
import sched
import socket
import threading
import time
from collections.abc import Sequence
from typing import Any, NamedTuple, cast

import pysher.connection
import websocket

from hotelmate_rt.errors import HotelmateRtError, ProbeError

from .auth import Authorizer, Redactor
from .events import Gap, ProbeEvent, StateChanged
from .frames import FrameHandling, RawEvent, decode_data
from .server import ConnectionOptions, ServerAddress, close_code_policy, stop_message
from .sockets import App, ReadAhead, open_socket
from .subscriptions import Subscriptions

__all__ = ["Connection", "ConnectionOptions", "RawEvent", "ServerAddress", "close_code_policy"]

_PYSHER_LOG = logging.getLogger("hotelmate_rt.probes.pysher")
_PYSHER_LOG.addHandler(logging.NullHandler())
_PYSHER_LOG.setLevel(logging.WARNING)  # pysher logs every frame it sends at INFO (signatures too)


class Fatal(NamedTuple):
    """The connection stopped for good; the session raises `error`."""

    error: HotelmateRtError


class Finished(NamedTuple):
    """The connection was closed on request."""

    reason: str


QueueItem = ProbeEvent | RawEvent | Fatal | Finished


class Connection(FrameHandling, pysher.connection.Connection):
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
            sock = open_socket(self.server, self.options.connect_timeout)
        except (OSError, websocket.WebSocketException) as exc:
            return self._describe_error(exc)
        if self.disconnect_called:
            sock.close()
            return "closed on request"
        self.socket = App(self.url, on_open=self._on_open, on_message=self._on_message,
                           on_error=self._on_error, on_close=self._on_close,
                           socket=cast(socket.socket, ReadAhead(sock)))
        self._last_rx = time.monotonic()
        self.socket.run_forever(**self.socket_kwargs)
        with contextlib.suppress(OSError):
            sock.close()
        return self._lost_reason or "connection lost"

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
        parsed = decode_data(data)
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

    def _close_gap_if_settled(self) -> None:
        """Report the gap once every channel is subscribed again (or refused); any thread."""
        with self._lock:
            start, established = self._gap_start, self._established
            if start is None or not established or not self.subscriptions.settled:
                return
            self._gap_start = None
        self._put(Gap(disconnected_at=start, reconnected_at=time.time(), reason=self._gap_reason,
                      channels=tuple(self.subscriptions.channels)))

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

