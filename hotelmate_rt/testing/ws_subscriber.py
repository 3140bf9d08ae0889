"""A minimal Pusher-protocol websocket subscriber for tests (websocket-client, bounded waits).

It connects, reads the socket id, subscribes to public channels directly and to private or
presence channels with an auth response (from `authorize()` or a real auth endpoint), and
collects every channel event in a background thread so tests can wait for one.

It is deliberately not the probe's connection (`hotelmate_rt.probes`): the emitter's and the
auth view's integration tests need a raw-protocol oracle that sends exactly the subscribe frame
under test and does not share code (or bugs) with the probe the other tests exercise.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

WAIT = 10.0


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame received: event name, channel (or None) and data (decoded when JSON)."""

    event: str
    channel: str | None
    data: Any
    raw: str


class Subscriber:
    """A connected websocket client collecting frames; use as a context manager."""

    def __init__(self, ws_url: str, timeout: float = WAIT) -> None:
        """Connect and wait (bounded) for `pusher:connection_established`."""
        import websocket

        self.timeout = timeout
        self.frames: list[Frame] = []
        self._cond = threading.Condition()
        self._ws = websocket.create_connection(ws_url, timeout=timeout)
        first = self._decode(self._ws.recv())
        if first.event != "pusher:connection_established":
            self._ws.close()
            raise RuntimeError(f"unexpected first frame {first.raw[:200]}")
        self.socket_id: str = str(first.data["socket_id"])
        self._ws.settimeout(0.2)
        self._closed = False
        self._thread = threading.Thread(target=self._read, daemon=True, name="rt-subscriber")
        self._thread.start()

    @staticmethod
    def _decode(raw: str | bytes) -> Frame:
        """Decode a Pusher frame (data is a JSON string inside JSON)."""
        text = raw.decode() if isinstance(raw, bytes) else raw
        message = json.loads(text)
        data = message.get("data")
        if isinstance(data, str):
            with contextlib.suppress(ValueError):
                data = json.loads(data)
        return Frame(str(message.get("event")), message.get("channel"), data, text)

    def _read(self) -> None:
        """Collect frames until closed."""
        import websocket

        while not self._closed:
            try:
                raw = self._ws.recv()
            except websocket.WebSocketTimeoutException:
                continue
            except (websocket.WebSocketException, OSError):
                return
            if not raw:
                continue
            frame = self._decode(raw)
            if frame.event == "pusher:ping":
                self._send({"event": "pusher:pong", "data": {}})
                continue
            with self._cond:
                self.frames.append(frame)
                self._cond.notify_all()

    def _send(self, message: dict[str, Any]) -> None:
        """Send one JSON frame."""
        self._ws.send(json.dumps(message))

    def subscribe(self, channel: str, auth: dict[str, str] | None = None,
                  wait: bool = True) -> Frame:
        """Subscribe (with an auth response for private channels) and wait for the answer."""
        data: dict[str, Any] = {"channel": channel}
        if auth:
            data.update(auth)
        self._send({"event": "pusher:subscribe", "data": data})
        if not wait:
            return Frame("", channel, None, "")
        return self.wait_for(lambda f: (f.channel == channel and f.event in (
            "pusher_internal:subscription_succeeded", "pusher:subscription_error"))
            or (f.event == "pusher:error"))

    def subscribe_with(self, channel: str, sign: Callable[[str, str], dict[str, str]]) -> Frame:
        """Subscribe, getting the auth response from `sign(channel, socket_id)`."""
        return self.subscribe(channel, sign(channel, self.socket_id))

    def wait_for(self, predicate: Callable[[Frame], bool], timeout: float | None = None) -> Frame:
        """Return the first frame matching `predicate`, or raise TimeoutError listing frames."""
        with self._cond:
            found = self._cond.wait_for(lambda: next((f for f in self.frames if predicate(f)),
                                                     None), timeout or self.timeout)
        if found is None:
            seen = [(f.event, f.channel) for f in self.frames]
            raise TimeoutError(f"no matching frame within {timeout or self.timeout} s; seen {seen}")
        return found

    def events(self, channel: str | None = None) -> list[Frame]:
        """Return the non-protocol frames received so far (on one channel, if given)."""
        with self._cond:
            return [f for f in self.frames if not f.event.startswith("pusher")
                    and (channel is None or f.channel == channel)]

    def settle(self, seconds: float = 0.3) -> None:
        """Wait a little for frames still in flight (used before asserting an absence)."""
        time.sleep(seconds)

    def close(self) -> None:
        """Close the websocket and stop the reader."""
        self._closed = True
        try:
            self._ws.close()
        finally:
            self._thread.join(timeout=2.0)

    def __enter__(self) -> Subscriber:
        """Use in a `with` block."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close at the end of a `with` block."""
        self.close()
