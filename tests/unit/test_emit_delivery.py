"""Failure policy against a real local HTTP server that fails on purpose; dead letter, replay."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from hotelmate_rt.contracts import Contract
from hotelmate_rt.emitters import (
    DeadLetterFile,
    Emitter,
    Outcome,
    PusherTransport,
    RetryPolicy,
    pusher_settings,
    redact,
    redact_text,
)
from hotelmate_rt.errors import ConfigError, DeliveryError
from hotelmate_rt.testing.http import ServerThread
from hotelmate_rt.testing.scripted_server import ScriptedPusherServer
from tests.helpers import FAST, UPDATED

SECRET = "s3cr3t-app-secret"


@pytest.fixture
def server() -> Iterator[ScriptedPusherServer]:
    """A scripted Pusher HTTP API on a free port."""
    with ScriptedPusherServer() as running:
        yield running


def make(contract: Contract, server: ScriptedPusherServer, tmp_path: Path, *,
         timeout: float = 2.0, strict: bool = False, retry: RetryPolicy = FAST) -> Emitter:
    """An emitter over the real pusher SDK pointed at the scripted server."""
    transport = PusherTransport.create("4242", "app-key", SECRET, timeout=timeout,
                                       **server.pusher_kwargs())
    return Emitter(contract, transport, strict=strict, retry=retry,
                   dead_letter=tmp_path / "dead.jsonl")


def test_5xx_is_retried_then_sent(contract: Contract, server: ScriptedPusherServer,
                                  tmp_path: Path) -> None:
    """Two 503s then a 200: the event is sent on the third attempt."""
    server.script = [503, 502]
    result = make(contract, server, tmp_path).emit("booking_updated", UPDATED,
                                                   hotel_slug="hotel-paradise")
    assert result.outcome is Outcome.SENT and result.attempts == 3
    body = server.requests[-1].body
    assert body["name"] == "booking_updated" and json.loads(body["data"]) == UPDATED
    assert body["channels"] == ["private-booking-BK-2025-0002", "private-hotel-hotel-paradise-staff"]
    assert not (tmp_path / "dead.jsonl").exists()


@pytest.mark.parametrize("status", [400, 401, 403, 413])
def test_4xx_is_not_retried_and_says_why(contract: Contract, server: ScriptedPusherServer,
                                         tmp_path: Path, status: int) -> None:
    """A 4xx fails at once with its status and body, and goes to the dead letter."""
    server.script = [status]
    result = make(contract, server, tmp_path).emit("booking_updated", UPDATED,
                                                   hotel_slug="hotel-paradise")
    assert result.outcome is Outcome.FAILED and result.attempts == 1
    assert result.status == status and f"HTTP {status}" in (result.error or "")
    assert len(server.requests) == 1
    entries = DeadLetterFile(tmp_path / "dead.jsonl").read()
    assert [(e.event, e.status, json.loads(e.data)) for e in entries] == [
        ("booking_updated", status, UPDATED)]


def test_timeout_is_retried_within_bounds(contract: Contract, server: ScriptedPusherServer,
                                          tmp_path: Path) -> None:
    """A stalled server hits the client timeout, and the retry succeeds."""
    server.script = [("sleep", 0.6)]
    result = make(contract, server, tmp_path, timeout=0.2).emit(
        "booking_updated", UPDATED, hotel_slug="hotel-paradise")
    assert result.outcome is Outcome.SENT and result.attempts == 2


def test_persistent_failure_goes_to_dead_letter_never_raises(
        contract: Contract, server: ScriptedPusherServer, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    """After the last attempt the failure is logged (one line, no secret) and dead-lettered."""
    caplog.set_level(logging.INFO, logger="hotelmate_rt.emit")
    server.script = [500, 500, 500]
    emitter = make(contract, server, tmp_path)
    result = emitter.emit("booking_updated", UPDATED, hotel_slug="hotel-paradise")
    assert result.outcome is Outcome.FAILED and result.attempts == 3 and not result.ok
    assert result.dead_letter == str(tmp_path / "dead.jsonl")
    records = [r for r in caplog.records if r.name == "hotelmate_rt.emit"]
    assert len(records) == 1 and records[0].levelno == logging.ERROR
    line = records[0].getMessage()
    assert "BK-2025-0002" in line and "booking_updated" in line and "failed" in line
    assert SECRET not in caplog.text
    dead = (tmp_path / "dead.jsonl").read_text()
    assert SECRET not in dead and "auth_signature" not in dead


def test_strict_mode_raises(contract: Contract, server: ScriptedPusherServer,
                            tmp_path: Path) -> None:
    """Strict mode raises DeliveryError and writes no dead letter."""
    server.script = [401]
    with pytest.raises(DeliveryError, match="HTTP 401"):
        make(contract, server, tmp_path, strict=True).emit("booking_updated", UPDATED,
                                                           hotel_slug="hotel-paradise")
    assert not (tmp_path / "dead.jsonl").exists()


def test_connection_refused_is_a_failure_not_an_exception(contract: Contract,
                                                          tmp_path: Path) -> None:
    """Nothing listening: the emit fails after retries and the business code goes on."""
    with ScriptedPusherServer() as gone:
        kwargs = gone.pusher_kwargs()
    transport = PusherTransport.create("4242", "app-key", SECRET, timeout=0.5, **kwargs)
    emitter = Emitter(contract, transport, retry=FAST, dead_letter=tmp_path / "dead.jsonl")
    result = emitter.emit("booking_updated", UPDATED, hotel_slug="hotel-paradise")
    assert result.outcome is Outcome.FAILED and result.attempts == 3
    assert "Connection refused" in (result.error or "") and SECRET not in (result.error or "")


def test_batch_failure_dead_letters_only_the_failed_chunk(
        contract: Contract, server: ScriptedPusherServer, tmp_path: Path) -> None:
    """12 events on 2 channels = 3 batches; the 400 one is dead-lettered, the others sent."""
    server.script = [200, 400]
    emitter = Emitter(contract, PusherTransport.create(
        "4242", "app-key", SECRET, timeout=2.0, **server.pusher_kwargs()), retry=FAST,
        dead_letter=tmp_path / "dead.jsonl", lanes=1)
    items = [("booking_updated", {**UPDATED, "booking_id": f"BK-2025-{i:04d}"},
              {"hotel_slug": "hotel-paradise"}) for i in range(12)]
    results = emitter.emit_many(items)
    assert [len(r.body["batch"]) for r in server.requests] == [10, 10, 4]
    failed = [r for r in results if r.outcome is Outcome.FAILED]
    assert [r.ids["booking_id"] for r in failed] == ["BK-2025-0005", "BK-2025-0006",
                                                    "BK-2025-0007", "BK-2025-0008",
                                                    "BK-2025-0009"]
    entries = DeadLetterFile(tmp_path / "dead.jsonl").read()
    assert sum(len(e.channels) for e in entries) == 10


def test_replay_resends_and_keeps_only_what_still_fails(
        contract: Contract, server: ScriptedPusherServer, tmp_path: Path) -> None:
    """Replay resends dead letters; the one that fails again stays, the others leave the file."""
    emitter = make(contract, server, tmp_path, retry=RetryPolicy(attempts=1))
    server.script = [500, 500, 500]
    for i in range(3):
        emitter.emit("booking_updated", {**UPDATED, "booking_id": f"BK-2025-000{i}"},
                     hotel_slug="hotel-paradise")
    path = tmp_path / "dead.jsonl"
    assert len(DeadLetterFile(path).read()) == 3
    server.script = [200, 503, 200]
    report = emitter.replay(path)
    assert [e.ids["booking_id"] for e in report.resent] == ["BK-2025-0000", "BK-2025-0002"]
    remaining = DeadLetterFile(path).read()
    assert [(e.ids["booking_id"], e.replays, e.status) for e in remaining] == [
        ("BK-2025-0001", 1, 503)]
    assert not report.ok and report.to_dict()["remaining"][0]["status"] == 503
    report = emitter.replay(path)
    assert report.ok and not path.exists()


def test_replay_refuses_entries_the_contract_no_longer_allows(
        contract: Contract, server: ScriptedPusherServer, tmp_path: Path) -> None:
    """An entry with an unknown event or an invalid payload is kept with the reason."""
    path = tmp_path / "dead.jsonl"
    path.write_text(json.dumps({"event": "booking_updated", "channels": ["hotel-x"],
                                "data": json.dumps(UPDATED), "error": "x"}) + "\n"
                    + json.dumps({"event": "gone", "channels": ["hotel-x"], "data": "{}",
                                  "error": "x"}) + "\n")
    report = make(contract, server, tmp_path).replay(path)
    assert [e.error.split(":")[0] for e in report.remaining] == ["refused", "refused"]
    assert server.requests == [] and len(DeadLetterFile(path).read()) == 2


def test_retry_policy_bounds() -> None:
    """Backoff grows exponentially, is capped, and a bad policy is refused."""
    policy = RetryPolicy(base_delay=0.1, max_delay=0.3)
    assert all(0 <= policy.delay(n) <= min(0.3, 0.1 * 2 ** (n - 1)) for n in range(1, 8)
               for _ in range(20))
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)


def test_redaction() -> None:
    """Secrets, bearer tokens, signatures and URL passwords never survive redaction."""
    text = ("POST http://key:topsecret@api.test/apps/1?auth_signature=abcdef0123 "
            "Authorization: Bearer guest-token-xyz secret=hunter22 password: 'pw1234'")
    clean = redact_text(text, ["topsecret"])
    for leaked in ("topsecret", "abcdef0123", "guest-token-xyz", "hunter22", "pw1234"):
        assert leaked not in clean
    assert "auth_signature=***" in clean and "Bearer ***" in clean
    data = redact({"PUSHER_SECRET": "x1", "nested": [{"token": "t"}, {"note": "my s3cret!"}],
                   "booking_id": "BK-2025-0002"}, ["s3cret"])
    assert data == {"PUSHER_SECRET": "***", "nested": [{"token": "***"}, {"note": "my ***!"}],
                    "booking_id": "BK-2025-0002"}


def test_settings_from_env() -> None:
    """PUSHER_URL (with a port) and the PUSHER_* variables both configure the client."""
    url = pusher_settings({"PUSHER_URL": "http://k:sec@127.0.0.1:6001/apps/42"})
    assert url == {"app_id": "42", "key": "k", "secret": "sec", "host": "127.0.0.1",
                   "port": 6001, "ssl": False}
    env = pusher_settings({"PUSHER_APP_ID": "42", "PUSHER_KEY": "k", "PUSHER_SECRET": "s",
                           "PUSHER_CLUSTER": "eu"})
    assert env["cluster"] == "eu" and env["ssl"] is True and env["host"] is None
    local = pusher_settings({"PUSHER_APP_ID": "42", "PUSHER_KEY": "k", "PUSHER_SECRET": "s",
                             "PUSHER_HOST": "127.0.0.1", "PUSHER_PORT": "6001"})
    assert local["ssl"] is False and local["port"] == 6001
    with pytest.raises(ConfigError, match="PUSHER_SECRET") as info:
        pusher_settings({"PUSHER_APP_ID": "42", "PUSHER_KEY": "k"})
    with pytest.raises(ConfigError) as info:
        pusher_settings({"PUSHER_URL": "http://k:verysecret@host/nope"})
    assert "verysecret" not in str(info.value)


class _HtmlPage(BaseHTTPRequestHandler):
    """Answers every request 200 with an HTML page, as a misrouted proxy would."""

    def do_POST(self) -> None:
        """Answer with HTML."""
        body = b"<html><body>Welcome to nginx!</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Stay quiet."""


def test_a_200_that_is_not_json_is_a_failure_not_an_exception(contract: Contract,
                                                               tmp_path: Path) -> None:
    """A proxy page answering 200 with HTML is dead-lettered with a reason; nothing raises."""
    with ServerThread(ThreadingHTTPServer(("127.0.0.1", 0), _HtmlPage)) as page:
        transport = PusherTransport.create("4242", "app-key", SECRET, host="127.0.0.1",
                                           port=page.port, ssl=False, timeout=2.0)
        emitter = Emitter(contract, transport, retry=FAST, dead_letter=tmp_path / "dead.jsonl")
        result = emitter.emit("booking_updated", UPDATED, hotel_slug="hotel-paradise")
    assert result.outcome is Outcome.FAILED and result.attempts == 1
    assert "not JSON" in (result.error or "")
    assert [e.event for e in DeadLetterFile(tmp_path / "dead.jsonl").read()] == ["booking_updated"]
