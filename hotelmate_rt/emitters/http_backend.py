"""A light pusher SDK HTTP backend on the stdlib `http.client`: one kept-alive connection per thread.

The SDK still builds and signs every `Request` and still turns the answer into a result or a
`PusherError` (`pusher.http.process_response`); only the HTTP hop changes. The SDK's default
`requests` backend costs about 3 ms of CPU per call, this one a fraction of that, which matters
when the emitting process and the Pusher server share the CPU.

Failures are the stdlib's own exceptions (`TimeoutError`, `OSError` such as
`ConnectionRefusedError`, `ssl.SSLError`, `http.client.HTTPException`); `PusherTransport` maps
them to `TransportError`.

Resend rule: a request that fails on a REUSED kept-alive connection with a reset, a broken pipe
or no status line (the server closed the idle connection) is sent once more on a fresh
connection. The first copy may in theory have reached the server, so an event can be duplicated;
a duplicate is preferred to a lost event here (subscribers already tolerate the duplicates the
retry policy produces on timeouts). Timeouts and failures on a fresh connection are never resent
by the backend: the caller's retry policy decides.

Each request's socket timeout is the client's timeout or, inside a budgeted send
(`policy.call_with_retry`), what is left of the budget when that is shorter: a slow server never
holds the caller past the emitter's budget.
"""

from __future__ import annotations

import http.client
import os
import ssl
import threading
import weakref
from typing import Any

from .policy import time_left

#: Failures meaning "the server dropped the kept-alive connection before answering".
STALE = (ConnectionResetError, ConnectionAbortedError, BrokenPipeError, http.client.BadStatusLine)


def sdk_cafile() -> str | None:
    """Return the pusher SDK's bundled CA file (the one its requests backend uses), if present."""
    import pusher

    path = os.path.join(os.path.dirname(os.path.abspath(pusher.__file__)), "cacert.pem")
    return path if os.path.isfile(path) else None


class HttpClientBackend:
    """Send pusher SDK requests over `http.client`, one keep-alive connection per thread."""

    def __init__(self, client: Any, *, ssl_context: ssl.SSLContext | None = None,
                 cafile: str | None = "sdk") -> None:
        """Bind to a pusher client; TLS verifies certificates (SDK CA bundle, or `cafile`/system)."""
        self.client = client
        self.context: ssl.SSLContext | None = None
        if client.ssl:
            if ssl_context is None:
                bundle = sdk_cafile() if cafile == "sdk" else cafile
                ssl_context = ssl.create_default_context(cafile=bundle)
            self.context = ssl_context
        self.connects = 0
        self._local = threading.local()
        self._open: weakref.WeakSet[http.client.HTTPConnection] = weakref.WeakSet()
        self._lock = threading.Lock()

    def send_request(self, request: Any) -> Any:
        """Send one signed SDK request and process the answer like the SDK's requests backend."""
        from pusher.http import process_response

        connection, response = self._send(request)
        try:
            body = response.read()
        except BaseException:
            self._drop(connection)
            raise
        if response.will_close:
            connection.close()
        try:
            text = body.decode(response.headers.get_content_charset() or "utf-8", "replace")
        except LookupError:  # an unknown charset name
            text = body.decode("utf-8", "replace")
        return process_response(response.status, text)

    def _send(self, request: Any) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        """Send on this thread's connection up to the response headers, resending once if stale."""
        connection = self._connection()
        reused = connection.sock is not None
        try:
            return connection, self._exchange(connection, request)
        except STALE:
            self._drop(connection)
            if not reused:
                raise
        except BaseException:
            self._drop(connection)
            raise
        connection = self._connection()
        try:
            return connection, self._exchange(connection, request)
        except BaseException:
            self._drop(connection)
            raise

    def _exchange(self, connection: http.client.HTTPConnection,
                  request: Any) -> http.client.HTTPResponse:
        """Connect if needed, write the request, and read the status line and headers."""
        timeout = self._timeout()
        if connection.sock is None:
            connection.timeout = timeout
            connection.connect()
            with self._lock:
                self.connects += 1
        else:
            connection.sock.settimeout(timeout)
        connection.request(request.method, request.signed_path, body=request.body,
                           headers=request.headers)
        return connection.getresponse()

    def _timeout(self) -> float:
        """The timeout of the next request: the client's, cut to what is left of the send budget."""
        timeout = float(self.client.timeout)
        left = time_left()
        if left is not None:
            if left <= 0:
                raise TimeoutError("the send budget ran out before the request")
            timeout = min(timeout, left)
        return timeout

    def _connection(self) -> http.client.HTTPConnection:
        """Return this thread's connection object, creating it (unconnected) when missing."""
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is not None and self._local.pid != os.getpid():
            connection.close()  # inherited through fork: the socket belongs to the parent
            connection = None
        if connection is None:
            client = self.client
            if self.context is not None:
                connection = http.client.HTTPSConnection(client.host, client.port,
                                                         timeout=client.timeout,
                                                         context=self.context)
            else:
                connection = http.client.HTTPConnection(client.host, client.port,
                                                        timeout=client.timeout)
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

    def close(self) -> None:
        """Close every connection this backend opened (call when no request is in flight)."""
        with self._lock:
            connections, self._open = list(self._open), weakref.WeakSet()
        for connection in connections:
            connection.close()
        self._local = threading.local()

