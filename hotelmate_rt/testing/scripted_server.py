"""A real local HTTP server that answers the Pusher HTTP API with scripted failures (for retries).

    with ScriptedPusherServer([503, 503, 200]) as server:
        transport = PusherTransport.create("4242", "key", "secret", **server.pusher_kwargs())

Each request consumes the next script step: an HTTP status (200 answers `{}`), or a float
`("sleep", seconds)` step that stalls before answering 200 so a client timeout fires. When the
script is exhausted every request gets 200. `requests` records method, path and JSON body.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .http import ThreadServed

Step = int | tuple[str, float]


@dataclass(frozen=True, slots=True)
class SeenRequest:
    """One request the scripted server received."""

    method: str
    path: str
    body: Any
    status: int


class ScriptedPusherServer(ThreadServed):
    """Serve scripted statuses on 127.0.0.1 (free port) in a daemon thread."""

    def __init__(self, script: list[Step] | None = None) -> None:
        """Describe the script; nothing listens until `start()`."""
        self.script: list[Step] = list(script or [])
        self.requests: list[SeenRequest] = []
        self._lock = threading.Lock()

    def pusher_kwargs(self) -> dict[str, Any]:
        """Keyword arguments (host, port, ssl) pointing a pusher client here."""
        return {"host": "127.0.0.1", "port": self.port, "ssl": False}

    def _next(self) -> Step:
        """Pop the next script step (200 once the script is exhausted)."""
        with self._lock:
            return self.script.pop(0) if self.script else 200

    def start(self) -> ScriptedPusherServer:
        """Bind a free port and serve in a daemon thread."""
        owner = self

        class Handler(BaseHTTPRequestHandler):
            """Answer every POST with the next scripted step."""

            def do_POST(self) -> None:
                """Read the body, apply the script step, answer."""
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body: Any = json.loads(raw or b"null")
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                step = owner._next()
                status = 200
                if isinstance(step, tuple):
                    time.sleep(step[1])
                else:
                    status = step
                with owner._lock:
                    owner.requests.append(SeenRequest("POST", self.path, body, status))
                payload = b"{}" if status == 200 else f"scripted failure {status}".encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                """Stay quiet."""

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        return self._serve(server, "hotelmate-scripted-pusher")

