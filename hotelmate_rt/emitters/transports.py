"""Transports under the Emitter: the pusher SDK over HTTP, and a recording one for unit tests.

The Emitter has already validated names, payload size (UTF-8 bytes), the 10-event batch limit and
the 100-channel trigger limit, so `PusherTransport` builds the SDK's signed `Request` directly and
sends it through the SDK's HTTP backend: the SDK's own pre-checks (`sys.getsizeof`, a second
channel regex, a second JSON encoding) are skipped, and its errors are mapped to TransportError.
The backend is `HttpClientBackend` (stdlib http.client, see http_backend.py) unless `create()` is
given another one, such as the SDK's default `pusher.requests.RequestsBackend`.
"""

from __future__ import annotations

import http.client
import json
import re
import ssl
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from hotelmate_rt.errors import ConfigError, TransportError
from hotelmate_rt.excerpt import body_excerpt
from hotelmate_rt.redact import redact_text
from hotelmate_rt.settings import PusherSettings, load_settings

from .http_backend import HttpClientBackend


class WireEvent(NamedTuple):
    """One event on one channel as it goes on the wire; `data` is the JSON string."""

    channel: str
    name: str
    data: str


class Transport(Protocol):
    """What the Emitter needs from a transport: one trigger, one batch, close."""

    def trigger(self, channels: Sequence[str], name: str, data: str,
                socket_id: str | None = None) -> None:
        """Send one event to up to 100 channels in one HTTP call."""

    def trigger_batch(self, events: Sequence[WireEvent]) -> None:
        """Send up to 10 events in one HTTP call."""

    def close(self) -> None:
        """Release connections."""


def _retryable(status: int | None) -> bool:
    """Tell whether an HTTP status is worth retrying (timeouts, 5xx, 429), unlike other 4xx."""
    return status is None or status >= 500 or status == 429


_STATUS = re.compile(r"^(\d{3}): ")
_ERRNO = re.compile(r"\[Errno -?\d+\][^'\")\]]+")


class PusherTransport:
    """Send through the `pusher` SDK (http.client backend by default, a timeout on every call)."""

    def __init__(self, client: Any) -> None:
        """Wrap a configured `pusher.Pusher` client."""
        self.client = client
        self._inner = client._pusher_client
        self._lock = threading.Lock()
        self._timeouts: tuple[type[BaseException], ...] = (TimeoutError,
                                                           *_requests_errors("Timeout"))
        self._failures = _requests_errors("RequestException")

    @classmethod
    def create(cls, app_id: str, key: str, secret: str, *, cluster: str | None = None,
               host: str | None = None, port: int | None = None, ssl: bool = True,
               timeout: float = 3.0, pool_size: int = 8,
               backend: type | None = None) -> PusherTransport:
        """Build a pusher client (bounded request timeout, `backend` or HttpClientBackend), wrap it."""
        import pusher

        try:
            client = pusher.Pusher(app_id=str(app_id), key=key, secret=secret, cluster=cluster,
                                   host=host, port=port, ssl=ssl, timeout=timeout,
                                   backend=backend or HttpClientBackend)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"invalid Pusher settings: {exc}") from None
        if hasattr(client._pusher_client.http, "session"):
            import requests.adapters

            adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=pool_size)
            for inner in (client._pusher_client, client._authentication_client):
                inner.http.session.mount("http://", adapter)
                inner.http.session.mount("https://", adapter)
        return cls(client)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, timeout: float = 3.0) -> PusherTransport:
        """Build from the environment as `hotelmate_rt.settings` reads it (PUSHER_URL, PUSHER_*)."""
        return cls.create(**pusher_settings(env), timeout=timeout)

    @classmethod
    def from_settings(cls, settings: PusherSettings, *, timeout: float = 3.0,
                      pool_size: int = 8) -> PusherTransport:
        """Build from settings already read (ConfigError when they cannot make a client)."""
        return cls.create(**settings.require().sdk_kwargs(), timeout=timeout, pool_size=pool_size)

    @property
    def key(self) -> str:
        """The app key (public)."""
        return str(self._inner.key)

    @property
    def target_url(self) -> str:
        """Where events go, e.g. `http://127.0.0.1:6001/apps/4242` (no credentials)."""
        inner = self._inner
        return f"{inner.scheme}://{inner.host}:{inner.port}/apps/{inner.app_id}"

    def trigger(self, channels: Sequence[str], name: str, data: str,
                socket_id: str | None = None) -> None:
        """POST /apps/{id}/events with the already-encoded data string."""
        params: dict[str, Any] = {"name": name, "channels": list(channels), "data": data}
        if socket_id:
            params["socket_id"] = socket_id
        self._send(f"/apps/{self._inner.app_id}/events", params)

    def trigger_batch(self, events: Sequence[WireEvent]) -> None:
        """POST /apps/{id}/batch_events with already-encoded data strings."""
        batch = [{"channel": e.channel, "name": e.name, "data": e.data} for e in events]
        self._send(f"/apps/{self._inner.app_id}/batch_events", {"batch": batch})

    def _send(self, path: str, params: dict[str, Any]) -> None:
        """Sign and send one request through the SDK backend, mapping every failure."""
        import pusher.errors
        from pusher.http import POST, Request

        inner = self._inner
        request = Request(inner, POST, path, params)
        try:
            answer = inner.http.send_request(request)
        except json.JSONDecodeError as exc:  # the SDK parsing a 200 body that is not JSON
            raise TransportError("the server answered 200 with a body that is not JSON (a proxy "
                                 "or an error page, not the Pusher API?)", 200, False) from exc
        except pusher.errors.PusherError as exc:
            status = _status_of(exc)
            body = redact_text(str(exc), (inner.secret,))
            body = body_excerpt(_STATUS.sub("", body), limit=300)
            raise TransportError(f"HTTP {status}: {body}", status, _retryable(status)) from exc
        except self._timeouts as exc:
            raise TransportError(f"timed out after {inner.timeout} s", None, True) from exc
        except self._failures as exc:
            errno = _ERRNO.search(str(exc))
            raise self._unreachable(errno.group(0).strip() if errno else type(exc).__name__) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise self._unreachable(_why(exc)) from exc
        # soketi answers some refusals (bad secret, oversized batch) with HTTP 200 and a body
        # {"error": ..., "code": 4xx}; the SDK returns that body as if it were a success.
        if isinstance(answer, dict) and "error" in answer:
            code = answer.get("code")
            status = code if isinstance(code, int) else None
            message = redact_text(str(answer["error"]), (inner.secret,))[:300]
            raise TransportError(f"HTTP {status}: {message}", status,
                                 status is not None and _retryable(status))

    def _unreachable(self, why: str) -> TransportError:
        """Build the retryable error for a failed connection (the secret is never included)."""
        inner = self._inner
        where = f"{inner.scheme}://{inner.host}:{inner.port}"
        return TransportError(redact_text(f"connection to {where} failed: {why}", (inner.secret,)),
                              None, True)

    def close(self) -> None:
        """Close the SDK backend's connections (its requests Session, or http.client sockets)."""
        http = self._inner.http
        closer = getattr(http, "close", None)
        if closer is None:
            closer = http.session.close
        closer()

    def __repr__(self) -> str:
        """Show the target, never the secret."""
        return f"PusherTransport({self.target_url}, key={self.key!r})"


def _requests_errors(name: str) -> tuple[type[BaseException], ...]:
    """Return `requests.exceptions.<name>` if requests is loaded (only its backend raises it)."""
    module = sys.modules.get("requests")
    kind = getattr(getattr(module, "exceptions", None), name, None)
    return (kind,) if isinstance(kind, type) and issubclass(kind, BaseException) else ()


def _why(exc: OSError | http.client.HTTPException) -> str:
    """Say why a stdlib connection failed, in the `[Errno N] text` form requests errors give."""
    if isinstance(exc, ssl.SSLError):
        detail = getattr(exc, "verify_message", None) or exc.reason or exc.strerror
        return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    if isinstance(exc, OSError) and exc.errno is not None and exc.strerror:
        return f"[Errno {exc.errno}] {exc.strerror}"
    text = str(exc)
    return f"{type(exc).__name__}: {text}"[:200] if text else type(exc).__name__


def _status_of(exc: Exception) -> int | None:
    """Recover the HTTP status from a pusher SDK error."""
    import pusher.errors

    fixed = {pusher.errors.PusherBadRequest: 400, pusher.errors.PusherBadAuth: 401,
             pusher.errors.PusherForbidden: 403}
    for kind, status in fixed.items():
        if type(exc) is kind:
            return status
    found = _STATUS.match(str(exc))
    return int(found.group(1)) if found else None


def pusher_settings(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return `pusher.Pusher` keyword arguments from the environment (see `hotelmate_rt.settings`)."""
    return load_settings(env).require().sdk_kwargs()


@dataclass(slots=True)
class RecordedCall:
    """One call a RecordingTransport received."""

    kind: str
    events: list[WireEvent]
    socket_id: str | None = None


@dataclass(frozen=True, slots=True)
class UnconfiguredTransport:
    """The transport of an Emitter built without PUSHER_* inside `capture_events()`: the capture
    sends nothing, and a real send (after the capture) fails with the settings error, loudly."""

    error: str

    def trigger(self, channels: Sequence[str], name: str, data: str,
                socket_id: str | None = None) -> None:
        """Refuse: there is no server to send to."""
        raise TransportError(self.error)

    def trigger_batch(self, events: Sequence[WireEvent]) -> None:
        """Refuse: there is no server to send to."""
        raise TransportError(self.error)

    def close(self) -> None:
        """Nothing to release."""


@dataclass(slots=True)
class RecordingTransport:
    """Keep every call in memory instead of sending (unit tests of the library only).

    `failures` is a queue of TransportErrors raised by the next calls, one per call.
    """

    calls: list[RecordedCall] = field(default_factory=list)
    failures: list[TransportError] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def events(self) -> list[WireEvent]:
        """Every event on every channel, in send order."""
        return [e for call in self.calls for e in call.events]

    def trigger(self, channels: Sequence[str], name: str, data: str,
                socket_id: str | None = None) -> None:
        """Record one trigger (or raise the next scripted failure)."""
        self._next_failure()
        with self._lock:
            self.calls.append(RecordedCall("trigger", [WireEvent(c, name, data) for c in channels],
                                           socket_id))

    def trigger_batch(self, events: Sequence[WireEvent]) -> None:
        """Record one batch (or raise the next scripted failure)."""
        self._next_failure()
        with self._lock:
            self.calls.append(RecordedCall("batch", list(events)))

    def close(self) -> None:
        """Nothing to release."""

    def _next_failure(self) -> None:
        """Raise the next scripted failure, if any."""
        with self._lock:
            failure = self.failures.pop(0) if self.failures else None
        if failure is not None:
            raise failure
