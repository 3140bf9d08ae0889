"""Run any local socketserver-based HTTP server (http.server, wsgiref) in a daemon thread."""

from __future__ import annotations

import socketserver
import threading
from types import TracebackType
from typing import Self


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


class ThreadServed:
    """A test server served by a `ServerThread`: its port, `stop()` and `with`, written once."""

    _serving: ServerThread | None = None

    def start(self) -> Self:
        """Bind and serve (each server says how, then calls `_serve`)."""
        raise NotImplementedError

    def _serve(self, server: socketserver.BaseServer, name: str) -> Self:
        """Serve a bound server on a daemon thread named `name`."""
        self._serving = ServerThread(server, name).start()
        return self

    @property
    def port(self) -> int:
        """The port the server listens on (known after start)."""
        if self._serving is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._serving.port

    def stop(self) -> None:
        """Stop serving and close the socket (bounded wait for the thread)."""
        serving, self._serving = self._serving, None
        if serving is not None:
            serving.stop()

    def __enter__(self) -> Self:
        """Start for a `with` block."""
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        """Stop at the end of a `with` block."""
        self.stop()
