"""The probe when things go wrong: auth down during a reconnect, gaps, never listening, refusals."""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from hotelmate_rt.contracts import Contract
from hotelmate_rt.probes import (
    ConnectionOptions,
    Gap,
    Note,
    ProbeSettings,
    Subscribed,
    build_probe,
)
from hotelmate_rt.settings import load_settings
from hotelmate_rt.testing.auth_server import AuthServer
from hotelmate_rt.testing.soketi import SoketiServer
from tests.helpers import BOOKING, HOTEL
from tests.integration.test_cluster import Consumer, _count
from tests.integration.test_listen_cli import TOKEN, TOKENS, Listening, server_args, trigger

WAIT = 20.0
OFFER = {"offer": {"id": 1, "title": "Spa", "price": "1.00", "is_active": True},
         "action": "created"}


@pytest.fixture
def silent_listener() -> Iterator[int]:
    """A TCP port on 127.0.0.1 that accepts connections and never says a word."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()
        for conn in accepted:
            conn.close()


def _summary(lines: list[str]) -> dict[str, object]:
    """The summary line of an NDJSON listen."""
    return next(json.loads(line) for line in reversed(lines) if '"type":"summary"' in line)


def test_auth_down_during_a_reconnect_is_retried_and_the_gap_reported(
        fresh_soketi: SoketiServer, contract: Contract) -> None:
    """Soketi restarts while the auth endpoint is down 2 s: public channel back at once, the
    private one retried until signed, and the gap covers the whole blind time."""
    auth = AuthServer(contract, fresh_soketi.key, fresh_soketi.secret, TOKENS).start()
    port = auth.port
    settings = ProbeSettings(
        pusher=load_settings({"PUSHER_KEY": fresh_soketi.key, "PUSHER_HOST": fresh_soketi.host,
                              "PUSHER_PORT": str(fresh_soketi.port)}),
        audience="guest", token=TOKEN, params={"booking_id": BOOKING, "hotel_slug": HOTEL},
        auth_endpoint=auth.url, auth_timeout=1.0)
    options = ConnectionOptions(backoff_initial=0.2, backoff_max=1.0, tick=0.1)
    consumer = Consumer(build_probe(settings, contract, options))
    private = f"private-booking-{BOOKING}"
    try:
        consumer.wait(lambda ev: _count(Subscribed, ev) >= 2)
        auth.stop()
        down = time.monotonic()
        fresh_soketi.restart()
        consumer.wait(lambda ev: _count(Subscribed, ev, channel=f"hotel-{HOTEL}",
                                        resubscribed=True) == 1)
        consumer.wait(lambda ev: any(isinstance(e, Note) and e.kind == "auth-retry" for e in ev))
        time.sleep(max(0.0, 2.0 - (time.monotonic() - down)))
        auth = AuthServer(contract, fresh_soketi.key, fresh_soketi.secret, TOKENS,
                          port=port).start()
        events = consumer.wait(lambda ev: _count(Gap, ev) >= 1)
    finally:
        consumer.close()
        auth.stop()
    assert _count(Subscribed, events, channel=private, resubscribed=True) == 1
    gap = next(e for e in events if isinstance(e, Gap))
    assert gap.recovered and gap.seconds >= 1.5 and private in gap.channels
    assert consumer.probe.summary.error is None and not consumer.probe.summary.ok


def test_a_restart_with_missed_events_makes_listen_exit_1(fresh_soketi: SoketiServer) -> None:
    """A real gap (soketi down, events sent meanwhile lost) is a finding: exit 1, ok false."""
    listening = Listening("listen", "--as", "public", "--hotel", HOTEL, "--timeout", "10",
                          "--json", *server_args(fresh_soketi))
    listening.wait_for('"type":"subscribed"')
    fresh_soketi.kill()
    time.sleep(1.0)
    fresh_soketi.start()
    listening.wait_for('"type":"gap"')
    trigger(fresh_soketi, f"hotel-{HOTEL}", "offer-created", OFFER)
    code, lines, stderr = listening.finish(timeout=WAIT)
    summary = _summary(lines)
    assert code == 1, stderr
    assert summary["ok"] is False and summary["events"] == 1 and summary["gap_seconds"] > 0.5
    assert "events may have been missed" in " ".join(summary["problems"])  # type: ignore[arg-type]


def test_tls_against_a_plain_server_never_connects_and_exits_2(
        soketi: SoketiServer) -> None:
    """`--tls` on soketi's plain port: one sentence, exit 2, a summary that is not ok."""
    listening = Listening("listen", "--as", "public", "--hotel", HOTEL, "--tls", "--timeout", "3",
                          "--json", *server_args(soketi))
    code, lines, stderr = listening.finish(timeout=WAIT)
    assert code == 2
    assert stderr.startswith("error: ") and "Traceback" not in stderr
    assert ("never connected" in stderr or "cannot connect" in stderr), stderr
    assert _summary(lines)["ok"] is False


def test_an_auth_endpoint_that_hangs_means_nothing_was_listened_to(
        soketi: SoketiServer, silent_listener: int) -> None:
    """No answer from the auth endpoint before --timeout: exit 2, never ok."""
    listening = Listening("listen", "--as", "guest", "--token", TOKEN, "--booking", BOOKING,
                          "--auth-endpoint", f"http://127.0.0.1:{silent_listener}/auth",
                          "--auth-timeout", "10", "--timeout", "3", "--json",
                          *server_args(soketi))
    code, lines, stderr = listening.finish(timeout=WAIT)
    assert code == 2, stderr
    assert "no channel was subscribed" in stderr and "Traceback" not in stderr
    summary = _summary(lines)
    assert summary["ok"] is False and summary["listened"] is False


def test_ctrl_c_while_connecting_is_not_a_green_summary(silent_listener: int) -> None:
    """Interrupted before connecting: exit 2 and a summary that says it never listened."""
    listening = Listening("listen", "--as", "public", "--hotel", HOTEL, "--key", "k", "--host",
                          "127.0.0.1", "--port", str(silent_listener), "--json")
    time.sleep(2.0)
    listening.proc.send_signal(signal.SIGINT)
    code, lines, stderr = listening.finish(timeout=WAIT)
    assert code == 2, stderr
    summary = _summary(lines)
    assert summary["ok"] is False and summary["stopped"] == "interrupted"
    assert "never connected" in stderr and "Traceback" not in stderr


def test_one_refused_channel_is_reported_and_the_others_go_on(
        soketi: SoketiServer, contract: Contract) -> None:
    """Another guest's booking is refused (403); this guest's channel still delivers: exit 1."""
    with AuthServer(contract, soketi.key, soketi.secret, TOKENS) as auth:
        listening = Listening("listen", "--as", "guest", "--token", TOKEN, "--booking", BOOKING,
                              "--booking", "BK-2025-0003", "--auth-endpoint", auth.url,
                              "--count", "1", "--timeout", "15", "--json",
                              *server_args(soketi))
        listening.wait_for('"type":"subscription-failed"')
        listening.wait_for('"type":"subscribed"')
        trigger(soketi, f"private-booking-{BOOKING}", "booking_updated",
                {"booking_id": BOOKING, "updated_at": "2025-03-01T10:00:00Z"})
        code, lines, stderr = listening.finish(timeout=WAIT)
    summary = _summary(lines)
    assert code == 1, stderr
    refused = summary["refused"]
    assert summary["events"] == 1
    assert isinstance(refused, dict) and list(refused) == ["private-booking-BK-2025-0003"]


def test_a_channel_refused_after_a_reconnect_still_closes_the_gap(
        fresh_soketi: SoketiServer, contract: Contract) -> None:
    """The token is revoked while soketi restarts: the private channel is reported refused, the
    public one goes on, and the gap closes when the refusal comes (not never)."""
    with AuthServer(contract, fresh_soketi.key, fresh_soketi.secret, dict(TOKENS)) as auth:
        settings = ProbeSettings(
            pusher=load_settings({"PUSHER_KEY": fresh_soketi.key,
                                  "PUSHER_HOST": fresh_soketi.host,
                                  "PUSHER_PORT": str(fresh_soketi.port)}),
            audience="guest", token=TOKEN, params={"booking_id": BOOKING, "hotel_slug": HOTEL},
            auth_endpoint=auth.url)
        options = ConnectionOptions(backoff_initial=0.2, backoff_max=1.0, tick=0.1)
        consumer = Consumer(build_probe(settings, contract, options))
        try:
            consumer.wait(lambda ev: _count(Subscribed, ev) >= 2)
            auth.tokens.pop(TOKEN)
            fresh_soketi.restart()
            events = consumer.wait(lambda ev: _count(Gap, ev) >= 1)
        finally:
            consumer.close()
    summary = consumer.probe.summary
    assert list(summary.refused) == [f"private-booking-{BOOKING}"]
    assert _count(Subscribed, events, channel=f"hotel-{HOTEL}", resubscribed=True) == 1
    assert summary.error is None and not summary.ok
