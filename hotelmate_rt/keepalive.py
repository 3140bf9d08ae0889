"""Kept-alive HTTP/1.1 on the stdlib `http.client`: one connection per thread to one server.

Used where a request's CPU cost matters: the emitter's pusher SDK backend and the probe's auth
client (a thousand channel signatures in a second). `httpx` costs two to three times the CPU per
request, which shows when the client and the server share two cores. Connections are direct (no
proxy from the environment), like the probe's websocket.

Failures are the stdlib's own exceptions (`TimeoutError`, `OSError` such as
`ConnectionRefusedError`, `ssl.SSLError`, `http.client.HTTPException`); each caller maps them to
its own error.

Resend rule: a request that fails on a REUSED kept-alive connection with a reset, a broken pipe
or no status line (the server closed the idle connection) is sent once more on a fresh
connection. The first copy may in theory have reached the server; both callers prefer a
duplicate (an event subscribers tolerate, a second signature) to a failure. Timeouts and
failures on a fresh connection are never resent here: the caller's retry policy decides.
"""

from __future__ import annotations

import http.client
import os
import ssl
import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass

#: Failures meaning "the server dropped the kept-alive connection before answering".
STALE = (ConnectionResetError, ConnectionAbortedError, BrokenPipeError, http.client.BadStatusLine)


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP answer, read whole: status, headers and body."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def text(self) -> str:
        """The body decoded with the answer's charset (UTF-8 when unnamed or unknown)."""
        try:
            return self.body.decode(self.headers.get_content_charset() or "utf-8", "replace")
        except LookupError:  # an unknown charset name
            return self.body.decode("utf-8", "replace")


class KeepAlive:
    """Send requests to one server over `http.client`, one kept-alive connection per thread."""

    def __init__(self, host: str, port: int | None, *, context: ssl.SSLContext | None = None,
                 timeout: Callable[[], float]) -> None:
        """Talk to `host:port` (TLS when `context` is given); `timeout()` bounds each request."""
        self.host = host
        self.port = port
        self.context = context
        self.timeout = timeout
        self.connects = 0
        self._local = threading.local()
        self._open: weakref.WeakSet[http.client.HTTPConnection] = weakref.WeakSet()
        self._lock = threading.Lock()

    def request(self, method: str, path: str, body: bytes | str | None = None,
                headers: Mapping[str, str] | None = None) -> Answer:
        """Send one request and read its whole answer, resending once on a stale connection."""
        connection, response = self._send(method, path, body, dict(headers or {}))
        try:
            answer = Answer(response.status, response.headers, response.read())
        except BaseException:
            self._drop(connection)
            raise
        if response.will_close:
            connection.close()
        return answer

    def close(self) -> None:
        """Close every connection opened here (call when no request is in flight)."""
        with self._lock:
            connections, self._open = list(self._open), weakref.WeakSet()
        for connection in connections:
            connection.close()
        self._local = threading.local()

    def _send(self, method: str, path: str, body: bytes | str | None, headers: dict[str, str]
              ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        """Send on this thread's connection up to the response headers, resending once if stale."""
        connection = self._connection()
        reused = connection.sock is not None
        try:
            return connection, self._exchange(connection, method, path, body, headers)
        except STALE:
            self._drop(connection)
            if not reused:
                raise
        except BaseException:
            self._drop(connection)
            raise
        connection = self._connection()
        try:
            return connection, self._exchange(connection, method, path, body, headers)
        except BaseException:
            self._drop(connection)
            raise

    def _exchange(self, connection: http.client.HTTPConnection, method: str, path: str,
                  body: bytes | str | None, headers: dict[str, str]) -> http.client.HTTPResponse:
        """Connect if needed, write the request, and read the status line and headers."""
        timeout = self.timeout()
        if connection.sock is None:
            connection.timeout = timeout
            connection.connect()
            with self._lock:
                self.connects += 1
        else:
            connection.sock.settimeout(timeout)
        connection.request(method, path, body=body, headers=headers)
        return connection.getresponse()

    def _connection(self) -> http.client.HTTPConnection:
        """Return this thread's connection object, creating it (unconnected) when missing."""
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is not None and self._local.pid != os.getpid():
            connection.close()  # inherited through fork: the socket belongs to the parent
            connection = None
        if connection is None:
            if self.context is not None:
                connection = http.client.HTTPSConnection(self.host, self.port,
                                                         context=self.context)
            else:
                connection = http.client.HTTPConnection(self.host, self.port)
            self._local.connection = connection
            self._local.pid = os.getpid()
            with self._lock:
                self._open.add(connection)
        return connection

    def _drop(self, connection: http.client.HTTPConnection) -> None:
        """Close a connection and forget it, so this thread's next request opens a new one."""
        connection.close()
        if getattr(self._local, "connection", None) is connection:
            self._local.connection = None
        with self._lock:
            self._open.discard(connection)
