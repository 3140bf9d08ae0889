"""Serve the console with uvicorn on a socket bound before the URL is printed.

`bind(host, port)` opens the listening socket first (port 0 picks a free one), so the caller
knows the final URL before serving and a busy port is a clear error, not a log line. `serve()`
runs uvicorn on it until SIGINT/SIGTERM, with the access log off: request paths carry the
session token, and no log may hold it. uvicorn runs on a thread and the main thread turns the
signals into `should_exit` (a second Ctrl-C forces it), so a stop returns normally (exit 0)
instead of re-raising the signal as uvicorn does on the main thread.
"""

from __future__ import annotations

import signal
import socket
import threading
from typing import Any

__all__ = ["bind", "serve"]


def bind(host: str, port: int) -> socket.socket:
    """Open a listening TCP socket on host:port (0 for any free port); raises OSError."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def serve(app: Any, sock: socket.socket) -> None:
    """Serve `app` on `sock` until SIGINT/SIGTERM (graceful shutdown bounded to 2 s)."""
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                            ws="none", server_header=False, timeout_graceful_shutdown=2,
                            timeout_keep_alive=5)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                              name="console-http", daemon=True)

    def stop(signum: int, frame: Any) -> None:
        """First signal: shut down gracefully; a second one: at once."""
        if server.should_exit:
            server.force_exit = True
        server.should_exit = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        thread.start()
        while thread.is_alive():
            thread.join(0.5)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
