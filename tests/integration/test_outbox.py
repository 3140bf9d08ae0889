"""The outbox on real Django (SQLite) and real soketi: same transaction, fast path, relay, replay."""

from __future__ import annotations

import io
import os
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from hotelmate_rt.auth import ChannelAuthorizer, Principal
from hotelmate_rt.contracts import Contract, load_contract
from hotelmate_rt.emitters import Emitter, Outcome, PusherTransport, RetryPolicy
from hotelmate_rt.testing.scripted_server import ScriptedPusherServer
from hotelmate_rt.testing.soketi import SoketiServer
from hotelmate_rt.testing.ws_subscriber import Subscriber
from tests.django_project.outbox_support import dedup_contract, setup_django, updated, wipe

GUEST = Principal.guest("BK-2025-0002", "hotel-paradise", "101")
CHANNEL = "private-booking-BK-2025-0002"
FAST = RetryPolicy(attempts=2, base_delay=0.001, max_delay=0.005, deadline=5.0)


@pytest.fixture(scope="module")
def db() -> Iterator[None]:
    """The test project on SQLite with the hotelmate_rt tables."""
    setup_django()
    yield
    from django.conf import settings
    from django.db import connections

    wipe()
    connections.close_all()
    Path(settings.DATABASES["default"]["NAME"]).unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def clean(db: None) -> Iterator[None]:
    """Every test starts with empty tables."""
    wipe()
    yield


@pytest.fixture(scope="module")
def contract(tmp_path_factory: pytest.TempPathFactory) -> Contract:
    """The contract, with booking_updated declaring delivery_id."""
    return load_contract(dedup_contract(tmp_path_factory.mktemp("contract")))


def soketi_transport(soketi: SoketiServer, timeout: float = 3.0) -> PusherTransport:
    """A transport to the session's soketi."""
    return PusherTransport.create(soketi.app_id, soketi.key, soketi.secret, host=soketi.host,
                                  port=soketi.port, ssl=False, timeout=timeout)


@pytest.fixture
def guest(soketi: SoketiServer, contract: Contract) -> Iterator[Subscriber]:
    """A subscriber on the guest's booking channel."""
    authorizer = ChannelAuthorizer(contract, soketi.key, soketi.secret)
    with Subscriber(soketi.ws_url) as client:
        frame = client.subscribe(CHANNEL, authorizer.authorize(GUEST, CHANNEL, client.socket_id))
        assert frame.event == "pusher_internal:subscription_succeeded"
        yield client


def rows() -> list[tuple[str, str]]:
    """(event, status) of every outbox row, oldest first."""
    from hotelmate_rt.django.models import OutboxEvent

    return list(OutboxEvent.objects.order_by("id").values_list("event", "status"))


def test_the_row_is_written_in_the_transaction_and_sent_after_commit(
        contract: Contract, soketi: SoketiServer, guest: Subscriber) -> None:
    """Inside atomic() the row exists (pending) before the commit; after it, sent and delivered."""
    from django.db import transaction

    from hotelmate_rt.django.models import OutboxEvent

    with Emitter(contract, soketi_transport(soketi), outbox=True) as emitter:
        with transaction.atomic():
            result = emitter.emit("booking_updated", updated("BK-2025-0002", "one"),
                                  hotel_slug="hotel-paradise")
            assert result.outcome is Outcome.DEFERRED and rows() == [("booking_updated",
                                                                      "pending")]
        assert result.outcome is Outcome.SENT and rows() == [("booking_updated", "sent")]
    frame = guest.wait_for(lambda f: f.event == "booking_updated")
    row = OutboxEvent.objects.get()
    assert frame.data["delivery_id"] == row.delivery_id == result.delivery_id
    assert row.id == result.outbox_id and row.booking_id == "BK-2025-0002" and row.attempts == 1


def test_a_rollback_writes_no_row_and_sends_nothing(contract: Contract, soketi: SoketiServer,
                                                    guest: Subscriber) -> None:
    """A rolled-back transaction takes its outbox rows with it; a later event proves the pipe."""
    from django.db import transaction

    with Emitter(contract, soketi_transport(soketi), outbox=True) as emitter:
        with pytest.raises(RuntimeError), transaction.atomic():
            emitter.emit("booking_updated", updated("BK-2025-0002", "rolled-back"),
                         hotel_slug="hotel-paradise")
            raise RuntimeError("business failure")
        assert rows() == []
        emitter.emit("booking_updated", updated("BK-2025-0002", "after"),
                     hotel_slug="hotel-paradise")
    guest.wait_for(lambda f: f.event == "booking_updated")
    guest.settle(0.3)
    assert [f.data["changed_fields"] for f in guest.events()] == [["after"]]
    assert rows() == [("booking_updated", "sent")]


def test_without_a_declared_field_the_payload_is_untouched(soketi: SoketiServer,
                                                           guest: Subscriber) -> None:
    """The stock contract does not declare delivery_id: the row has one, the payload does not."""
    plain = load_contract(Path(__file__).resolve().parents[2] / "channels.yaml")
    with Emitter(plain, soketi_transport(soketi), outbox=True) as emitter:
        result = emitter.emit("booking_updated", updated("BK-2025-0002", "plain"),
                              hotel_slug="hotel-paradise")
    frame = guest.wait_for(lambda f: f.event == "booking_updated")
    assert "delivery_id" not in frame.data and result.delivery_id


def test_a_failed_fast_path_leaves_the_row_to_the_relay(contract: Contract, soketi: SoketiServer,
                                                        guest: Subscriber) -> None:
    """Nothing listening: the emit is queued (never raises); the relay delivers it later."""
    from hotelmate_rt.django.models import OutboxEvent
    from hotelmate_rt.django.relay import Relay

    with ScriptedPusherServer() as gone:
        dead_port = gone.port
    down = PusherTransport.create("4242", "k", "s", host="127.0.0.1", port=dead_port, ssl=False,
                                  timeout=0.5)
    with Emitter(contract, down, outbox=True, retry=FAST) as emitter:
        result = emitter.emit("booking_updated", updated("BK-2025-0002", "late"),
                              hotel_slug="hotel-paradise")
    assert result.outcome is Outcome.QUEUED and result.ok and "refused" in (result.error or "")
    row = OutboxEvent.objects.get()
    assert (row.status, row.attempts) == ("pending", 1) and "refused" in row.last_error
    relay = Relay(soketi_transport(soketi))
    report = relay.run_once()
    relay.close()
    assert (report.sent, report.dead) == (1, 0)
    assert guest.wait_for(lambda f: f.event == "booking_updated").data["changed_fields"] == ["late"]
    assert rows() == [("booking_updated", "sent")]


def insert(contract: Contract, *markers: str, booking: str = "BK-2025-0002") -> None:
    """Write outbox rows as a request whose fast path never ran (grace 0: due at once)."""
    from django.db import transaction

    from hotelmate_rt.django.outbox import DjangoOutbox
    from hotelmate_rt.emitters import RecordingTransport
    from hotelmate_rt.emitters.outbox import new_delivery_id

    emitter = Emitter(contract, RecordingTransport(), outbox=False)
    with transaction.atomic():
        DjangoOutbox(grace=0).add([
            (emitter.prepare("booking_updated", updated(booking, m), hotel_slug="hotel-paradise"),
             new_delivery_id()) for m in markers])


class Clock:
    """A wall clock the test moves forward."""

    def __init__(self) -> None:
        """Start at the real now."""
        from django.utils import timezone

        self.now = timezone.now()

    def __call__(self):  # type: ignore[no-untyped-def]
        """The current time."""
        return self.now


def test_the_relay_keeps_channel_order_retries_then_marks_dead(contract: Contract) -> None:
    """A failing older row holds back newer ones on its channels until it is sent or dead."""
    from django.utils import timezone

    from hotelmate_rt.django.relay import Relay, RelayOptions

    clock = Clock()
    with ScriptedPusherServer([503, 503]) as server:
        transport = PusherTransport.create("4242", "k", "s", **server.pusher_kwargs(), timeout=2)
        relay = Relay(transport, clock=clock, options=RelayOptions(
            max_attempts=2, http=RetryPolicy(attempts=1), lanes=1))
        insert(contract, "first")
        clock.now = timezone.now()
        first = relay.run_once()
        assert (first.claimed, first.retrying, first.sent) == (1, 1, 0)
        insert(contract, "second")
        clock.now = timezone.now()
        held = relay.run_once()  # "second" is due, but "first" is older and pending
        assert (held.claimed, held.waiting, held.sent, len(server.requests)) == (1, 1, 0, 1)
        clock.now += timedelta(minutes=10)
        both = relay.run_once()  # one batch, in order; "first" runs out of tries
        assert (both.dead, both.retrying, both.sent) == (1, 1, 0)
        clock.now += timedelta(minutes=10)
        assert relay.run_once().sent == 1
        relay.close()
        sent = [[e["data"] for e in r.body["batch"]] for r in server.requests]
    markers = [[s.split('"changed_fields":["')[1].split('"')[0] for s in batch] for batch in sent]
    assert markers == [["first", "first"], ["first", "first", "second", "second"],
                       ["second", "second"]]
    assert rows() == [("booking_updated", "dead"), ("booking_updated", "sent")]


def test_a_4xx_makes_a_row_dead_at_once(contract: Contract) -> None:
    """The server refusing a row for good (400) is not retried."""
    from hotelmate_rt.django.relay import Relay

    insert(contract, "refused")
    with ScriptedPusherServer([400]) as server:
        relay = Relay(PusherTransport.create("4242", "k", "s", **server.pusher_kwargs()))
        assert relay.run_once().dead == 1
        relay.close()
    from hotelmate_rt.django.models import OutboxEvent

    row = OutboxEvent.objects.get()
    assert (row.status, row.last_status, row.attempts) == ("dead", 400, 1)


def test_two_relays_on_sqlite_never_send_the_same_row(contract: Contract) -> None:
    """Two relay threads against a slow server: each row is sent by exactly one of them."""
    from hotelmate_rt.django.relay import Relay, RelayOptions

    for start in range(0, 40, 10):
        insert(contract, *[f"m{i}" for i in range(start, start + 10)],
               booking=f"BK-2025-{start:04d}")
    with ScriptedPusherServer([("sleep", 0.2)] * 20) as server:
        relays = [Relay(PusherTransport.create("4242", "k", "s", **server.pusher_kwargs(),
                                               timeout=5), options=RelayOptions(batch_size=10))
                  for _ in range(2)]
        counts: list[int] = []

        def work(relay: Relay) -> None:
            """Run passes until nothing is left."""
            for _ in range(20):
                report = relay.run_once()
                counts.append(report.sent)
                if not report.claimed:
                    time.sleep(0.05)
        threads = [threading.Thread(target=work, args=(r,)) for r in relays]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        for relay in relays:
            relay.close()
        sent = [e["data"] for r in server.requests for e in r.body["batch"]
                if e["channel"].startswith("private-hotel")]
    assert len(sent) == 40 and len(set(sent)) == 40 and sum(counts) == 40
    assert {status for _, status in rows()} == {"sent"}


def test_replay_command_resends_dead_rows(contract: Contract, soketi: SoketiServer,
                                          guest: Subscriber,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """`manage.py hotelmate_rt_replay --booking` sends the booking's dead rows once more."""
    from django.core.management import call_command

    from hotelmate_rt.django.models import OutboxEvent

    insert(contract, "dead-one")
    insert(contract, "other", booking="BK-2025-0003")
    OutboxEvent.objects.update(status="dead", last_error="HTTP 503")
    monkeypatch.setenv("PUSHER_URL", f"http://{soketi.key}:{soketi.secret}@{soketi.host}:"
                                     f"{soketi.port}/apps/{soketi.app_id}")
    out = io.StringIO()
    call_command("hotelmate_rt_replay", "--booking", "BK-2025-0002", stdout=out)
    assert "resent 1, still failing 0" in out.getvalue()
    frame = guest.wait_for(lambda f: f.event == "booking_updated")
    assert frame.data["changed_fields"] == ["dead-one"]
    assert dict(OutboxEvent.objects.values_list("booking_id", "status")) == {
        "BK-2025-0002": "sent", "BK-2025-0003": "dead"}
    assert OutboxEvent.objects.get(booking_id="BK-2025-0002").replays == 1


def test_relay_command_once_and_prune(contract: Contract, soketi: SoketiServer,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """`hotelmate_rt_relay --once` sends what is due, then prunes sent rows past retention."""
    from django.core.management import call_command
    from django.utils import timezone

    from hotelmate_rt.django.models import OutboxEvent

    insert(contract, "a", "b", "c")
    insert(contract, "old")
    OutboxEvent.objects.filter(data__contains='"old"').update(
        status="sent", sent_at=timezone.now() - timedelta(days=8))
    monkeypatch.setenv("PUSHER_URL", f"http://{soketi.key}:{soketi.secret}@{soketi.host}:"
                                     f"{soketi.port}/apps/{soketi.app_id}")
    out = io.StringIO()
    call_command("hotelmate_rt_relay", "--once", stdout=out)
    assert "sent 3, retrying 0, dead 0" in out.getvalue() and "pruned 1 sent rows" in out.getvalue()
    assert rows() == [("booking_updated", "sent")] * 3


def test_relay_command_without_pusher_settings_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    """No PUSHER_* settings: one sentence, exit code 2."""
    from django.core.management import call_command
    from django.core.management.base import CommandError

    for name in [n for n in os.environ if n.startswith("PUSHER_")]:
        monkeypatch.delenv(name)
    with pytest.raises(CommandError, match="PUSHER_URL") as info:
        call_command("hotelmate_rt_relay", "--once")
    assert info.value.returncode == 2


def test_database_dead_letter_without_an_outbox(contract: Contract) -> None:
    """An app with Django but no outbox can keep dead letters as dead rows (not a local file)."""
    from hotelmate_rt.django.deadletter import DatabaseDeadLetter
    from hotelmate_rt.django.history import booking_outbox

    with ScriptedPusherServer([500]) as server:
        emitter = Emitter(contract, PusherTransport.create("4242", "k", "s",
                                                           **server.pusher_kwargs()),
                          retry=RetryPolicy(attempts=1), dead_letter=DatabaseDeadLetter(),
                          outbox=False)
        result = emitter.emit("booking_updated", updated("BK-2025-0002", "x"),
                              hotel_slug="hotel-paradise")
    assert result.outcome is Outcome.FAILED and result.dead_letter == "database:default"
    assert [e.ids["booking_id"] for e in DatabaseDeadLetter().read()] == ["BK-2025-0002"]
    summary = booking_outbox("BK-2025-0002")
    assert summary.counts["dead"] == 1 and "hotelmate_rt_replay --booking" in summary.sentence


def test_the_migrations_match_the_models(db: None) -> None:
    """makemigrations finds nothing to add: the committed migration is the models' schema."""
    from django.core.management import call_command

    call_command("makemigrations", "hotelmate_rt", "--check", "--dry-run", verbosity=0)


def test_the_outbox_setting_turns_it_on(contract: Contract, monkeypatch: pytest.MonkeyPatch) -> None:
    """HOTELMATE_RT_OUTBOX=1 (or settings.HOTELMATE_RT["OUTBOX"]) makes emitters use the outbox."""
    from django.conf import settings
    from django.test import override_settings

    from hotelmate_rt.emitters import RecordingTransport

    monkeypatch.setenv("HOTELMATE_RT_OUTBOX", "1")
    assert Emitter(contract, RecordingTransport()).outbox is not None
    monkeypatch.setenv("HOTELMATE_RT_OUTBOX", "0")
    assert Emitter(contract, RecordingTransport()).outbox is None
    monkeypatch.delenv("HOTELMATE_RT_OUTBOX")
    with override_settings(HOTELMATE_RT={**settings.HOTELMATE_RT, "OUTBOX": True}):
        emitter = Emitter(contract, RecordingTransport())
        emitter.emit("booking_updated", updated("BK-2025-0002", "x"), hotel_slug="hotel-paradise")
    assert rows() == [("booking_updated", "sent")]


def test_replay_cli_resends_the_dead_rows_of_a_database(contract: Contract, soketi: SoketiServer,
                                                        guest: Subscriber) -> None:
    """`hotelmate-rt replay --database default` (DJANGO_SETTINGS_MODULE set) resends dead rows."""
    import json
    import subprocess
    import sys

    from django.conf import settings

    from hotelmate_rt.django.models import OutboxEvent

    insert(contract, "from-the-cli")
    OutboxEvent.objects.update(status="dead", last_error="HTTP 503")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.django_project.settings",
           "HOTELMATE_RT_TEST_DB_URL": f"sqlite://{settings.DATABASES['default']['NAME']}",
           "PUSHER_URL": f"http://{soketi.key}:{soketi.secret}@{soketi.host}:{soketi.port}"
                         f"/apps/{soketi.app_id}"}
    done = subprocess.run([sys.executable, "-m", "hotelmate_rt.cli.app", "replay", "--database",
                           "default", "--json", "--contract", str(contract.path)],
                          capture_output=True, text=True, env=env, cwd=root, timeout=60)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["path"] == "database:default" and len(report["resent"]) == 1
    assert guest.wait_for(lambda f: f.event == "booking_updated").data["changed_fields"] == [
        "from-the-cli"]
    assert rows() == [("booking_updated", "sent")]


def test_triage_lists_the_bookings_dead_rows(contract: Contract) -> None:
    """`triage --database default` fails `sent.outbox` on a dead row and says so in its verdict."""
    from hotelmate_rt.django.models import OutboxEvent
    from hotelmate_rt.oncall import TriageOptions, run_triage

    insert(contract, "never-arrived")
    insert(contract, "someone-else", booking="BK-2025-0003")
    OutboxEvent.objects.update(status="dead", last_error="HTTP 503")
    options = TriageOptions(booking_id="BK-2025-0002", contract=contract.path, env={},
                            database="default")
    report = run_triage(options)
    check = report.get("sent.outbox")
    assert check is not None and (check.status.value, check.code) == ("fail", "outbox-dead")
    assert "1 dead" in check.summary and "hotelmate_rt_replay --booking BK-2025-0002" in \
        check.next_action
    assert report.verdict.startswith("1 event(s) for BK-2025-0002 are dead in the outbox")
    assert report.get("booking.history") is not None
    left_out = run_triage(TriageOptions(booking_id="BK-2025-0002", contract=contract.path,
                                        env={}))
    assert left_out.get("sent.outbox") is None and left_out.get("booking.history") is None
