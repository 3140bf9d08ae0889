"""The tools against a real soketi cluster: Redis and soketi nodes sharing the Redis adapter."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pusher
import pytest

from hotelmate_rt.auth import Principal
from hotelmate_rt.contracts import Contract
from hotelmate_rt.oncall import DoctorOptions, Status, TriageOptions, run_doctor, run_triage
from hotelmate_rt.probes import (
    ConnectionOptions,
    Gap,
    Judged,
    Probe,
    ProbeEvent,
    ProbeSettings,
    Subscribed,
    build_probe,
)
from hotelmate_rt.settings import load_settings
from hotelmate_rt.testing.auth_server import AuthServer
from hotelmate_rt.testing.cluster import SoketiCluster
from hotelmate_rt.testing.soketi import SoketiServer
from hotelmate_rt.testing.ws_subscriber import Subscriber
from tests.helpers import BOOKING, CHECKED_IN, HOTEL, ROOT, run_cli

TOKEN = "guest-cluster-token-0002"
WAIT = 20.0


def env_for(cluster: SoketiCluster, *nodes: SoketiServer) -> dict[str, str]:
    """The backend PUSHER_* environment of the cluster (every node, or the ones given)."""
    chosen = nodes or tuple(cluster.nodes)
    return {"PUSHER_APP_ID": cluster.app_id, "PUSHER_KEY": cluster.key,
            "PUSHER_SECRET": cluster.secret, "PUSHER_TLS": "false",
            "HOTELMATE_RT_PUSHER_NODES": ",".join(f"{n.host}:{n.port}" for n in chosen)}


def trigger(node: SoketiServer, channel: str, event: str, data: Any) -> None:
    """Send one event through one node's HTTP API."""
    pusher.Pusher(**node.pusher_kwargs()).trigger(channel, event, data)


class Consumer:
    """A probe's stream read on a thread, kept for assertions."""

    def __init__(self, probe: Probe) -> None:
        """Start reading."""
        self.probe = probe
        self.events: list[ProbeEvent] = []
        self.error: Exception | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        """Read until the probe ends."""
        try:
            for event in self.probe.events():
                self.events.append(event)
        except Exception as exc:
            self.error = exc

    def wait(self, test: Any, timeout: float = WAIT) -> list[ProbeEvent]:
        """Wait until `test(events)` holds, or fail naming what was seen."""
        deadline = time.monotonic() + timeout
        while not test(self.events):
            assert self.error is None, self.error
            assert time.monotonic() < deadline, [e.to_dict() for e in self.events][-12:]
            time.sleep(0.05)
        return self.events

    def close(self) -> None:
        """Close the probe."""
        self.probe.close()
        self.thread.join(10)


def _count(cls: type, events: list[ProbeEvent], **match: Any) -> int:
    """Count the events of a class whose attributes match."""
    return sum(isinstance(e, cls) and all(getattr(e, k) == v for k, v in match.items())
               for e in events)


@pytest.fixture
def auth(soketi_cluster: SoketiCluster, contract: Contract) -> Iterator[AuthServer]:
    """The real auth endpoint (the Django view) for the cluster's app."""
    tokens = {TOKEN: Principal.guest(BOOKING, HOTEL, "101")}
    with AuthServer(contract, soketi_cluster.key, soketi_cluster.secret, tokens) as server:
        yield server


def test_an_event_sent_through_node_a_is_judged_by_the_probe_on_node_b(
        soketi_cluster: SoketiCluster, contract: Contract, auth: AuthServer) -> None:
    """Emit through A, the probe listens on B only (through the auth endpoint) and judges it."""
    a, b = soketi_cluster.nodes
    settings = ProbeSettings(pusher=load_settings(env_for(soketi_cluster, b)), audience="guest",
                             token=TOKEN, params={"booking_id": BOOKING}, auth_endpoint=auth.url,
                             timeout=WAIT)
    consumer = Consumer(build_probe(settings, contract))
    try:
        consumer.wait(lambda ev: _count(Subscribed, ev) >= 1)
        from hotelmate_rt.emitters import NO_RETRY, Emitter

        with Emitter.from_env(contract, settings=load_settings(env_for(soketi_cluster, a)),
                              retry=NO_RETRY, dead_letter=False, defer=False) as emitter:
            assert emitter.emit("booking_checked_in", CHECKED_IN, only=("guest-booking",),
                                booking_id=BOOKING).ok
        events = consumer.wait(lambda ev: _count(Judged, ev) >= 1)
    finally:
        consumer.close()
    judged = next(e for e in events if isinstance(e, Judged))
    assert judged.ok and judged.channel == f"private-booking-{BOOKING}"
    assert consumer.probe.connection.server.port == b.port


def test_the_probe_fails_over_re_authorizes_and_reports_the_gap(
        soketi_cluster: SoketiCluster, contract: Contract, auth: AuthServer) -> None:
    """Kill the probe's node: it moves to the other, signs again for the new socket, says gap."""
    a, b = soketi_cluster.nodes
    settings = ProbeSettings(pusher=load_settings(env_for(soketi_cluster)), audience="guest",
                             token=TOKEN, params={"booking_id": BOOKING, "hotel_slug": HOTEL},
                             auth_endpoint=auth.url)
    options = ConnectionOptions(backoff_initial=0.2, backoff_max=1.0, tick=0.1,
                                pong_timeout=2.0)
    consumer = Consumer(build_probe(settings, contract, options))
    private = f"private-booking-{BOOKING}"
    try:
        consumer.wait(lambda ev: _count(Subscribed, ev) >= 2)
        first_socket = consumer.probe.connection.socket_id
        assert consumer.probe.connection.server.port == a.port
        a.kill()
        events = consumer.wait(lambda ev: _count(Gap, ev) >= 1)
        trigger(b, private, "booking_checked_in", CHECKED_IN)
        events = consumer.wait(lambda ev: _count(Judged, ev) >= 1)
    finally:
        consumer.close()
    assert consumer.probe.connection.server.port == b.port
    assert consumer.probe.connection.socket_id != first_socket
    assert _count(Subscribed, events, channel=private, resubscribed=True) == 1
    signed = [r for r in auth.requests if r.channel_name == private and r.status == 200]
    assert len(signed) == 2  # once per socket: the new socket id was signed
    gap = next(e for e in events if isinstance(e, Gap))
    assert gap.recovered and gap.seconds > 0 and private in gap.channels
    summary = consumer.probe.summary
    assert summary.gaps and not summary.ok


def test_triage_counts_the_guest_connected_to_another_node(soketi_cluster: SoketiCluster) -> None:
    """The guest page is on node B; triage asks node A and still finds it connected."""
    a, b = soketi_cluster.nodes
    with Subscriber(b.ws_url) as page:
        page.subscribe(f"hotel-{HOTEL}")
        page.subscribe_with(f"private-booking-{BOOKING}", lambda channel, socket_id: {
            "auth": pusher.Pusher(**b.pusher_kwargs()).authenticate(
                channel, socket_id)["auth"]})
        env = env_for(soketi_cluster, a)
        env["PUSHER_HOST"], env["PUSHER_PORT"] = a.host, str(a.port)
        report = run_triage(TriageOptions(booking_id=BOOKING, env=env, hotel_slug=HOTEL,
                                          contract=ROOT / "channels.yaml", step_timeout=5.0))
    occupied = report.get("booking.occupied")
    assert occupied is not None and occupied.status is Status.PASS, occupied
    booking = next(c for c in report.channels if c.channel_id == "guest-booking")
    assert booking.occupied and booking.subscription_count == 1


def test_doctor_passes_a_sound_cluster(soketi_cluster: SoketiCluster) -> None:
    """Two nodes on one Redis: each answers, and events cross both ways."""
    report = run_doctor(DoctorOptions(env=env_for(soketi_cluster), contract=ROOT / "channels.yaml",
                                      step_timeout=5.0, round_trips=1))
    cluster = {c.id: c for c in report.checks if c.section.value == "cluster"}
    assert cluster["cluster.round-trip"].status is Status.PASS, cluster["cluster.round-trip"]
    assert len([c for c in cluster.values() if c.id.startswith("cluster.node.")]) == 2
    assert all(c.status is Status.PASS for c in cluster.values())


def test_doctor_names_a_local_adapter_node_and_one_with_another_secret(
        soketi_cluster: SoketiCluster) -> None:
    """A third node on the local adapter and a fourth with a wrong secret are both named."""
    local = soketi_cluster.add_node(adapter="local")
    other = soketi_cluster.add_node(secret="not-the-app-secret")
    report = run_doctor(DoctorOptions(env=env_for(soketi_cluster), contract=ROOT / "channels.yaml",
                                      step_timeout=5.0, round_trips=1, budget=60.0))
    checks = {c.id: c for c in report.checks}
    wrong = checks[f"cluster.node.{other.host}:{other.port}"]
    assert wrong.status is Status.FAIL and wrong.code == "different-credentials", wrong
    trip = checks["cluster.round-trip"]
    assert trip.status is Status.FAIL and trip.code == "local-adapter", trip
    assert f"{local.host}:{local.port}" in trip.summary
    assert report.exit_code == 1


def test_doctor_names_a_node_that_cannot_reach_redis(soketi_cluster: SoketiCluster) -> None:
    """A node pointed at a Redis port where nothing listens is named as Redis-unreachable."""
    from hotelmate_rt.testing.soketi import free_port

    lost = soketi_cluster.add_node(redis_port=free_port())
    report = run_doctor(DoctorOptions(env=env_for(soketi_cluster), contract=ROOT / "channels.yaml",
                                      step_timeout=5.0, round_trips=1, budget=60.0))
    named = next(c for c in report.checks if c.id == f"cluster.node.{lost.host}:{lost.port}")
    assert named.status is Status.FAIL and named.code == "redis-unreachable", named
    trip = next(c for c in report.checks if c.id == "cluster.round-trip")
    assert trip.status is Status.PASS, trip  # the two sound nodes still reach each other


def test_listen_cli_on_a_cluster_with_node_flags(soketi_cluster: SoketiCluster,
                                                 tmp_path: Path) -> None:
    """`listen --node A --node B` connects to A and reports both nodes when nothing listens."""
    a, b = soketi_cluster.nodes
    channels = tmp_path / "channels.txt"
    channels.write_text(f"# the hotel\nhotel-{HOTEL}\n", encoding="utf-8")
    result = run_cli("listen", "--channels-from", str(channels), "--key", soketi_cluster.key,
                     "--node", f"{a.host}:{a.port}", "--node", f"{b.host}:{b.port}",
                     "--timeout", "2", "--json")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 0, result.stderr
    assert records[-1]["subscribed"] == [f"hotel-{HOTEL}"] and records[-1]["ok"] is True
