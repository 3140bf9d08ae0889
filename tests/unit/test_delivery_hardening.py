"""Issue 15 (1, 2, 11): an unwritable dead letter, replays that strand nothing, a slow server."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotelmate_rt.contracts import Contract, load_contract
from hotelmate_rt.emitters import (
    CircuitBreaker,
    DeadEvent,
    DeadLetterFile,
    Emitter,
    Outcome,
    PusherTransport,
    RetryPolicy,
)
from hotelmate_rt.errors import TransportError
from hotelmate_rt.testing.scripted_server import ScriptedPusherServer
from tests.helpers import AT, FAST

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cr3t-app-secret"


def updated(booking: str = "BK-2025-0002") -> dict[str, str]:
    """A valid booking_updated payload."""
    return {"booking_id": booking, "updated_at": AT}


@pytest.fixture(scope="module")
def contract() -> Contract:
    """The repository's contract."""
    return load_contract(ROOT / "channels.yaml")


@pytest.fixture
def server() -> Iterator[ScriptedPusherServer]:
    """A scripted Pusher HTTP API on a free port."""
    with ScriptedPusherServer() as running:
        yield running


def transport(server: ScriptedPusherServer, timeout: float = 2.0) -> PusherTransport:
    """The real pusher SDK transport pointed at the scripted server."""
    return PusherTransport.create("4242", "app-key", SECRET, timeout=timeout,
                                  **server.pusher_kwargs())


def entry(booking: str) -> dict[str, object]:
    """One dead-letter line for booking_updated."""
    return {"event": "booking_updated", "channels": [f"private-booking-{booking}"],
            "data": json.dumps(updated(booking)), "error": "HTTP 503", "ids": {"booking_id": booking}}


# -- (1) the dead letter cannot be written --------------------------------------------------

@pytest.mark.parametrize("where", ["dev-full", "under-a-file"])
def test_unwritable_dead_letter_never_raises_and_keeps_the_event(
        contract: Contract, server: ScriptedPusherServer, tmp_path: Path, where: str,
        caplog: pytest.LogCaptureFixture) -> None:
    """Disk full or a path under a file: emit/emit_many log first, keep events in memory, count them."""
    if where == "dev-full" and not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    path = Path("/dev/full") if where == "dev-full" else blocker / "dead.jsonl"
    caplog.set_level(logging.INFO, logger="hotelmate_rt.emit")
    server.script = [500] * 12
    emitter = Emitter(contract, transport(server), retry=RetryPolicy(attempts=1), dead_letter=path,
                      breaker=False)
    single = emitter.emit("booking_updated", updated(), hotel_slug="hotel-paradise")
    many = emitter.emit_many([("booking_updated", updated(f"BK-2025-000{i}"),
                               {"hotel_slug": "hotel-paradise"}) for i in range(3)])
    assert single.outcome is Outcome.FAILED and single.dead_letter is None
    assert all(r.outcome is Outcome.FAILED and r.dead_letter is None for r in many)
    assert [e.ids["booking_id"] for e in emitter.keeper.unwritten] == [
        "BK-2025-0002", "BK-2025-0000", "BK-2025-0001", "BK-2025-0002"]
    levels = [r.levelno for r in caplog.records if r.name == "hotelmate_rt.emit"]
    assert levels[:2] == [logging.ERROR, logging.CRITICAL]
    assert levels.count(logging.CRITICAL) == 4
    assert "cannot be written" in caplog.text and SECRET not in caplog.text
    writable = DeadLetterFile(tmp_path / "dead.jsonl")
    emitter.keeper.dead_letter = writable
    emitter.emit("booking_updated", updated("BK-2025-0009"), hotel_slug="hotel-paradise")
    assert len(writable.read()) == 5 and not emitter.keeper.unwritten


def test_memory_fallback_is_bounded_and_counts_what_it_drops(tmp_path: Path) -> None:
    """Beyond its limit the keeper drops the oldest entry and counts it as lost."""
    from hotelmate_rt.emitters.deadletter import DeadLetterKeeper

    keeper = DeadLetterKeeper(DeadLetterFile(Path("/dev/full") if os.path.exists("/dev/full")
                                             else tmp_path), limit=2)
    for i in range(3):
        assert keeper.keep(DeadEvent("booking_updated", ["c"], "{}", "x", ids={"n": str(i)})) is None
    assert [e.ids["n"] for e in keeper.unwritten] == ["1", "2"] and keeper.lost == 1


# -- (2) replay strands nothing -------------------------------------------------------------

def test_replay_resends_valid_entries_and_sets_bad_lines_aside(
        contract: Contract, server: ScriptedPusherServer, tmp_path: Path) -> None:
    """A malformed line no longer stops the replay: the others are resent, it goes to .rejected."""
    path = tmp_path / "dead.jsonl"
    path.write_text(json.dumps(entry("BK-2025-0001")) + "\n{not json\n"
                    + json.dumps({"event": "booking_updated"}) + "\n"
                    + json.dumps(entry("BK-2025-0003")) + "\n")
    report = Emitter(contract, transport(server), retry=FAST, dead_letter=False).replay(path)
    assert [e.ids["booking_id"] for e in report.resent] == ["BK-2025-0001", "BK-2025-0003"]
    assert [(b.line, b.text) for b in report.rejected] == [(2, "{not json"),
                                                           (3, '{"event": "booking_updated"}')]
    assert not report.ok and len(server.requests) == 2
    assert not path.exists() and not DeadLetterFile(path).claims()
    kept = [json.loads(line) for line in (tmp_path / "dead.jsonl.rejected").read_text().splitlines()]
    assert [k["text"] for k in kept] == ["{not json", '{"event": "booking_updated"}']


def test_a_stranded_claim_is_seen_by_scan_and_picked_up_by_the_next_replay(
        contract: Contract, server: ScriptedPusherServer, tmp_path: Path) -> None:
    """FILE.replaying-PID of a dead process counts as dead letter and is resent by the next replay."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    path = tmp_path / "dead.jsonl"
    claim = tmp_path / f"dead.jsonl.replaying-{gone.pid}"
    claim.write_text(json.dumps(entry("BK-2025-0001")) + "\n")
    path.write_text(json.dumps(entry("BK-2025-0002")) + "\n")
    dead = DeadLetterFile(path)
    assert dead.stranded() == [claim]
    assert sorted(e.ids["booking_id"] for e in dead.scan().entries) == ["BK-2025-0001",
                                                                       "BK-2025-0002"]
    report = Emitter(contract, transport(server), retry=FAST, dead_letter=False).replay(path)
    assert report.ok and report.recovered == [str(claim)]
    assert sorted(e.ids["booking_id"] for e in report.resent) == ["BK-2025-0001", "BK-2025-0002"]
    assert not dead.exists()


def test_a_replay_killed_midway_loses_nothing(contract: Contract, server: ScriptedPusherServer,
                                              tmp_path: Path) -> None:
    """SIGKILL during a replay leaves its claim; the next replay resends every entry."""
    path = tmp_path / "dead.jsonl"
    path.write_text("".join(json.dumps(entry(f"BK-2025-000{i}")) + "\n" for i in range(5)))
    server.script = [("sleep", 30.0)]
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        from hotelmate_rt.contracts import load_contract
        from hotelmate_rt.emitters import Emitter, PusherTransport, RetryPolicy
        t = PusherTransport.create("4242", "app-key", "{SECRET}", timeout=60, host="127.0.0.1",
                                   port={server.port}, ssl=False)
        Emitter(load_contract({str(ROOT / 'channels.yaml')!r}), t, dead_letter=False,
                retry=RetryPolicy(attempts=1, deadline=60)).replay({str(path)!r})
        """)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 20
        while not server.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        claims = DeadLetterFile(path).claims()
        assert claims and not path.exists()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    server.script = []
    report = Emitter(contract, transport(server), retry=FAST, dead_letter=False).replay(path)
    assert report.ok and report.recovered == [str(claims[0])]
    assert sorted(e.ids["booking_id"] for e in report.resent) == [f"BK-2025-000{i}" for i in range(5)]
    assert not DeadLetterFile(path).exists()


def test_replay_cli_accepts_a_file_that_only_survives_as_a_stranded_claim(
        server: ScriptedPusherServer, tmp_path: Path) -> None:
    """`hotelmate-rt replay FILE` resends a stranded claim instead of saying it does not exist."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    path = tmp_path / "dead.jsonl"
    (tmp_path / f"dead.jsonl.replaying-{gone.pid}").write_text(json.dumps(entry("BK-2025-0001")) + "\n")
    env = {**os.environ, "PUSHER_URL": f"http://app-key:{SECRET}@127.0.0.1:{server.port}/apps/4242"}
    done = subprocess.run([sys.executable, "-m", "hotelmate_rt.cli.app", "replay", str(path),
                           "--json", "--contract", str(ROOT / "channels.yaml")],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert len(report["resent"]) == 1 and report["recovered"] and len(server.requests) == 1


# -- (11) a slow server never holds the caller past the budget ------------------------------

def test_a_slow_server_never_holds_emit_past_the_budget(
        contract: Contract, server: ScriptedPusherServer, tmp_path: Path) -> None:
    """Each attempt is cut to what is left of the 1 s budget (it took 1.6 s before: 2 x 0.8 s)."""
    server.script = [("sleep", 3.0)] * 3
    emitter = Emitter(contract, transport(server, timeout=0.8), breaker=False,
                      retry=RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.005,
                                        deadline=1.0), dead_letter=tmp_path / "dead.jsonl")
    started = time.monotonic()
    result = emitter.emit("booking_updated", updated(), hotel_slug="hotel-paradise")
    elapsed = time.monotonic() - started
    assert result.outcome is Outcome.FAILED and result.attempts == 2
    assert elapsed < 1.4, f"emit waited {elapsed:.2f} s for a 1 s budget"
    assert [e.event for e in DeadLetterFile(tmp_path / "dead.jsonl").read()] == ["booking_updated"]


def test_a_batched_emit_shares_one_budget(contract: Contract, server: ScriptedPusherServer,
                                          tmp_path: Path) -> None:
    """Three batches on one lane against a stalled server: one budget for all, not one each."""
    server.script = [("sleep", 3.0)] * 6
    emitter = Emitter(contract, transport(server, timeout=0.6), breaker=False, lanes=1,
                      retry=RetryPolicy(attempts=1, deadline=1.0),
                      dead_letter=tmp_path / "dead.jsonl")
    items = [("booking_updated", updated(f"BK-2025-{i:04d}"), {"hotel_slug": "hotel-paradise"})
             for i in range(12)]
    started = time.monotonic()
    results = emitter.emit_many(items)
    assert time.monotonic() - started < 1.4
    assert all(r.outcome is Outcome.FAILED for r in results)
    assert len(DeadLetterFile(tmp_path / "dead.jsonl").read()) == 12


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        """Start at zero."""
        self.now = 0.0

    def __call__(self) -> float:
        """The current time."""
        return self.now


def test_after_repeated_failures_the_breaker_sends_straight_to_the_dead_letter(
        contract: Contract, server: ScriptedPusherServer, tmp_path: Path) -> None:
    """Two failed sends open the breaker: the third makes no request; after the cool-down one probes."""
    clock = FakeClock()
    breaker = CircuitBreaker(threshold=2, cooldown=30.0, clock=clock)
    server.script = [503, 503]
    emitter = Emitter(contract, transport(server), retry=RetryPolicy(attempts=1),
                      dead_letter=tmp_path / "dead.jsonl", breaker=breaker)
    outcomes = [emitter.emit("booking_updated", updated(), hotel_slug="hotel-paradise")
                for _ in range(3)]
    assert [r.outcome for r in outcomes] == [Outcome.FAILED] * 3
    assert len(server.requests) == 2 and outcomes[2].attempts == 0
    assert "circuit open" in (outcomes[2].error or "") and breaker.state == "open"
    assert len(DeadLetterFile(tmp_path / "dead.jsonl").read()) == 3
    clock.now = 31.0
    probe = emitter.emit("booking_updated", updated(), hotel_slug="hotel-paradise")
    assert probe.outcome is Outcome.SENT and len(server.requests) == 3
    assert breaker.state == "closed"


def test_breaker_counts_only_unavailability() -> None:
    """A 4xx proves the server is up (closes it); a failed half-open probe opens it again."""
    clock = FakeClock()
    breaker = CircuitBreaker(threshold=2, cooldown=5.0, clock=clock)
    down = TransportError("timed out", None, True)
    breaker.record(down)
    breaker.record(TransportError("HTTP 400", 400, False))
    breaker.record(down)
    assert breaker.state == "closed" and breaker.allow()
    breaker.record(down)
    assert breaker.state == "open" and not breaker.allow()
    clock.now = 6.0
    assert breaker.allow() and not breaker.allow()
    breaker.record(down)
    assert breaker.state == "open"


def test_triage_counts_a_stranded_claim_as_undelivered(tmp_path: Path) -> None:
    """Triage reads FILE.replaying-PID too: it no longer says "nothing has failed to send"."""
    from hotelmate_rt.oncall import TriageOptions, run_triage

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    path = tmp_path / "dead.jsonl"
    (tmp_path / f"dead.jsonl.replaying-{gone.pid}").write_text(json.dumps(entry("BK-2025-0002")) + "\n")
    report = run_triage(TriageOptions(booking_id="BK-2025-0002", contract=ROOT / "channels.yaml",
                                      env={}, dead_letter=path))
    check = report.get("sent.dead-letter")
    assert check is not None and check.status.value == "fail" and check.code == "dead-lettered"
    assert "1 event(s) for this booking were never delivered" in check.summary


def test_outbox_true_without_django_is_a_configuration_error() -> None:
    """Emitter(outbox=True) in a process without Django says what to configure (no traceback)."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        from hotelmate_rt.contracts import load_contract
        from hotelmate_rt.emitters import Emitter, RecordingTransport
        from hotelmate_rt.errors import ConfigError
        contract = load_contract({str(ROOT / 'channels.yaml')!r})
        assert Emitter(contract, RecordingTransport()).outbox is None
        try:
            Emitter(contract, RecordingTransport(), outbox=True)
        except ConfigError as exc:
            print(exc)
        """)], capture_output=True, text=True, timeout=60,
        env={**os.environ, "HOTELMATE_RT_OUTBOX": "1", "DJANGO_SETTINGS_MODULE": ""})
    assert done.returncode == 0, done.stderr
    assert "needs Django configured" in done.stdout


def test_triage_finds_a_stranded_claim_of_the_default_dead_letter(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --dead-letter, a claim left next to the default file is still read by triage."""
    from hotelmate_rt.emitters import default_dead_letter_path
    from hotelmate_rt.oncall import TriageOptions, run_triage

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HOTELMATE_RT_DEAD_LETTER", raising=False)
    (tmp_path / f"{default_dead_letter_path().name}.replaying-{gone.pid}").write_text(
        json.dumps(entry("BK-2025-0002")) + "\n")
    report = run_triage(TriageOptions(booking_id="BK-2025-0002", contract=ROOT / "channels.yaml",
                                      env={}))
    check = report.get("sent.dead-letter")
    assert check is not None and check.status.value == "fail" and check.code == "dead-lettered"


def test_the_backends_settings_module_is_found_in_the_current_directory(tmp_path: Path) -> None:
    """`triage --database` run in the backend's directory imports DJANGO_SETTINGS_MODULE from it,
    as `python manage.py` would (it said "Django settings do not load (ModuleNotFoundError)")."""
    (tmp_path / "mysite").mkdir()
    (tmp_path / "mysite" / "__init__.py").write_text("")
    (tmp_path / "mysite" / "settings.py").write_text(
        "SECRET_KEY = 'x'\nINSTALLED_APPS = ['hotelmate_rt.django']\nUSE_TZ = True\n"
        "DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', "
        f"'NAME': {str(tmp_path / 'db.sqlite3')!r}}}}}\n")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PUSHER_", "HOTELMATE_RT_", "DJANGO_", "PYTHONPATH"))}
    script = Path(sys.executable).parent / "hotelmate-rt"  # not `python -m`: no cwd on its path
    done = subprocess.run([str(script), "triage", "booking", "BK-2025-0002", "--database",
                           "default", "--json", "--contract", str(ROOT / "channels.yaml")],
                          capture_output=True, text=True,
                          env={**env, "DJANGO_SETTINGS_MODULE": "mysite.settings"}, cwd=tmp_path,
                          timeout=60)
    outbox = next(c for c in json.loads(done.stdout)["checks"] if c["id"] == "sent.outbox")
    assert outbox["status"] == "skip"
    assert f"the backend's SQLite database {tmp_path / 'db.sqlite3'} does not exist here" in \
        outbox["summary"], outbox


def test_triage_without_the_apps_database_skips_its_checks_and_says_why(tmp_path: Path) -> None:
    """`triage --database default` with no DJANGO_SETTINGS_MODULE: both checks skip with the fix;
    the exit code is the other checks' (0 here), or 2 naming the cause when nothing else ran."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PUSHER_", "HOTELMATE_RT_", "DJANGO_"))}
    dead = tmp_path / "dead.jsonl"
    dead.write_text("")

    def triage(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "hotelmate_rt.cli.app", "triage", "booking",
                               "BK-2025-0002", "--database", "default", "--json", "--contract",
                               str(ROOT / "channels.yaml"), *extra],
                              capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)

    done = triage("--dead-letter", str(dead))  # one check that can run: the dead letter
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    checks = {c["id"]: c for c in report["checks"]}
    assert checks["sent.dead-letter"]["status"] == "pass"
    for check_id in ("booking.history", "sent.outbox"):
        assert checks[check_id]["status"] == "skip"
        assert "DJANGO_SETTINGS_MODULE" in checks[check_id]["summary"]
    alone = triage()  # nothing else to check: exit 2, the sentence names the database's cause
    assert alone.returncode == 2, alone.stderr
    could_not_run = json.loads(alone.stdout)["could_not_run"]
    assert could_not_run.startswith("nothing could be checked for BK-2025-0002 (--database "
                                    "default: set DJANGO_SETTINGS_MODULE")
