"""A throwaway PostgreSQL server for tests and benchmarks (Debian's `postgresql` package).

    with PostgresServer() as pg:
        pg.url                      # postgresql://postgres@127.0.0.1:PORT/hotelmate
        pg.django_settings()        # a DATABASES entry

`initdb` makes a cluster in a temporary directory and `pg_ctl` starts it on a free port,
listening on 127.0.0.1 only (no Unix socket outside that directory), trust auth for the local
`postgres` role. PostgreSQL refuses to run as root: when this process is root, the cluster is
owned by and run as the `postgres` user the Debian package creates. `stop()` (and the `with`
block, and interpreter exit) stops the server and deletes the directory. The `postgres` pytest
fixture gives one server per test session.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

from .soketi import free_port

__all__ = ["PostgresError", "PostgresServer", "django_database", "find_bin", "postgres"]

_RUNNING: set[PostgresServer] = set()


class PostgresError(RuntimeError):
    """PostgreSQL is not installed, or failed to initialise, start or stop."""


def find_bin(name: str) -> str:
    """Return the path of a PostgreSQL server program (`initdb`, `pg_ctl`), newest version first."""
    for candidate in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                            key=lambda p: int(Path(p).parts[4]) if Path(p).parts[4].isdigit()
                            else 0, reverse=True):
        if os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which(name)
    if found:
        return found
    raise PostgresError(f"{name} not found: install Debian's `postgresql` package (it is in "
                        "system-packages.txt; `make install` installs it)")


class PostgresServer:
    """One local PostgreSQL cluster in a temporary directory, on 127.0.0.1 and a free port."""

    def __init__(self, database: str = "hotelmate", port: int | None = None, *,
                 fsync: bool = False, settings: dict[str, str] | None = None,
                 startup_timeout: float = 60.0) -> None:
        """Describe the server; nothing runs until `start()`. `fsync=False` suits tests."""
        self.database = database
        self.port = port or free_port()
        self.fsync = fsync
        self.settings = dict(settings or {})
        self.startup_timeout = startup_timeout
        self.user = "postgres"
        self._root = Path(tempfile.mkdtemp(prefix="hotelmate-pg-"))
        self.data_dir = self._root / "data"
        self.log_path = self._root / "postgres.log"
        self._run_as: str | None = "postgres" if os.geteuid() == 0 else None
        self._started = False

    @property
    def url(self) -> str:
        """A libpq URL for the database (trust auth, no password)."""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{self.database}"

    def django_settings(self) -> dict[str, Any]:
        """A DATABASES entry for this server."""
        return {"ENGINE": "django.db.backends.postgresql", "NAME": self.database,
                "USER": self.user, "PASSWORD": "", "HOST": "127.0.0.1", "PORT": str(self.port)}

    def _run(self, args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        """Run a server program (as the postgres user when this process is root)."""
        try:
            return subprocess.run(args, user=self._run_as, cwd=self._root, capture_output=True,
                                  text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                                  check=True)
        except subprocess.CalledProcessError as exc:
            raise PostgresError(f"{Path(args[0]).name} failed ({exc.returncode}): "
                                f"{(exc.stderr or exc.stdout or '').strip()[-800:]}\n"
                                f"{self.log_tail()}") from None
        except subprocess.TimeoutExpired:
            raise PostgresError(f"{Path(args[0]).name} did not finish in {timeout:g} s\n"
                                f"{self.log_tail()}") from None

    def start(self) -> PostgresServer:
        """initdb, start on 127.0.0.1:port, create the database; raise PostgresError on failure."""
        if self._started:
            raise PostgresError("PostgreSQL is already running")
        initdb, pg_ctl = find_bin("initdb"), find_bin("pg_ctl")
        if self._run_as is not None:
            owner = pwd.getpwnam(self._run_as)
            os.chown(self._root, owner.pw_uid, owner.pw_gid)
        self._run([initdb, "-D", str(self.data_dir), "-U", self.user, "--auth=trust",
                   "-E", "UTF8", "--locale=C", "--no-instructions"], timeout=120)
        options = {"listen_addresses": "127.0.0.1", "port": str(self.port),
                   "unix_socket_directories": str(self._root),
                   "fsync": "on" if self.fsync else "off",
                   "synchronous_commit": "on" if self.fsync else "off",
                   "full_page_writes": "on" if self.fsync else "off",
                   "max_connections": "50", **self.settings}
        with (self.data_dir / "postgresql.auto.conf").open("a") as conf:
            for key, value in options.items():
                conf.write(f"{key} = '{value}'\n")
        _RUNNING.add(self)
        self._started = True
        try:
            self._run([pg_ctl, "-D", str(self.data_dir), "-l", str(self.log_path), "-w",
                       "-t", str(int(self.startup_timeout)), "start"],
                      timeout=self.startup_timeout + 10)
            self._create_database()
        except BaseException:
            self.stop()
            raise
        return self

    def _create_database(self) -> None:
        """Create the test database (through psycopg, as the postgres role)."""
        import psycopg

        deadline = time.monotonic() + 10
        while True:
            try:
                with psycopg.connect(host="127.0.0.1", port=self.port, user=self.user,
                                     dbname="postgres", autocommit=True,
                                     connect_timeout=5) as conn:
                    conn.execute(f'CREATE DATABASE "{self.database}"')
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its directory."""
        if self._started:
            with contextlib.suppress(PostgresError):
                self._run([find_bin("pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w",
                           "-t", "30", "stop"], timeout=40)
            self._started = False
        _RUNNING.discard(self)
        shutil.rmtree(self._root, ignore_errors=True)

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the server log."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def __enter__(self) -> PostgresServer:
        """Start for a `with` block."""
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        """Stop at the end of a `with` block."""
        self.stop()

    def __repr__(self) -> str:
        """Show where it listens."""
        return f"PostgresServer(127.0.0.1:{self.port}, {'running' if self._started else 'stopped'})"


@contextmanager
def django_database(server: PostgresServer, alias: str = "postgres") -> Iterator[str]:
    """Add `server` as database `alias` to the running Django project for a `with` block."""
    from django.conf import settings
    from django.db import DEFAULT_DB_ALIAS, connections

    both = {DEFAULT_DB_ALIAS: dict(connections.settings[DEFAULT_DB_ALIAS]),
            alias: server.django_settings()}
    conf = connections.configure_settings(both)[alias]
    settings.DATABASES[alias] = conf
    connections.settings[alias] = conf
    try:
        yield alias
    finally:
        connections[alias].close()
        del connections[alias]
        connections.settings.pop(alias, None)
        settings.DATABASES.pop(alias, None)


@atexit.register
def _stop_all() -> None:
    """Stop every server this process started, at interpreter exit."""
    for server in list(_RUNNING):
        with contextlib.suppress(Exception):
            server.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the test session, always stopped at the end."""
    server = PostgresServer()
    try:
        server.start()
    except PostgresError as exc:
        pytest.fail(f"PostgreSQL could not start: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()
