"""A real HTTP Pusher auth endpoint on 127.0.0.1 for tests and demos (the Django view, served).

    from hotelmate_rt.auth import Principal
    from hotelmate_rt.testing.auth_server import AuthServer

    tokens = {"guest-token-0002": Principal.guest("BK-2025-0002", "hotel-paradise", "101"),
              "staff-token": Principal.staff("hotel-paradise", user_id=7)}
    with AuthServer(contract, soketi.key, soketi.secret, tokens,
                    origin="http://localhost:3000") as auth:
        auth.url   # "http://127.0.0.1:<port>/pusher/auth": give it to pusher-js / the probe

It serves exactly `hotelmate_rt.django.views.make_auth_view` through Django's own WSGI handler
(wsgiref, one thread per request, in a daemon thread), so the answers are the production ones:
POST form-encoded `socket_id` + `channel_name` with `Authorization: Bearer <token>` gives 200
`{"auth": ...}` (presence: plus `channel_data`), 401 for a missing or unknown token, 403
`{"error": reason}` for a channel the principal may not read, 400 for a malformed request, and
CORS headers (plus 204 on OPTIONS preflight) for `origin`. Django is configured with minimal
settings if the process has not configured it (DJANGO_SETTINGS_MODULE is honoured). `requests`
records every request it served (method, channel_name, status, never the token) for assertions.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from hotelmate_rt.auth import Principal
from hotelmate_rt.contracts import Contract

from .http import ThreadServed

AUTH_PATH = "pusher/auth"


@dataclass(frozen=True, slots=True)
class ServedRequest:
    """One request the auth server answered (the token is never kept)."""

    method: str
    channel_name: str | None
    status: int


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """A wsgiref server answering each request in its own daemon thread."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024  # pusher-js on Node asks for every channel at once (a fan-in)


class _QuietHandler(WSGIRequestHandler):
    """A request handler that does not write an access log to stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        """Drop wsgiref's access log line."""


class _UrlConf:
    """A per-server URL configuration object (Django accepts any object with `urlpatterns`)."""

    def __init__(self, view: Any) -> None:
        """Route the auth path (with and without a trailing slash) to the view."""
        from django.urls import path

        self.urlpatterns = [path(AUTH_PATH, view), path(AUTH_PATH + "/", view)]


class AuthServer(ThreadServed):
    """Serve the Django auth view for `tokens` on 127.0.0.1 (a free port) in a background thread."""

    def __init__(self, contract: Contract, key: str, secret: str,
                 tokens: Mapping[str, Principal], origin: str | None = None,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        """Describe the server; nothing listens until `start()` (or `with`)."""
        self.contract = contract
        self.key = key
        self._secret = secret
        self.tokens = dict(tokens)
        self.origin = origin
        self.host = host
        self._port = port
        self.requests: list[ServedRequest] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """The full auth endpoint URL, e.g. `http://127.0.0.1:54321/pusher/auth`."""
        return f"http://{self.host}:{self.port}/{AUTH_PATH}"

    def start(self) -> AuthServer:
        """Configure Django if needed, bind the port and serve in a daemon thread."""
        from django.core.handlers.wsgi import WSGIHandler

        from hotelmate_rt.django.views import make_auth_view
        from hotelmate_rt.testing.django_setup import ensure_django

        if self._serving is not None:
            raise RuntimeError("AuthServer is already running")
        ensure_django()
        view = make_auth_view(self.contract, self.tokens.get, key=self.key, secret=self._secret,
                              allowed_origins=[self.origin] if self.origin else [])
        urlconf = _UrlConf(view)
        served = self.requests
        lock = self._lock

        class _Handler(WSGIHandler):
            """Django's WSGI handler bound to this server's URL configuration."""

            def get_response(self, request: Any) -> Any:
                """Route with this server's urlconf and record the outcome."""
                request.urlconf = urlconf
                response = super().get_response(request)
                channel = request.POST.get("channel_name") if request.method == "POST" else None
                with lock:
                    served.append(ServedRequest(request.method, channel, response.status_code))
                return response

        server = make_server(self.host, self._port, _Handler(),
                             server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
        server.timeout = 1.0
        return self._serve(server, "hotelmate-auth")

    def add_token(self, token: str, principal: Principal) -> None:
        """Register another token -> principal while the server runs."""
        self.tokens[token] = principal

    def __repr__(self) -> str:
        """Show where it listens, never the secret or tokens."""
        where = self.url if self._serving is not None else "stopped"
        return f"AuthServer({where}, key={self.key!r}, {len(self.tokens)} token(s))"

