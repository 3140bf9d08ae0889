"""Run any local socketserver-based HTTP server (http.server, wsgiref) in a daemon thread."""

from __future__ import annotations

import socketserver
import threading
from types import TracebackType


class ServerThread:
    """Serve a bound server on a daemon thread; `stop()` shuts it down with a bounded join."""

    def __init__(self, server: socketserver.BaseServer, name: str = "hotelmate-http") -> None:
        """Wrap an already bound server; nothing is served until `start()`."""
        self.server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=name, daemon=True)

    @property
    def port(self) -> int:
        """The port the server is bound to."""
        return int(self.server.server_address[1])  # type: ignore[index]

    @property
    def url(self) -> str:
        """The server's base URL on loopback, e.g. `http://127.0.0.1:54321`."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerThread:
        """Start serving in the background."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the socket and wait (at most 5 s) for the thread."""
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5.0)

    def __enter__(self) -> ServerThread:
        """Start for a `with` block."""
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        """Stop at the end of a `with` block."""
        self.stop()
