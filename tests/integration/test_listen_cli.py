"""`hotelmate-rt listen|record|check` as a user runs them: output, NDJSON, exit codes, errors."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pusher
import pytest

from hotelmate_rt.auth import Principal
from hotelmate_rt.testing.auth_server import AuthServer
from hotelmate_rt.testing.http import ServerThread
from hotelmate_rt.testing.soketi import SoketiServer
from tests.helpers import BOOKING, CHECKED_IN, HOTEL, ROOT, run_cli, shipped_contract

TOKEN = "guest-cli-token-0002-secretish"
TOKENS = {TOKEN: Principal.guest(BOOKING, HOTEL, "101")}
WAIT = 15.0


def server_args(server: SoketiServer) -> list[str]:
    """The options that point the CLI at a soketi server."""
    return ["--key", server.key, "--host", server.host, "--port", str(server.port)]


class Listening:
    """The CLI running in the background with its stdout lines on a queue."""

    def __init__(self, *args: str) -> None:
        """Start the CLI."""
        self.proc = subprocess.Popen([sys.executable, "-m", "hotelmate_rt", *args], cwd=ROOT,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        """Copy stdout lines to the queue."""
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def wait_for(self, text: str, count: int = 1, timeout: float = WAIT) -> None:
        """Wait until `count` stdout lines contain `text`, or fail."""
        deadline = time.monotonic() + timeout
        while sum(text in line for line in self.seen) < count:
            try:
                self.seen.append(self.lines.get(timeout=max(0.01, deadline - time.monotonic())))
            except queue.Empty:
                self.proc.kill()
                pytest.fail(f"no {count} x {text!r} within {timeout} s; saw {self.seen}")

    def finish(self, timeout: float = WAIT) -> tuple[int, list[str], str]:
        """Wait for the exit; return code, every stdout line and stderr."""
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        time.sleep(0.05)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        assert self.proc.stderr is not None
        return code, self.seen, self.proc.stderr.read()


@pytest.fixture
def auth(soketi: SoketiServer) -> Iterator[AuthServer]:
    """The real auth endpoint for the test token."""
    with AuthServer(shipped_contract(), soketi.key, soketi.secret, TOKENS) as server:
        yield server


def trigger(server: SoketiServer, channel: str, event: str, data: Any) -> None:
    """Send one event through soketi's HTTP API with the pusher SDK."""
    pusher.Pusher(**server.pusher_kwargs()).trigger(channel, event, data)  # type: ignore[arg-type]


def guest_listen(server: SoketiServer, auth: AuthServer, *extra: str,
                 command: str = "listen") -> Listening:
    """Start `listen --as guest --json` through the auth endpoint."""
    return Listening(command, "--as", "guest", "--token", TOKEN, "--booking", BOOKING,
                     "--hotel", HOTEL, "--auth-endpoint", auth.url, "--json",
                     *server_args(server), *extra)


def test_conforming_events_exit_0_and_ndjson_parses(soketi: SoketiServer,
                                                    auth: AuthServer) -> None:
    """A guest's listen with --count sees the event, writes NDJSON and exits 0."""
    listening = guest_listen(soketi, auth, "--count", "1", "--timeout", "20")
    listening.wait_for('"type":"subscribed"', 2)
    trigger(soketi, f"private-booking-{BOOKING}", "booking_checked_in", CHECKED_IN)
    code, lines, stderr = listening.finish()
    assert code == 0, stderr
    records = [json.loads(line) for line in lines]
    events = [r for r in records if r["type"] == "event"]
    assert [e["verdict"] for e in events] == [["conforms"]]
    assert json.loads(events[0]["data"]) == CHECKED_IN
    assert records[-1]["type"] == "summary" and records[-1]["ok"] is True
    assert TOKEN not in "".join(lines) + stderr


def test_a_violation_exits_1(soketi: SoketiServer, auth: AuthServer) -> None:
    """Any violation seen makes listen exit 1, with the finding's JSON path in the output."""
    listening = guest_listen(soketi, auth, "--until", "booking_checked_in", "--timeout", "20")
    listening.wait_for('"type":"subscribed"', 2)
    trigger(soketi, f"private-booking-{BOOKING}", "booking_checked_in",
            {**CHECKED_IN, "guest_token": "leak"})
    code, lines, _ = listening.finish()
    assert code == 1
    event = next(json.loads(line) for line in lines if '"type":"event"' in line)
    assert "schema-violation" in event["verdict"]
    assert json.loads(lines[-1])["stopped"] == "saw booking_checked_in"


def test_until_never_seen_exits_1(soketi: SoketiServer) -> None:
    """--until with --timeout and no such event stops at the timeout and exits 1."""
    result = run_cli("listen", "--as", "public", "--hotel", "quiet-hotel", "--until", "offer-created",
                 "--timeout", "1.5", *server_args(soketi))
    assert result.returncode == 1, result.stderr
    assert "never saw offer-created" in result.stdout


def test_human_output_has_a_line_per_event_and_a_summary(soketi: SoketiServer) -> None:
    """Without --json a person sees a verdict line, its findings and a summary."""
    proc = Listening("listen", "--as", "public", "--hotel", "human-hotel", "--count", "1",
                     "--timeout", "20", *server_args(soketi))
    proc.wait_for("subscribed")
    trigger(soketi, "hotel-human-hotel", "offer-created", {"offer": {"id": 1}, "action": "created"})
    code, lines, _ = proc.finish()
    text = "".join(lines)
    assert code == 1
    assert "offer-created" in text and "schema-violation $.offer" in text
    assert "1 event(s), 1 violation(s)" in text


@pytest.mark.parametrize(("args", "message"), [
    ((), "say who you listen as"),
    (("--as", "guest", "--booking", "BK-2025-0002"), "--auth-endpoint"),
    (("--as", "guest", "--booking", "BK-25-2"), "does not look like a booking_id"),
    (("--as", "staff"), "hotel_slug"),
    (("--as", "guest", "--booking", "BK-2025-0002", "--sign-locally"), "app secret"),
])
def test_usage_errors_exit_2(soketi: SoketiServer, args: tuple[str, ...], message: str) -> None:
    """Missing audience, auth or parameters exit 2 with one line, never a traceback."""
    result = run_cli("listen", *args, "--timeout", "2", *server_args(soketi))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_no_server_and_unknown_key_exit_2(soketi: SoketiServer, free_port: Any) -> None:
    """No server on the port, or an app key the server does not know, exit 2 with the cause."""
    result = run_cli("listen", "--as", "public", "--hotel", HOTEL, "--port", str(free_port()),
                 "--key", "some-key", "--timeout", "5")
    assert result.returncode == 2 and "connection refused" in result.stderr
    result = run_cli("listen", "--as", "public", "--hotel", HOTEL, "--timeout", "5")
    assert result.returncode == 2 and "no Pusher app key" in result.stderr
    result = run_cli("listen", "--as", "public", "--hotel", HOTEL, "--timeout", "5",
                 "--host", soketi.host, "--port", str(soketi.port), "--key", "nope")
    assert result.returncode == 2 and "4001" in result.stderr


def test_refused_booking_exits_2_with_status_and_reason(soketi: SoketiServer,
                                                        auth: AuthServer) -> None:
    """Another booking's channel: the 403, the endpoint's reason and its meaning; exit 2."""
    result = run_cli("listen", "--as", "guest", "--token", TOKEN, "--channel",
                 "private-booking-BK-2025-0003", "--auth-endpoint", auth.url, "--timeout", "5",
                 *server_args(soketi))
    assert result.returncode == 2
    assert "HTTP 403" in result.stderr and "another booking" in result.stderr
    assert "may not read the channel" in result.stderr
    assert TOKEN not in result.stdout + result.stderr


class _Misbehaving(BaseHTTPRequestHandler):
    """An auth endpoint that fails the way real backends do, chosen by path."""

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""

    def do_POST(self) -> None:
        """Answer per path: 401, 403, 500, a slow answer, or a 200 HTML page."""
        self.rfile.read(int(self.headers.get("content-length", 0)))
        if self.path == "/slow":
            time.sleep(2)
        answers = {
            "/401": (401, "application/json", b'{"detail": "Token has expired"}'),
            "/403": (403, "application/json", b'{"error": "not your booking"}'),
            "/500": (500, "text/html", b"<html><body>Server Error (500)</body></html>"),
            "/slow": (200, "application/json", b'{"auth": "x:y"}'),
            "/html": (200, "text/html", b"<!doctype html><html><title>Login</title></html>"),
            "/echo": (401, "text/plain",
                      f"bad token {self.headers.get('authorization')}".encode()),
        }
        status, content_type, body = answers[self.path]
        try:
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass


@pytest.fixture(scope="module")
def misbehaving() -> Iterator[str]:
    """A local HTTP server with one failing auth endpoint per path."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Misbehaving)
    server.daemon_threads = True
    with ServerThread(server) as serving:
        yield serving.url


@pytest.mark.parametrize(("path", "expected"), [
    ("/401", ["HTTP 401", "Token has expired", "get a fresh token"]),
    ("/403", ["HTTP 403", "not your booking", "may not read the channel"]),
    ("/500", ["HTTP 500", "Server Error (500)", "backend bug or outage"]),
    ("/slow", ["did not answer within 0.5 s", "timeout"]),
    ("/html", ["answered 200", "not with JSON", "text/html"]),
    ("/echo", ["HTTP 401", "bad token Bearer ***"]),
])
def test_auth_endpoint_failures_each_say_what_happened(
        soketi: SoketiServer, misbehaving: str, path: str, expected: list[str]) -> None:
    """401, 403, 500, timeout and non-JSON each give a distinct message and exit 2 (a 500 or a
    timeout is retried until --timeout, then named as the last problem)."""
    result = run_cli("listen", "--json", "--as", "guest", "--token", TOKEN, "--booking", BOOKING,
                 "--auth-endpoint", misbehaving + path, "--auth-timeout", "0.5",
                 "--timeout", "4", *server_args(soketi))
    assert result.returncode == 2
    for text in expected:
        assert text in result.stderr, result.stderr
    assert TOKEN not in result.stdout + result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[-1]["type"] == "error"
    retried = path in ("/500", "/slow")
    assert any(line["type"] == "subscription-failed" if not retried else
               line["type"] == "note" and line["kind"] == "auth-retry" for line in lines)


def test_record_then_check_gives_the_same_verdicts(soketi: SoketiServer, auth: AuthServer,
                                                   tmp_path: Path) -> None:
    """`record --out` writes a recording that `check` judges offline to the same verdicts."""
    out = tmp_path / "events.jsonl"
    listening = guest_listen(soketi, auth, "--out", str(out), "--count", "2", "--timeout", "20",
                             command="record")
    listening.wait_for('"type":"subscribed"', 2)
    trigger(soketi, f"private-booking-{BOOKING}", "booking_checked_in", CHECKED_IN)
    trigger(soketi, f"private-booking-{BOOKING}", "message-received", {"id": 1})
    code, _, stderr = listening.finish()
    assert code == 1, stderr
    recorded = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["event"] for r in recorded if r["type"] == "event"] == \
        ["booking_checked_in", "message-received"]
    checked = run_cli("check", str(out), "--json")
    assert checked.returncode == 1, checked.stderr
    lines = [json.loads(line) for line in checked.stdout.splitlines()]
    verdicts = [line["verdict"] for line in lines if line["type"] == "checked"]
    assert verdicts == [r["verdict"] for r in recorded if r["type"] == "event"]
    assert lines[-1]["events"] == 2 and lines[-1]["violations"] == 1
