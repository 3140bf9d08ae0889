"""A light pusher SDK HTTP backend on the stdlib `http.client`: one kept-alive connection per thread.

The SDK still builds and signs every `Request` and still turns the answer into a result or a
`PusherError` (`pusher.http.process_response`); only the HTTP hop changes, to
`hotelmate_rt.keepalive` (its docstring has the resend rule). The SDK's default `requests`
backend costs about 3 ms of CPU per call, this one a fraction of that, which matters when the
emitting process and the Pusher server share the CPU. Failures are the stdlib's own exceptions;
`PusherTransport` maps them to `TransportError`.

Each request's socket timeout is the client's timeout or, inside a budgeted send
(`policy.call_with_retry`), what is left of the budget when that is shorter: a slow server never
holds the caller past the emitter's budget.
"""

from __future__ import annotations

import os
import ssl
from typing import Any

from hotelmate_rt.keepalive import KeepAlive

from .policy import time_left


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
        self._http = KeepAlive(client.host, client.port, context=self.context,
                               timeout=self._timeout)

    @property
    def connects(self) -> int:
        """How many connections were opened (kept-alive ones are reused)."""
        return self._http.connects

    def send_request(self, request: Any) -> Any:
        """Send one signed SDK request and process the answer like the SDK's requests backend."""
        from pusher.http import process_response

        answer = self._http.request(request.method, request.signed_path, request.body,
                                    request.headers)
        return process_response(answer.status, answer.text())

    def _timeout(self) -> float:
        """The timeout of the next request: the client's, cut to what is left of the send budget."""
        timeout = float(self.client.timeout)
        left = time_left()
        if left is not None:
            if left <= 0:
                raise TimeoutError("the send budget ran out before the request")
            timeout = min(timeout, left)
        return timeout

    def close(self) -> None:
        """Close every connection this backend opened (call when no request is in flight)."""
        self._http.close()
