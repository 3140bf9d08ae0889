"""HttpClientBackend (the default PusherTransport backend) against real local HTTP servers."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pusher
import pytest
from pusher.requests import RequestsBackend

from hotelmate_rt.contracts import Contract
from hotelmate_rt.emitters import (
    Emitter,
    HttpClientBackend,
    Outcome,
    PusherTransport,
    WireEvent,
)
from hotelmate_rt.errors import TransportError
from hotelmate_rt.testing.http import ServerThread
from hotelmate_rt.testing.scripted_server import ScriptedPusherServer
from tests.helpers import FAST, UPDATED

SECRET = "s3cr3t-app-secret"
EVENT = [WireEvent("private-hotel-hotel-paradise-staff", "booking_updated", '{"a":1}')]


class CountingApi:
    """An HTTP/1.1 Pusher API stand-in that counts connections and requests.

    Modes: "keep" keeps connections alive, "close" answers with `Connection: close`, "drop"
    closes silently after each answer (an idle keep-alive timeout), "hangup" answers the first
    request and then closes every connection without answering.
    """

    def __init__(self, mode: str = "keep") -> None:
        """Serve on a free loopback port until `stop()`."""
        self.mode = mode
        self.connections = 0
        self.seen: list[int] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            """Answer every POST with 200 `{}` per the owner's mode."""

            protocol_version = "HTTP/1.1"
            timeout = 5.0

            def setup(self) -> None:
                """Number the connection."""
                super().setup()
                with owner._lock:
                    owner.connections += 1
                    self.number = owner.connections

            def do_POST(self) -> None:
                """Read the body and answer (or hang up)."""
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with owner._lock:
                    owner.seen.append(self.number)
                    count = len(owner.seen)
                if owner.mode == "hangup" and count > 1:
                    self.close_connection = True
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                if owner.mode == "close":
                    self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(b"{}")
                if owner.mode == "drop":
                    self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:
                """Stay quiet."""

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self.serving = ServerThread(server, "hotelmate-counting-api").start()

    def stop(self) -> None:
        """Stop serving."""
        self.serving.stop()


@pytest.fixture
def api(request: pytest.FixtureRequest) -> Iterator[CountingApi]:
    """A counting API in the mode given by indirect parametrization (default keep-alive)."""
    running = CountingApi(getattr(request, "param", "keep"))
    yield running
    running.stop()


def make(port: int, *, timeout: float = 2.0, backend: type | None = None) -> PusherTransport:
    """A transport on the given backend (default: HttpClientBackend) to 127.0.0.1:port."""
    return PusherTransport.create("4242", "app-key", SECRET, host="127.0.0.1", port=port,
                                  ssl=False, timeout=timeout, backend=backend)


def backend_of(transport: PusherTransport) -> HttpClientBackend:
    """The transport's SDK backend, which must be the http.client one."""
    backend = transport.client._pusher_client.http
    assert isinstance(backend, HttpClientBackend)
    return backend


def failure(transport: PusherTransport) -> TransportError:
    """The TransportError one trigger raises."""
    with pytest.raises(TransportError) as caught:
        transport.trigger_batch(EVENT)
    return caught.value


def test_default_backend_is_http_client_and_requests_stays_available() -> None:
    """create() picks HttpClientBackend unless given the SDK's requests backend."""
    assert isinstance(make(1).client._pusher_client.http, HttpClientBackend)
    assert isinstance(make(1, backend=RequestsBackend).client._pusher_client.http, RequestsBackend)


def test_keep_alive_connection_is_reused(api: CountingApi) -> None:
    """Five calls to a keep-alive server travel over one connection."""
    transport = make(api.serving.port)
    transport.trigger(["private-hotel-hotel-paradise-staff"], "booking_updated", "{}")
    for _ in range(4):
        transport.trigger_batch(EVENT)
    assert api.seen == [1] * 5 and api.connections == 1 and backend_of(transport).connects == 1
    transport.close()


@pytest.mark.parametrize("api", ["close"], indirect=True)
def test_connection_close_opens_a_new_connection(api: CountingApi) -> None:
    """A `Connection: close` answer (as soketi sends) makes the next call reconnect."""
    transport = make(api.serving.port)
    for _ in range(3):
        transport.trigger_batch(EVENT)
    assert api.seen == [1, 2, 3] and backend_of(transport).connects == 3


def test_http_1_0_server_works_one_connection_per_call() -> None:
    """An HTTP/1.0 server (no keep-alive) gets a fresh connection per call."""
    with ScriptedPusherServer() as server:
        transport = make(server.port)
        for _ in range(3):
            transport.trigger_batch(EVENT)
        assert len(server.requests) == 3 and backend_of(transport).connects == 3


@pytest.mark.parametrize("api", ["drop"], indirect=True)
def test_stale_kept_alive_connection_is_resent_once_on_a_new_one(api: CountingApi) -> None:
    """The server silently closed the idle connection: the call reconnects and succeeds."""
    transport = make(api.serving.port)
    for _ in range(3):
        transport.trigger_batch(EVENT)
    assert api.seen == [1, 2, 3] and backend_of(transport).connects == 3


@pytest.mark.parametrize("api", ["hangup"], indirect=True)
def test_resend_happens_once_then_the_failure_is_retryable(api: CountingApi) -> None:
    """A server hanging up on the resend too: one resend only, then a retryable error."""
    transport = make(api.serving.port)
    transport.trigger_batch(EVENT)
    error = failure(transport)
    assert error.retryable and error.status is None
    assert str(error) == (f"connection to http://127.0.0.1:{api.serving.port} failed: "
                          "RemoteDisconnected: Remote end closed connection without response")
    assert api.seen == [1, 1, 2] and backend_of(transport).connects == 2


def test_timeout_is_a_retryable_transport_error_and_the_next_call_works() -> None:
    """A stalled answer hits the read timeout; the connection is dropped and reopened."""
    with ScriptedPusherServer([("sleep", 0.6)]) as server:
        transport = make(server.port, timeout=0.2)
        error = failure(transport)
        assert str(error) == "timed out after 0.2 s" and error.retryable and error.status is None
        transport.trigger_batch(EVENT)
        assert backend_of(transport).connects == 2


def test_connection_refused_is_retryable_with_errno_text_and_no_secret() -> None:
    """Nothing listening: the error names the target and the errno text, never the secret."""
    with ScriptedPusherServer() as gone:
        port = gone.port
    error = failure(make(port, timeout=0.5))
    assert error.retryable and error.status is None and SECRET not in str(error)
    assert str(error).startswith(f"connection to http://127.0.0.1:{port} failed: [Errno ")
    assert str(error).endswith("] Connection refused")


def test_failure_messages_match_the_requests_backend() -> None:
    """Refused and timed-out calls read the same on both backends."""
    with ScriptedPusherServer() as gone:
        port = gone.port
    refused = [str(failure(make(port, timeout=0.5, backend=b)))
               for b in (None, RequestsBackend)]
    assert refused[0] == refused[1]
    with ScriptedPusherServer([("sleep", 0.5), ("sleep", 0.5)]) as server:
        slow = [str(failure(make(server.port, timeout=0.2, backend=b)))
                for b in (None, RequestsBackend)]
    assert slow == ["timed out after 0.2 s"] * 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413])
def test_4xx_is_not_retried(contract: Contract, status: int, tmp_path: Path) -> None:
    """A 4xx is a final TransportError with its status; the emitter makes one attempt."""
    with ScriptedPusherServer([status]) as server:
        error = failure(make(server.port))
        assert error.status == status and not error.retryable
        assert str(error) == f"HTTP {status}: scripted failure {status}"
        server.script = [status]
        emitter = Emitter(contract, make(server.port), retry=FAST, dead_letter=False)
        result = emitter.emit("booking_updated", UPDATED, hotel_slug="hotel-paradise")
        assert result.outcome is Outcome.FAILED and result.attempts == 1 and result.status == status


def test_5xx_is_retried(contract: Contract) -> None:
    """503 then 500 then 200: retryable errors, and the emitter's third attempt is sent."""
    with ScriptedPusherServer([503]) as server:
        error = failure(make(server.port))
        assert error.status == 503 and error.retryable
        server.script = [503, 500]
        emitter = Emitter(contract, make(server.port), retry=FAST, dead_letter=False)
        result = emitter.emit("booking_updated", UPDATED, hotel_slug="hotel-paradise")
        assert result.outcome is Outcome.SENT and result.attempts == 3
        assert [r.status for r in server.requests[1:]] == [503, 500, 200]


def test_each_thread_has_its_own_connection(api: CountingApi) -> None:
    """Four threads calling at once use four connections, each kept alive for its thread."""
    transport = make(api.serving.port)
    barrier = threading.Barrier(4, timeout=5)
    errors: list[BaseException] = []

    def work() -> None:
        """Call twice, the first call in step with the other threads."""
        try:
            barrier.wait()
            transport.trigger_batch(EVENT)
            transport.trigger_batch(EVENT)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert not errors
    assert api.connections == 4 and sorted(api.seen) == [1, 1, 2, 2, 3, 3, 4, 4]
    transport.close()


def test_emitter_lanes_use_one_kept_alive_connection_per_lane(contract: Contract,
                                                             api: CountingApi) -> None:
    """emit_many over 4 lanes: every batch is sent, over at most one connection per lane."""
    transport = make(api.serving.port)
    emitter = Emitter(contract, transport, retry=FAST, dead_letter=False, lanes=4)
    items = [("booking_updated", {**UPDATED, "booking_id": f"BK-2025-{i:04d}"},
              {"hotel_slug": f"hotel-{i % 8}"}) for i in range(60)]
    results = emitter.emit_many(items)
    assert all(r.outcome is Outcome.SENT for r in results)
    assert 2 <= api.connections <= 4 and backend_of(transport).connects == api.connections
    assert len(api.seen) > api.connections
    emitter.close()


def test_tls_verifies_certificates(tmp_path: Path) -> None:
    """A self-signed server is refused (retryable, says why) unless its CA is trusted."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    api = CountingApi()
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    api.serving.server.socket = server_context.wrap_socket(  # type: ignore[attr-defined]
        api.serving.server.socket, server_side=True)  # type: ignore[attr-defined]
    try:
        port = api.serving.port
        strict = PusherTransport.create("4242", "app-key", SECRET, host="127.0.0.1", port=port,
                                        ssl=True, timeout=2.0)
        assert backend_of(strict).context is not None
        assert backend_of(strict).context.verify_mode is ssl.CERT_REQUIRED  # type: ignore[union-attr]
        error = failure(strict)
        assert error.retryable and "SSLCertVerificationError" in str(error)
        assert str(error).startswith(f"connection to https://127.0.0.1:{port} failed: ")
        trusting = PusherTransport(pusher.Pusher(app_id="4242", key="app-key", secret=SECRET,
                                                 host="127.0.0.1", port=port, ssl=True,
                                                 timeout=2.0, backend=HttpClientBackend,
                                                 cafile=str(cert)))
        trusting.trigger_batch(EVENT)
        trusting.close()
    finally:
        api.stop()


def test_a_forked_child_does_not_reuse_the_parents_connection(
        api: CountingApi, monkeypatch: pytest.MonkeyPatch) -> None:
    """After a fork (seen as a new pid) the thread's connection is replaced, not shared."""
    transport = make(api.serving.port)
    transport.trigger_batch(EVENT)
    monkeypatch.setattr("hotelmate_rt.emitters.http_backend.os.getpid", lambda: -1)
    transport.trigger_batch(EVENT)
    transport.trigger_batch(EVENT)
    assert api.seen == [1, 2, 2] and backend_of(transport).connects == 2
    transport.close()
