"""Crash tests on PostgreSQL and soketi: a web process SIGKILLed after its commits loses nothing.

A child process (tests/django_project/crash_child.py) commits 1,000 events through the outbox
and is killed with SIGKILL between its last commit and that commit's HTTP call; a relay started
afterwards (`python -m django hotelmate_rt_relay`, a real worker process) delivers the rest to a
subscriber on soketi. Counted: sent, received, dead. Also with soketi down for 10 s in the
middle, and two relays against a slow server: no row is ever sent by both.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from hotelmate_rt.auth import ChannelAuthorizer, Principal
from hotelmate_rt.contracts import Contract, load_contract
from hotelmate_rt.testing.http import ServerThread
from hotelmate_rt.testing.postgres import (
    PostgresServer,
    django_database,
    postgres,  # noqa: F401  (the session fixture)
)
from hotelmate_rt.testing.soketi import SoketiServer
from hotelmate_rt.testing.ws_subscriber import Subscriber
from tests.django_project.outbox_support import dedup_contract, setup_django, updated

ROOT = Path(__file__).resolve().parents[2]
COUNT, PER_TRANSACTION = 1000, 100
HOTELS = [f"hotel-{i}" for i in range(5)]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pg(postgres: PostgresServer) -> Iterator[str]:  # noqa: F811
    """The session's PostgreSQL as database alias `postgres`, migrated."""
    from django.core.management import call_command

    setup_django(migrate=False)  # the default (SQLite) database is not used here
    with django_database(postgres) as alias:
        call_command("migrate", "hotelmate_rt", database=alias, verbosity=0)
        yield alias


@pytest.fixture(autouse=True)
def empty(pg: str) -> None:
    """Every test starts with an empty outbox."""
    from hotelmate_rt.django.models import OutboxEvent

    OutboxEvent.objects.using(pg).all().delete()


@pytest.fixture(scope="module")
def contract_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The contract with booking_updated declaring delivery_id."""
    return dedup_contract(tmp_path_factory.mktemp("contract"))


def env(postgres: PostgresServer, pusher_port: int, key: str, secret: str,  # noqa: F811
        app_id: str) -> dict[str, str]:
    """The environment of a child: the test project on PostgreSQL, Pusher at soketi."""
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.django_project.settings",
            "HOTELMATE_RT_TEST_DB_URL": postgres.url,
            "PUSHER_URL": f"http://{key}:{secret}@127.0.0.1:{pusher_port}/apps/{app_id}"}


def counts(alias: str) -> dict[str, int]:
    """Outbox rows per status."""
    from django.db.models import Count

    from hotelmate_rt.django.models import OutboxEvent

    found = dict(OutboxEvent.objects.using(alias).values_list("status")
                 .annotate(n=Count("id")).values_list("status", "n"))
    return {s: found.get(s, 0) for s in ("pending", "sent", "dead")}


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Wait (bounded) for a condition."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:g} s")
        time.sleep(0.1)


class Child:
    """The crash child process and its output lines."""

    def __init__(self, contract: Path, environ: dict[str, str], pause_after: int = -1) -> None:
        """Start it (its log goes to a temporary file, so a full pipe never blocks it)."""
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed in kill())
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.django_project.crash_child", str(contract), str(COUNT),
             str(PER_TRANSACTION), str(pause_after)], cwd=ROOT, env=environ, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log)

    def read_until(self, line: str, timeout: float = 120.0) -> None:
        """Read stdout until `line` (bounded by a timer that kills the child)."""
        timer = threading.Timer(timeout, self.proc.kill)
        timer.start()
        try:
            assert self.proc.stdout is not None
            for got in self.proc.stdout:
                if got.strip() == line:
                    return
        finally:
            timer.cancel()
        self.log.seek(0)
        raise AssertionError(f"child ended before {line!r}: {self.log.read()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL, as an OOM killer or a deploy would."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.log.close()


class RelayProcess:
    """The relay worker (the real management command) in its own process, output in files."""

    def __init__(self, environ: dict[str, str], *extra: str) -> None:
        """Start it with short backoffs (a test waits for it)."""
        self.out = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed in stop())
        self.err = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "django", "hotelmate_rt_relay", "--idle", "0.1", "--backoff",
             "0.5", "--max-backoff", "2", *extra], cwd=ROOT, env=environ, text=True,
            stdout=self.out, stderr=self.err)

    def signal(self, sig: int) -> None:
        """Send a signal (SIGSTOP / SIGCONT)."""
        self.proc.send_signal(sig)

    def stop(self) -> str:
        """SIGTERM (it finishes its pass); it must exit 0; return its output."""
        self.proc.send_signal(signal.SIGCONT)
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        out, err = (_read(f) for f in (self.out, self.err))
        assert self.proc.returncode == 0, err[-2000:]
        return out


def _read(handle: Any) -> str:
    """Read a temporary output file from the start, and close it."""
    handle.seek(0)
    text = str(handle.read())
    handle.close()
    return text


def staff_subscriber(soketi: SoketiServer, contract: Contract) -> Subscriber:
    """A subscriber on the five hotels' staff channels (every event goes to one of them)."""
    authorizer = ChannelAuthorizer(contract, soketi.key, soketi.secret)
    client = Subscriber(soketi.ws_url, timeout=20)
    for hotel in HOTELS:
        channel = f"private-hotel-{hotel}-staff"
        frame = client.subscribe(channel, authorizer.authorize(
            Principal.staff(hotel, user_id=1), channel, client.socket_id))
        assert frame.event == "pusher_internal:subscription_succeeded"
    return client


def received(*clients: Subscriber) -> list[tuple[str, int, str]]:
    """(channel, seq, delivery_id) of every booking_updated the subscribers got."""
    return [(f.channel or "", int(f.data["changed_fields"][0].split("-")[1]), f.data["delivery_id"])
            for client in clients for f in client.events() if f.event == "booking_updated"]


def check_delivery(alias: str, got: list[tuple[str, int, str]], relay_share: int) -> dict[str, int]:
    """Every event arrived (by delivery id), in order per channel; nothing pending or dead."""
    from hotelmate_rt.django.models import OutboxEvent

    ids = dict(OutboxEvent.objects.using(alias).values_list("delivery_id", "id"))
    unique = {d for _, _, d in got}
    assert unique == set(ids) and len(unique) == COUNT
    first_seen: dict[str, list[int]] = {}
    seen: set[str] = set()
    for channel, seq, delivery in got:
        if delivery not in seen:
            seen.add(delivery)
            first_seen.setdefault(channel, []).append(seq)
    for channel, seqs in first_seen.items():
        assert seqs == sorted(seqs), f"{channel} out of order"
    status = counts(alias)
    assert status == {"pending": 0, "sent": COUNT, "dead": 0}
    tally = {"sent": status["sent"], "received": len(unique), "dead": status["dead"],
             "duplicates": len(got) - len(unique), "left_to_relay": relay_share}
    print(f"\ncrash test counts: {json.dumps(tally)}")
    return tally


def test_a_web_process_killed_after_its_commits_loses_nothing(
        pg: str, postgres: PostgresServer, soketi: SoketiServer,  # noqa: F811
        contract_path: Path) -> None:
    """1,000 events committed, SIGKILL before the last fast path: the relay delivers the rest."""
    contract = load_contract(contract_path)
    environ = env(postgres, soketi.port, soketi.key, soketi.secret, soketi.app_id)
    with staff_subscriber(soketi, contract) as probe:
        child = Child(contract_path, environ)
        try:
            child.read_until("committed-all")
        finally:
            child.kill()
        before = counts(pg)
        assert before["pending"] >= PER_TRANSACTION and sum(before.values()) == COUNT
        relay = RelayProcess(environ)
        try:
            wait_for(lambda: counts(pg)["pending"] == 0, 60, "the relay delivering the outbox")
        finally:
            output = relay.stop()
        wait_for(lambda: len({d for _, _, d in received(probe)}) >= COUNT, 30,
                 "the subscriber receiving every event")
        tally = check_delivery(pg, received(probe), before["pending"])
    relay_sent = sum(int(line.split()[1].rstrip(",")) for line in output.splitlines()
                     if line.startswith("sent "))
    assert relay_sent == tally["left_to_relay"]  # the relay sent exactly what the crash left


def test_with_soketi_down_for_ten_seconds_everything_arrives_after_it_returns(
        pg: str, postgres: PostgresServer, fresh_soketi: SoketiServer,  # noqa: F811
        contract_path: Path) -> None:
    """soketi dies after 400 events; the rest waits in the outbox and arrives once it is back."""
    contract = load_contract(contract_path)
    soketi = fresh_soketi
    environ = env(postgres, soketi.port, soketi.key, soketi.secret, soketi.app_id)
    before_outage = staff_subscriber(soketi, contract)
    child = Child(contract_path, environ, pause_after=3)
    relay: RelayProcess | None = None
    try:
        child.read_until("paused")
        soketi.kill()
        down_at = time.monotonic()
        assert child.proc.stdin is not None
        child.proc.stdin.write("go\n")
        child.proc.stdin.flush()
        child.read_until("committed-all")
        child.kill()
        left = counts(pg)["pending"]
        assert left == COUNT - 4 * PER_TRANSACTION
        relay = RelayProcess(environ)
        time.sleep(max(0.0, 10 - (time.monotonic() - down_at)))
        tries = _attempts(pg)
        assert tries > 0 and counts(pg)["pending"] == left  # it tried; it kept everything
        relay.signal(signal.SIGSTOP)  # hold it while soketi and the subscriber come back
        soketi.start()
        after_outage = staff_subscriber(soketi, contract)
        relay.signal(signal.SIGCONT)
        wait_for(lambda: counts(pg)["pending"] == 0, 60, "the relay catching up")
        wait_for(lambda: len({d for _, _, d in received(before_outage, after_outage)}) >= COUNT,
                 30, "every event received")
        check_delivery(pg, received(before_outage, after_outage), left)
        after_outage.close()
    finally:
        before_outage.close()
        if child.proc.poll() is None:
            child.kill()
        if relay is not None:
            relay.stop()


def _attempts(alias: str) -> int:
    """Total tries recorded on pending rows."""
    from django.db.models import Sum

    from hotelmate_rt.django.models import OutboxEvent

    return int(OutboxEvent.objects.using(alias).filter(status="pending")
               .aggregate(n=Sum("attempts"))["n"] or 0)


class SlowPusher(BaseHTTPRequestHandler):
    """A Pusher HTTP API that takes 0.3 s per request and records who sent what, when."""

    seen: list[tuple[int, float, float, list[str]]] = []
    lock = threading.Lock()

    def do_POST(self) -> None:
        """Record the batch, wait, answer {}."""
        start = time.monotonic()
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        batch = json.loads(raw)["batch"]
        time.sleep(0.3)
        with self.lock:
            self.seen.append((self.client_address[1], start, time.monotonic(),
                              [e["data"] for e in batch]))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        """Stay quiet."""


def test_two_relays_on_postgres_never_send_the_same_row(pg: str, postgres: PostgresServer,  # noqa: F811
                                                        contract_path: Path) -> None:
    """Two relay processes share 200 rows against a slow server: each row is sent exactly once."""
    from django.db import transaction

    from hotelmate_rt.django.outbox import DjangoOutbox
    from hotelmate_rt.emitters import Emitter, RecordingTransport
    from hotelmate_rt.emitters.outbox import new_delivery_id

    emitter = Emitter(load_contract(contract_path), RecordingTransport(), outbox=False)
    with transaction.atomic(using=pg):
        DjangoOutbox(using=pg, grace=0).add([
            (emitter.prepare("booking_updated", updated(f"BK-2025-{i:04d}", f"row-{i}"),
                             hotel_slug=f"hotel-{i % 20}"), new_delivery_id())
            for i in range(200)])
    SlowPusher.seen = []
    with ServerThread(ThreadingHTTPServer(("127.0.0.1", 0), SlowPusher)) as slow:
        environ = env(postgres, slow.port, "k", "s", "4242")
        relays = [RelayProcess(environ, "--batch-size", "10") for _ in range(2)]
        try:
            wait_for(lambda: counts(pg)["pending"] == 0, 120, "two relays emptying the outbox")
        finally:
            outputs = [relay.stop() for relay in relays]
    markers = [json.loads(data)["changed_fields"][0] for _, _, _, batch in SlowPusher.seen
               for data in batch]
    assert sorted(markers) == sorted([f"row-{i}" for i in range(200)] * 2)  # its 2 channels, once
    shares = [sum(int(line.split()[1].rstrip(",")) for line in out.splitlines()
                  if line.startswith("sent ")) for out in outputs]
    assert sum(shares) == 200 and min(shares) > 0, f"each relay's share: {shares}"
    assert counts(pg) == {"pending": 0, "sent": 200, "dead": 0}


def test_a_rollback_on_postgres_writes_no_row(pg: str, contract_path: Path) -> None:
    """On PostgreSQL too, a rolled-back transaction leaves no outbox row and sends nothing."""
    from django.db import transaction

    from hotelmate_rt.emitters import Emitter, RecordingTransport

    transport = RecordingTransport()
    emitter = Emitter(load_contract(contract_path), transport, outbox=True, using=pg)
    with pytest.raises(RuntimeError), transaction.atomic(using=pg):
        emitter.emit("booking_updated", updated("BK-2025-0002", "rolled-back"),
                     hotel_slug="hotel-paradise")
        assert counts(pg)["pending"] == 1
        raise RuntimeError("business failure")
    assert counts(pg) == {"pending": 0, "sent": 0, "dead": 0} and transport.calls == []


def test_rows_keep_every_character_in_both_insert_shapes_and_are_marked(
        pg: str, contract_path: Path) -> None:
    """One event (VALUES) and a batch (one JSON parameter) store payloads byte for byte."""
    from django.db import transaction

    from hotelmate_rt.django.models import OutboxEvent
    from hotelmate_rt.django.outbox import DjangoOutbox
    from hotelmate_rt.emitters import Emitter, RecordingTransport

    tricky = ['quote " back\\slash', "é ü 中文 🙂", "new\nline\ttab", "'; DROP TABLE x; --",
              "\u2028", "nul \u0000 byte"]
    outbox, transport = DjangoOutbox(using=pg), RecordingTransport()
    emitter = Emitter(load_contract(contract_path), transport, outbox=outbox, using=pg)
    with transaction.atomic(using=pg):
        one = emitter.emit("booking_updated", updated("BK-2025-0002", tricky[0]),
                           hotel_slug="hotel-paradise")
    with transaction.atomic(using=pg):
        many = emitter.emit_many([("booking_updated", updated(f"BK-2025-000{i}", marker),
                                   {"hotel_slug": "hotel-paradise"})
                                  for i, marker in enumerate(tricky)])
    assert outbox.flush()
    rows = {r.id: r for r in OutboxEvent.objects.using(pg).all()}
    sent = {event.data for event in transport.events}
    assert len(rows) == 1 + len(tricky) and {r.data for r in rows.values()} == sent
    for result in [one, *many]:
        row = rows[result.outbox_id]
        assert (row.delivery_id, row.status, row.attempts) == (result.delivery_id, "sent", 1)
        assert row.channels == list(result.channels) and row.ids["booking_id"] == row.booking_id


def test_a_burst_of_marks_is_written_in_a_few_updates(pg: str, contract_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """200 emit() calls in one transaction: every row marked sent, in far fewer than 200 UPDATEs."""
    from django.db import transaction

    from hotelmate_rt.django import outbox as module
    from hotelmate_rt.emitters import Emitter, RecordingTransport

    batches: list[int] = []
    real = module.mark_sent

    def counted(using: str, ids: Any) -> None:
        """Count each mark batch, then write it."""
        batches.append(len(ids))
        real(using, ids)

    monkeypatch.setattr(module, "mark_sent", counted)
    outbox = module.DjangoOutbox(using=pg)
    emitter = Emitter(load_contract(contract_path), RecordingTransport(), outbox=outbox, using=pg)
    with transaction.atomic(using=pg):
        for i in range(200):
            emitter.emit("booking_updated", updated(f"BK-2025-{i:04d}", "burst"),
                         hotel_slug="hotel-paradise")
    assert outbox.flush()
    assert counts(pg) == {"pending": 0, "sent": 200, "dead": 0}
    assert sum(batches) == 200 and len(batches) <= 20, batches


def test_closing_the_emitter_writes_the_pending_sent_marks(pg: str, contract_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """`Emitter.close()` waits for the background marks, so a shutdown leaves no sent row
    pending (the relay would send it again)."""
    from django.db import transaction

    from hotelmate_rt.django import outbox as module
    from hotelmate_rt.emitters import Emitter, RecordingTransport

    real = module.mark_sent

    def slow(using: str, ids: Any) -> None:
        """Write the marks a little later than the emitter returns."""
        time.sleep(0.3)
        real(using, ids)

    monkeypatch.setattr(module, "mark_sent", slow)
    emitter = Emitter(load_contract(contract_path), RecordingTransport(), outbox=True, using=pg)
    with transaction.atomic(using=pg):
        for i in range(20):
            emitter.emit("booking_updated", updated(f"BK-2025-{i:04d}", "closing"),
                         hotel_slug="hotel-paradise")
    assert counts(pg)["pending"] > 0  # the marks are still being written
    emitter.close()
    assert counts(pg) == {"pending": 0, "sent": 20, "dead": 0}
