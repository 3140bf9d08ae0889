"""A real Redis (Debian's `redis-server`) on a free 127.0.0.1 port, in a temporary directory.

    with RedisServer() as redis:
        redis.port          # give it to soketi nodes: SOKETI_DB_REDIS_PORT
        redis.ping()        # True while it answers

Started as `redis-server --port N --bind 127.0.0.1 --save '' --appendonly no` (nothing written
to disk) in its own process group, always stopped (`stop()`, the `with` block, or at interpreter
exit).
"""

from __future__ import annotations

import atexit
import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from .soketi import SoketiError, free_port, stop_pid

__all__ = ["RedisError", "RedisServer"]

_RUNNING: set[RedisServer] = set()


class RedisError(SoketiError):
    """Raised when redis-server is missing, fails to start, or fails to stop."""


class RedisServer:
    """One local redis-server process, bound to 127.0.0.1, persisting nothing."""

    def __init__(self, port: int | None = None, host: str = "127.0.0.1",
                 startup_timeout: float = 15.0) -> None:
        """Describe the server; nothing starts until `start()`."""
        self.host = host
        self.port = port or free_port(host)
        self.startup_timeout = startup_timeout
        self._workdir = Path(tempfile.mkdtemp(prefix="hotelmate-redis-"))
        self.log_path = self._workdir / "redis.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The redis:// URL of the server."""
        return f"redis://{self.host}:{self.port}"

    @property
    def is_running(self) -> bool:
        """True while the redis-server process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> RedisServer:
        """Start redis-server and wait until it answers PING, or raise RedisError."""
        binary = shutil.which("redis-server")
        if binary is None:
            raise RedisError("redis-server is not installed: run `make install` (it installs the "
                             "Debian packages in system-packages.txt)")
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                [binary, "--port", str(self.port), "--bind", self.host, "--save", "",
                 "--appendonly", "no", "--dir", str(self._workdir), "--daemonize", "no"],
                cwd=self._workdir, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)
        _RUNNING.add(self)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-2000:]
                self._proc = None
                _RUNNING.discard(self)
                raise RedisError(f"redis-server exited on start: {tail}")
            if self.ping():
                return self
            time.sleep(0.05)
        self.stop()
        raise RedisError(f"redis-server did not answer PING on {self.host}:{self.port} within "
                         f"{self.startup_timeout:g} s")

    def command(self, *args: str, timeout: float = 2.0) -> bytes:
        """Send one command (RESP) and return the raw reply (bounded by `timeout`)."""
        body = f"*{len(args)}\r\n" + "".join(f"${len(a.encode())}\r\n{a}\r\n" for a in args)
        with socket.create_connection((self.host, self.port), timeout=timeout) as sock:
            sock.sendall(body.encode())
            return sock.recv(65536)

    def ping(self) -> bool:
        """Tell whether the server answers PING."""
        try:
            return self.command("PING", timeout=0.5).startswith(b"+PONG")
        except OSError:
            return False

    def numsub(self, channel: str) -> int:
        """Count the subscribers of a pub/sub channel (`PUBSUB NUMSUB`), e.g. soketi nodes."""
        reply = self.command("PUBSUB", "NUMSUB", channel).split(b"\r\n")
        counts = [int(part[1:]) for part in reply if part.startswith(b":")]
        return counts[0] if counts else 0

    def detach(self) -> int:
        """Leave the server running after this process exits and return its pid."""
        if self._proc is None or self._proc.poll() is not None:
            raise RedisError("redis-server is not running")
        _RUNNING.discard(self)
        return self._proc.pid

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and reap it."""
        proc, self._proc = self._proc, None
        _RUNNING.discard(self)
        if proc is not None:
            if proc.poll() is None:
                stop_pid(proc.pid)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5.0)

    def close(self) -> None:
        """Stop the server and delete its directory."""
        self.stop()
        shutil.rmtree(self._workdir, ignore_errors=True)

    def __enter__(self) -> RedisServer:
        """Start for a `with` block."""
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        """Stop and clean up at the end of a `with` block."""
        self.close()

    def __repr__(self) -> str:
        """Show where it listens and whether it runs."""
        return f"RedisServer({self.host}:{self.port}, {'running' if self.is_running else 'stopped'})"


@atexit.register
def _stop_all() -> None:
    """Stop every Redis this process started, at interpreter exit."""
    for server in list(_RUNNING):
        with contextlib.suppress(Exception):
            server.stop()
