"""Start and stop a local soketi (Pusher-protocol server) for tests, demos and benchmarks.

soketi is installed by the repository's ``package.json`` (``npm install`` at the repo root).
The server runs as ``node node_modules/.bin/soketi start`` in its own process group, configured
only through ``SOKETI_*`` environment variables, and is bound to loopback by default.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from hotelmate_rt.emitters.deadletter import pid_alive

__all__ = [
    "NODE_MODULES_ENV",
    "SoketiError",
    "SoketiServer",
    "find_node_modules",
    "free_port",
    "npm_install",
    "stop_pid",
]

NODE_MODULES_ENV = "HOTELMATE_RT_NODE_MODULES"
"""Environment variable naming the ``node_modules`` directory that holds soketi."""

_REPO_ROOT = Path(__file__).resolve().parents[2]
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_RUNNING: set[SoketiServer] = set()
_WORKDIRS: set[Path] = set()


class SoketiError(RuntimeError):
    """Raised when soketi is missing, fails to start, or fails to stop."""


def free_port(host: str = "127.0.0.1", kind: int = socket.SOCK_STREAM) -> int:
    """Return a port on ``host`` that is free right now (TCP by default, UDP with SOCK_DGRAM)."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _port_is_free(host: str, port: int) -> bool:
    """Return True if a listening TCP socket could be bound to ``host:port`` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def find_node_modules() -> Path:
    """Return the ``node_modules`` directory that contains soketi, or raise SoketiError."""
    override = os.environ.get(NODE_MODULES_ENV)
    if override:
        candidates = [Path(override)]
    else:
        cwd = Path.cwd().resolve()
        roots = [_REPO_ROOT, cwd, *cwd.parents]
        candidates = [root / "node_modules" for root in roots]
    for candidate in candidates:
        if (candidate / "@soketi" / "soketi").is_dir() and (candidate / ".bin" / "soketi").exists():
            return candidate
    where = ", ".join(str(c) for c in candidates[:3])
    raise SoketiError(
        f"soketi is not installed (looked for node_modules/@soketi/soketi in {where}); "
        f"run `make install` (or `npm install` at the repository root), "
        f"or set {NODE_MODULES_ENV} to a node_modules directory that has it"
    )


def npm_install(root: Path | None = None, timeout: float = 600.0) -> None:
    """Run ``npm install`` with the committed lockfile at ``root`` (the repository root)."""
    npm = shutil.which("npm")
    if npm is None:
        raise SoketiError("npm is not on PATH: install Node.js 18+ with npm")
    cwd = root or _REPO_ROOT
    # `npm ci` rejects this lockfile (it lacks msgpackr-extract's optional platform packages),
    # while `npm install` with the same lockfile installs exactly the locked tree.
    cmd = [npm, "install", "--no-audit", "--no-fund", "--no-update-notifier"]
    try:
        subprocess.run(cmd, cwd=cwd, check=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise SoketiError(f"`{' '.join(cmd)}` failed in {cwd}: {exc}") from exc


def stop_pid(pid: int, timeout: float = 10.0) -> None:
    """Terminate the process group led by ``pid`` (SIGTERM, then SIGKILL after ``timeout``)."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                return
            time.sleep(0.05)
    raise SoketiError(f"soketi (pid {pid}) did not exit after SIGKILL")


class SoketiServer:
    """One local soketi process with a single app, restartable on the same ports."""

    def __init__(
        self,
        port: int | None = None,
        app_id: str = "4242",
        key: str = "test-key",
        secret: str = "test-secret",
        host: str = "127.0.0.1",
        *,
        metrics_port: int | None = None,
        extra_env: Mapping[str, str] | None = None,
        node_modules: Path | None = None,
        log_path: Path | None = None,
        startup_timeout: float = 30.0,
        stop_timeout: float = 10.0,
        shutdown_grace_ms: int = 100,
    ) -> None:
        """Describe the server; nothing starts until ``start()``."""
        self.host = host
        self.app_id = app_id
        self.key = key
        self.secret = secret
        self._port = port
        self._metrics_port = metrics_port
        self._cluster_port: int | None = None
        self.extra_env: dict[str, str] = dict(extra_env or {})
        self._node_modules = node_modules
        self._workdir = Path(tempfile.mkdtemp(prefix="hotelmate-soketi-"))
        _WORKDIRS.add(self._workdir)  # removed by close(), else at exit (unless detached)
        self.log_path = log_path or self._workdir / "soketi.log"
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.shutdown_grace_ms = shutdown_grace_ms
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def port(self) -> int:
        """The WebSocket and HTTP API port (chosen at first start if not given)."""
        if self._port is None:
            self._port = free_port(self.host)
        return self._port

    @property
    def metrics_port(self) -> int:
        """The port of soketi's metrics/usage server (kept apart so servers do not clash)."""
        if self._metrics_port is None:
            self._metrics_port = free_port(self.host)
        return self._metrics_port

    @property
    def pid(self) -> int | None:
        """The process id of the running server, or None."""
        return self._proc.pid if self._proc is not None else None

    @property
    def is_running(self) -> bool:
        """True while the soketi process is alive."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def http_url(self) -> str:
        """Base URL of the HTTP API, e.g. ``http://127.0.0.1:6001``."""
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        """WebSocket URL a Pusher client connects to for this app."""
        return f"ws://{self.host}:{self.port}/app/{self.key}?protocol=7&client=hotelmate-rt"

    def pusher_kwargs(self) -> dict[str, object]:
        """Keyword arguments for ``pusher.Pusher(**kwargs)`` pointing at this server."""
        return {
            "app_id": self.app_id,
            "key": self.key,
            "secret": self.secret,
            "host": self.host,
            "port": self.port,
            "ssl": False,
        }

    def pysher_kwargs(self) -> dict[str, object]:
        """Keyword arguments for ``pysher.Pusher(**kwargs)`` pointing at this server."""
        return {"key": self.key, "custom_host": self.host, "port": self.port, "secure": False}

    def environment(self) -> dict[str, str]:
        """Return the full environment the soketi process is started with."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOKETI_")}
        if self._cluster_port is None:
            self._cluster_port = free_port("127.0.0.1", socket.SOCK_DGRAM)
        # soketi JSON-parses every SOKETI_* value: quoting keeps "123" or "true" a string.
        env.update(
            {
                "SOKETI_DEFAULT_APP_ID": json.dumps(self.app_id),
                "SOKETI_DEFAULT_APP_KEY": json.dumps(self.key),
                "SOKETI_DEFAULT_APP_SECRET": json.dumps(self.secret),
                "SOKETI_HOST": self.host,
                "SOKETI_PORT": str(self.port),
                "SOKETI_METRICS_HOST": self.host,
                "SOKETI_METRICS_SERVER_PORT": str(self.metrics_port),
                # node-discover would otherwise broadcast hellos to 255.255.255.255:11002.
                "SOKETI_CLUSTER_PORT": str(self._cluster_port),
                "SOKETI_CLUSTER_UNICAST_ADDRESSES": "127.0.0.1",
                "SOKETI_SHUTDOWN_GRACE_PERIOD": str(self.shutdown_grace_ms),
                "AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE": "1",
            }
        )
        env.update(self.extra_env)
        return env

    def start(self) -> SoketiServer:
        """Start soketi and wait until its HTTP endpoint answers, or raise SoketiError."""
        if self.is_running:
            raise SoketiError(f"soketi is already running (pid {self.pid}) on port {self.port}")
        node = shutil.which("node")
        if node is None:
            raise SoketiError("node is not on PATH: install Node.js 18+ to run soketi")
        node_modules = self._node_modules or find_node_modules()
        self._wait_port_free(self.port)
        self._wait_port_free(self.metrics_port)
        env = self.environment()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            log.write(f"--- starting soketi on {self.host}:{self.port} ---\n".encode())
            log.flush()
            # cwd is a private directory: soketi loads a `.env` file from its cwd (dotenv).
            self._proc = subprocess.Popen(
                [node, str(node_modules / ".bin" / "soketi"), "start"],
                cwd=self._workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _RUNNING.add(self)
        try:
            self._wait_ready()
        except BaseException:
            self._terminate()
            raise
        return self

    def stop(self) -> None:
        """Stop soketi gracefully (clients get close code 4200), killing it after a timeout."""
        self._terminate()

    def close(self) -> None:
        """Stop the server and delete its private directory (and the log, if it is there)."""
        self.stop()
        shutil.rmtree(self._workdir, ignore_errors=True)
        _WORKDIRS.discard(self._workdir)

    def kill(self) -> None:
        """Kill soketi with SIGKILL, as a crash would: clients get no close frame."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=self.stop_timeout)
        self._proc = None
        _RUNNING.discard(self)

    def restart(self, *, abrupt: bool = False) -> SoketiServer:
        """Stop (or kill, if ``abrupt``) and start again on the same ports."""
        if abrupt:
            self.kill()
        else:
            self.stop()
        return self.start()

    def detach(self) -> int:
        """Leave the server running after this Python process exits and return its pid."""
        if self._proc is None or self._proc.poll() is not None:
            raise SoketiError("soketi is not running")
        _RUNNING.discard(self)
        _WORKDIRS.discard(self._workdir)  # the running server keeps its cwd and log there
        return self._proc.pid

    def log_tail(self, lines: int = 40) -> str:
        """Return the last lines of soketi's log, without colour codes."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        kept = [line.rstrip() for line in _ANSI.sub("", text).splitlines() if line.strip()]
        return "\n".join(kept[-lines:])

    def __enter__(self) -> SoketiServer:
        """Start the server for a ``with`` block."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the server and remove its files at the end of a ``with`` block."""
        self.close()

    def __repr__(self) -> str:
        """Show where the server listens and whether it runs."""
        state = f"pid {self.pid}" if self.is_running else "stopped"
        return f"SoketiServer({self.host}:{self._port}, app_id={self.app_id!r}, {state})"

    def _terminate(self) -> None:
        """Terminate the process group and reap the process."""
        proc = self._proc
        if proc is not None:
            if proc.poll() is None:
                stop_pid(proc.pid, self.stop_timeout)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5.0)
        self._proc = None
        _RUNNING.discard(self)

    def _wait_port_free(self, port: int) -> None:
        """Wait (bounded) until ``port`` can be bound, e.g. just after a restart."""
        deadline = time.monotonic() + self.stop_timeout
        while not _port_is_free(self.host, port):
            if time.monotonic() > deadline:
                raise SoketiError(f"port {self.host}:{port} is in use by another process")
            time.sleep(0.05)

    def _wait_ready(self) -> None:
        """Poll ``GET /`` until soketi answers ``OK``, the process dies, or time runs out."""
        deadline = time.monotonic() + self.startup_timeout
        url = f"{self.http_url}/"
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            proc = self._proc
            if proc is None or proc.poll() is not None:
                code = proc.returncode if proc is not None else None
                tail = self.log_tail()
                raise SoketiError(f"soketi exited ({code}) on start; {self.log_path}:\n{tail}")
            try:
                with opener.open(url, timeout=1.0) as response:
                    if response.status == 200 and response.read().strip() == b"OK":
                        return
                    last_error = f"HTTP {response.status}"
            except (urllib.error.URLError, OSError) as exc:
                last_error = str(exc)
            time.sleep(0.05)
        raise SoketiError(
            f"soketi did not answer {url} within {self.startup_timeout:.0f} s ({last_error}); "
            f"log {self.log_path}:\n{self.log_tail()}"
        )


@atexit.register
def _stop_all() -> None:
    """Stop every server this process started and did not detach, and remove their directories
    (a server only stopped, or never started, must not leave its directory in the temp dir)."""
    for server in list(_RUNNING):
        with contextlib.suppress(Exception):
            server.stop()
    for workdir in list(_WORKDIRS):
        shutil.rmtree(workdir, ignore_errors=True)
    _WORKDIRS.clear()
