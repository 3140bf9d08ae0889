"""Serve the configured Django project on 127.0.0.1 (a free port) in a thread, for tests.

    with DjangoServer() as server:
        server.url + "/pusher/webhooks/"    # give it to soketi (SOKETI_DEFAULT_APP_WEBHOOKS)

Django's own WSGI handler behind wsgiref (one thread per request), like `AuthServer`, but with
the project's ROOT_URLCONF and middleware, so requests go through the real stack.
"""

from __future__ import annotations

from .auth_server import _QuietHandler, _ThreadingWSGIServer
from .http import ThreadServed


class DjangoServer(ThreadServed):
    """The current Django project, served on loopback until `stop()`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Describe the server; nothing listens until `start()`."""
        self.host = host
        self._port = port

    @property
    def url(self) -> str:
        """The base URL, e.g. `http://127.0.0.1:54321`."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> DjangoServer:
        """Bind and serve in a daemon thread (Django must be configured)."""
        from wsgiref.simple_server import make_server

        from django.core.handlers.wsgi import WSGIHandler

        server = make_server(self.host, self._port, WSGIHandler(),
                             server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
        server.timeout = 1.0
        return self._serve(server, "hotelmate-django")

