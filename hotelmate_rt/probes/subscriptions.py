"""Keeping many channels subscribed on one socket: pipelined, authorized in parallel, retried.

`Subscriptions` is the connection's book of channels. For every socket (`start(socket_id)`):

- public channels are subscribed at once, every frame sent back to back (pipelined: no waiting
  for one confirmation before the next subscribe);
- private and presence channels are authorized with the new socket id on a worker thread, at
  most `auth_concurrency` requests at a time through the authorizer's pooled HTTP client, and
  each subscribe frame goes out as soon as its signature is back;
- an auth failure that may pass (timeout, unreachable, 5xx, 429) is retried in rounds with
  capped exponential backoff until `give_up_after` (one `Note` per round says so); a refusal
  (401, 403, a bad answer) and a `pusher:subscription_error` are reported as a
  `SubscriptionFailed` and that channel is dropped, the others go on;
- a subscription the server does not confirm within `subscribe_timeout` is reported the same way.

Every socket has a generation: an answer for an older socket is dropped, never sent on a newer
one. `settled` says when every channel is subscribed or refused, which closes a gap; when every
channel is refused there is nothing left to listen to, and the connection stops with `fatal`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

from hotelmate_rt.contracts import ChannelKind
from hotelmate_rt.errors import AuthEndpointError, HotelmateRtError, ProbeError

from .auth import Authorization, Authorizer, Redactor, meaning_of
from .events import Note, ProbeEvent, Subscribed, SubscriptionFailed

__all__ = ["Subscriptions"]

IDLE, AUTHORIZING, SENT, SUBSCRIBED, REFUSED = "idle", "authorizing", "sent", "subscribed", \
    "refused"


@dataclass(slots=True)
class Channel:
    """One channel the connection keeps subscribed, and where it stands on the current socket."""

    name: str
    channel_id: str | None
    state: str = IDLE
    sent_at: float = 0.0
    error: HotelmateRtError | None = None

    @property
    def private(self) -> bool:
        """Tell whether subscribing needs a signature."""
        return ChannelKind.of_name(self.name).needs_auth


def transient(error: HotelmateRtError) -> bool:
    """Tell whether an auth failure may pass by itself (timeout, unreachable, 5xx, 429)."""
    if not isinstance(error, AuthEndpointError):
        return False
    status = error.status
    return status is None or status == 429 or (isinstance(status, int) and status >= 500)


class Subscriptions:
    """The channels of one connection: what to send on each new socket, and what came back."""

    def __init__(self, channels: Sequence[tuple[str, str | None]], authorizer: Authorizer | None,
                 *, send: Callable[[str, dict[str, Any]], None],
                 put: Callable[[ProbeEvent], None], stop: Callable[[HotelmateRtError], None],
                 settled: Callable[[], None] = lambda: None, redactor: Redactor,
                 halt: threading.Event, concurrency: int = 16,
                 subscribe_timeout: float = 10.0, backoff_initial: float = 0.5,
                 backoff_max: float = 10.0, give_up_after: float = 300.0) -> None:
        """Describe the channels; nothing is sent until `start(socket_id)`."""
        self.channels = {name: Channel(name, cid) for name, cid in channels}
        self.authorizer = authorizer
        self._send = send
        self._put = put
        self._stop = stop
        self._on_settled = settled
        self._redact = redactor
        self._halt = halt
        self.concurrency = max(1, concurrency)
        self.subscribe_timeout = subscribe_timeout
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.give_up_after = give_up_after
        self.generation = 0
        self.resubscribing = False
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    # -- the socket's life ------------------------------------------------------------------

    def invalidate(self) -> None:
        """Forget the current socket: answers still in flight for it are dropped."""
        with self._lock:
            self.generation += 1
            for channel in self.channels.values():
                if channel.state != REFUSED:
                    channel.state = IDLE

    def start(self, socket_id: str, resubscribing: bool) -> None:
        """Subscribe every channel on a new socket: public ones now, private ones once signed."""
        with self._lock:
            self.generation += 1
            generation = self.generation
            self.resubscribing = resubscribing
            wanted = [c for c in self.channels.values() if c.state != REFUSED]
            private = [c for c in wanted if c.private]
            for channel in wanted:
                channel.state = AUTHORIZING if channel.private else IDLE
        if private and self.authorizer is None:
            names = ", ".join(c.name for c in private[:3])
            raise ProbeError(f"{names}{' ...' if len(private) > 3 else ''} need(s) a signature: "
                             "pass --auth-endpoint URL with --token (or --sign-locally for a "
                             "dev server)")
        for channel in wanted:
            if not channel.private:
                self._subscribe(generation, channel, None)
        if private:
            threading.Thread(target=self._authorize_rounds, args=(generation, socket_id, private),
                             name="hotelmate-rt-probe-auth", daemon=True).start()

    def close(self) -> None:
        """Stop authorizing (the worker threads end at their next step)."""
        with self._lock:
            self.generation += 1
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    # -- answers from the server -------------------------------------------------------------

    def succeeded(self, name: str) -> bool:
        """Record a confirmed subscription; tell whether the channel is one of ours."""
        channel = self.channels.get(name)
        if channel is None:
            return False
        with self._lock:
            channel.state = SUBSCRIBED
        self._put(Subscribed(channel=name, channel_id=channel.channel_id,
                             resubscribed=self.resubscribing))
        return True

    def refused(self, name: str, failure: SubscriptionFailed, error: HotelmateRtError) -> None:
        """Report a refused subscription and drop the channel; stop when none is left."""
        channel = self.channels.get(name)
        self._put(failure)
        if channel is None:
            return
        with self._lock:
            channel.state = REFUSED
            channel.error = error
        self._stop_if_nothing_left()
        self._on_settled()

    def expire(self, now: float) -> None:
        """Report the subscriptions the server left unanswered for `subscribe_timeout`."""
        late = [c for c in self.channels.values()
                if c.state == SENT and now - c.sent_at > self.subscribe_timeout]
        for channel in late:
            error = ProbeError(f"the server did not answer the subscription to {channel.name} "
                               f"within {self.subscribe_timeout:g} s")
            self.refused(channel.name, SubscriptionFailed(
                channel=channel.name, source="server", status=None, reason="no answer",
                meaning=f"no confirmation within {self.subscribe_timeout:g} s"), error)

    # -- what the connection asks -------------------------------------------------------------

    def is_ours(self, name: str) -> bool:
        """Tell whether a channel is one the probe subscribed to (or is subscribing to)."""
        channel = self.channels.get(name)
        return channel is not None and channel.state != REFUSED

    @property
    def settled(self) -> bool:
        """Tell whether every channel is subscribed or refused on the current socket."""
        return all(c.state in (SUBSCRIBED, REFUSED) for c in self.channels.values())

    @property
    def subscribed(self) -> list[str]:
        """The channels subscribed on the current socket."""
        return [c.name for c in self.channels.values() if c.state == SUBSCRIBED]

    @property
    def waiting(self) -> bool:
        """Tell whether some subscription was sent and is not answered yet."""
        return any(c.state == SENT for c in self.channels.values())

    # -- sending ---------------------------------------------------------------------------------

    def _subscribe(self, generation: int, channel: Channel, auth: Authorization | None) -> None:
        """Send one subscribe frame, unless the socket it was meant for is gone."""
        data: dict[str, Any] = {"channel": channel.name}
        if auth is not None:
            data["auth"] = auth.auth
            if auth.channel_data is not None:
                data["channel_data"] = auth.channel_data
        with self._lock:
            if generation != self.generation or channel.state == REFUSED:
                return
            channel.state = SENT
            channel.sent_at = time.monotonic()
            try:
                self._send("pusher:subscribe", data)
            except Exception:  # the socket just closed: the next socket subscribes again
                channel.state = IDLE

    def _pool_for(self) -> ThreadPoolExecutor:
        """Return the bounded pool of auth requests (created on first use)."""
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.concurrency,
                                                thread_name_prefix="hotelmate-rt-auth")
            return self._pool

    def _authorize_rounds(self, generation: int, socket_id: str, todo: list[Channel]) -> None:
        """Authorize channels in parallel, in rounds, retrying what may pass, until done."""
        authorizer = self.authorizer
        assert authorizer is not None
        started = time.monotonic()
        delay = self.backoff_initial
        try:
            while todo and generation == self.generation and not self._halt.is_set():
                retry: list[tuple[Channel, HotelmateRtError]] = []
                pool = self._pool_for()
                futures = {pool.submit(authorizer.authorize, socket_id, c.name): c for c in todo}
                for future in as_completed(futures):
                    channel = futures[future]
                    if generation != self.generation:
                        return
                    try:
                        self._subscribe(generation, channel, future.result())
                    except HotelmateRtError as exc:
                        if transient(exc):
                            retry.append((channel, exc))
                        else:
                            self._auth_refused(channel, exc)
                if not retry:
                    return
                todo = [c for c, _ in retry]
                first = self._redact(str(retry[0][1]))
                if time.monotonic() - started + delay > self.give_up_after:
                    for channel, error in retry:
                        self._auth_refused(channel, error, gave_up=True)
                    return
                self._put(Note(message=f"retrying in {delay:.1f} s the authorization of "
                                       f"{len(todo)} channel(s): {first}", kind="auth-retry"))
                if self._halt.wait(delay):
                    return
                delay = min(self.backoff_max, delay * 2)
        except RuntimeError:  # the pool was shut down: the probe is closing
            return

    def _auth_refused(self, channel: Channel, exc: HotelmateRtError, gave_up: bool = False
                      ) -> None:
        """Report a channel the auth endpoint refused (or kept failing for) and go on."""
        status = getattr(exc, "status", None)
        reason = str(getattr(exc, "reason", "") or "")
        meaning = meaning_of(status) if isinstance(status, int) and status != 200 else str(exc)
        if gave_up:
            meaning = f"gave up after {self.give_up_after:g} s of retries: {meaning}"
        self.refused(channel.name, SubscriptionFailed(
            channel=channel.name, source="auth-endpoint",
            status=status if isinstance(status, int) else None, reason=self._redact(reason),
            meaning=self._redact(meaning)), exc)

    def _stop_if_nothing_left(self) -> None:
        """Stop the connection when every channel was refused: nothing is left to listen to."""
        channels = list(self.channels.values())
        if not channels or any(c.state != REFUSED for c in channels):
            return
        errors = [c.error for c in channels if c.error is not None]
        if len(channels) == 1 and errors:
            self._stop(errors[0])
            return
        first = self._redact(str(errors[0])) if errors else "refused"
        self._stop(ProbeError(f"every channel was refused ({len(channels)}); the first: {first}"))
