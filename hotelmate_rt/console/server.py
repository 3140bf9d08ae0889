"""Serve the console with uvicorn on a socket bound before the URL is printed.

`bind(host, port)` opens the listening socket first (port 0 picks a free one), so the caller
knows the final URL before serving and a busy port is a clear error, not a log line. `serve()`
runs uvicorn on it until SIGINT/SIGTERM, with the access log off: request paths carry the
session token, and no log may hold it.
"""

from __future__ import annotations

import socket
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
    """Serve `app` on `sock` until interrupted (graceful shutdown bounded to 2 s)."""
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                            ws="none", server_header=False, timeout_graceful_shutdown=2,
                            timeout_keep_alive=5)
    uvicorn.Server(config).run(sockets=[sock])
