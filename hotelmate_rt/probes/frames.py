"""What the probe's connection does with each frame it receives (the per-event path).

pysher dispatches only events someone bound by name and raises on a frame that is not JSON.
`FrameHandling._on_message` (the `WebSocketApp` callback, mixed into `Connection`) instead puts
every frame of a subscribed channel on the queue as a `RawEvent`; a frame that is not JSON (or
too deep to decode), whose channel or event is not a string, that comes on a channel the probe
never subscribed to, or that names an unknown `pusher:*` / `pusher_internal:*` event is reported
as a `FrameProblem` and the loop goes on; connection-level events still go to the callbacks
bound with pysher's `bind()`, and a channel's protocol events (subscription succeeded or
refused, `pusher:error`) go to `_channel_event`. pysher also restarts every timer on every frame
(a scheduler cancel and two inserts per event); here a frame only stamps `_last_rx` and the
timers check it when they fire.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any, NamedTuple

from hotelmate_rt.errors import HotelmateRtError, ProbeError

from .events import FrameProblem, PusherError, SubscriptionFailed
from .server import close_code_policy, stop_message

if TYPE_CHECKING:
    import queue
    from collections import defaultdict
    from collections.abc import Callable

    from .auth import Redactor
    from .connection import QueueItem
    from .subscriptions import Subscriptions

__all__ = ["FrameHandling", "RawEvent", "decode_data"]

_INTERNAL = ("pusher:", "pusher_internal:")
_CHANNEL_PROTOCOL = frozenset({"pusher_internal:subscription_succeeded", "pusher:subscription_error",
                               "pusher:error", "pusher_internal:member_added",
                               "pusher_internal:member_removed", "pusher:cache_miss",
                               "pusher_internal:subscription_count", "pusher:subscription_count"})
_CONNECTION_PROTOCOL = frozenset({"pusher:signin_success"})


class RawEvent(NamedTuple):
    """One channel event exactly as received: channel, event name, raw data, receive time."""

    channel: str
    event: str
    data: Any
    at: float


class FrameHandling:
    """The frame callbacks of `Connection`: read each frame, queue events, report the rest."""

    if TYPE_CHECKING:  # provided by Connection and pysher's Connection
        queue: queue.SimpleQueue[QueueItem]
        subscriptions: Subscriptions
        redact: Redactor
        frames: int
        event_callbacks: defaultdict[str, list[tuple[Callable[..., Any], tuple[Any, ...],
                                                     dict[str, Any]]]]
        event_handler: Callable[[str, Any, str], None]
        _last_rx: float
        _error_code: int | None

        def _put(self, item: QueueItem) -> None: ...
        def _stop_with(self, error: HotelmateRtError) -> None: ...
        def _close_gap_if_settled(self) -> None: ...

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

    def _channel_event(self, event: str, data: Any, channel: str) -> None:
        """Handle pusher_internal events of a channel (pysher's event_handler hook)."""
        if event == "pusher_internal:subscription_succeeded":
            if self.subscriptions.succeeded(channel):
                self._close_gap_if_settled()
            else:
                self._problem("unsubscribed-channel", f"server confirmed a subscription to "
                              f"{channel!r}, which this probe did not ask for", channel, event)
        elif event == "pusher:subscription_error":
            self._on_subscription_error(channel, decode_data(data))
        elif event == "pusher:error":
            self._pusher_error_handler(data, channel)
        # presence member events and subscription counts need nothing more than the activity mark.

    def _pusher_error_handler(self, data: Any, channel: str | None = None) -> None:
        """Report a pusher:error and classify its code (never disconnects from this thread)."""
        decoded = decode_data(data)
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


def _preview(value: Any) -> str:
    """Show a value in at most 80 characters (a frame part that is not what it should be)."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        text = type(value).__name__
    return text if len(text) <= 80 else text[:77] + "..."


def decode_data(data: Any) -> dict[str, Any]:
    """Decode a frame's `data` (a JSON string or already an object) into a dict."""
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except (ValueError, RecursionError):
            return {}
    return data if isinstance(data, dict) else {}
