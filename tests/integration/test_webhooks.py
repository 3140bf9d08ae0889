"""Webhook history on real Django: signed bodies stored once, forgeries refused, triage from soketi."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from pusher.signature import sign

from hotelmate_rt.auth import ChannelAuthorizer, Principal
from hotelmate_rt.contracts import load_contract
from hotelmate_rt.testing.django_server import DjangoServer
from hotelmate_rt.testing.soketi import SoketiServer, free_port
from hotelmate_rt.testing.ws_subscriber import Subscriber
from tests.django_project.outbox_support import setup_django, wipe

ROOT = Path(__file__).resolve().parents[2]
KEY, SECRET, APP_ID = "hook-key", "hook-secret-value", "4343"
CHANNEL = "private-booking-BK-2025-0002"
GUEST = Principal.guest("BK-2025-0002", "hotel-paradise", "101")


@pytest.fixture(scope="module")
def server() -> Iterator[DjangoServer]:
    """The test project (SQLite, migrated) served over HTTP, keyed for this module's app."""
    import os

    previous = {k: os.environ.get(k) for k in ("PUSHER_KEY", "PUSHER_SECRET", "PUSHER_APP_ID")}
    os.environ.update(PUSHER_KEY=KEY, PUSHER_SECRET=SECRET, PUSHER_APP_ID=APP_ID)
    setup_django()
    from hotelmate_rt.django import webhooks

    webhooks._SETTINGS_VIEW = None
    try:
        with DjangoServer() as running:
            yield running
    finally:
        webhooks._SETTINGS_VIEW = None
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        from django.conf import settings
        from django.db import connections

        wipe()
        connections.close_all()
        Path(settings.DATABASES["default"]["NAME"]).unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def clean(server: DjangoServer) -> None:
    """Every test starts with no stored webhook."""
    wipe()


def post(server: DjangoServer, body: str, *, key: str = KEY,
         signature: str | None = None) -> httpx.Response:
    """POST a webhook body as Pusher does (signed with SECRET unless a signature is given)."""
    headers = {"Content-Type": "application/json", "X-Pusher-Key": key,
               "X-Pusher-Signature": signature if signature is not None else sign(SECRET, body)}
    return httpx.post(f"{server.url}/pusher/webhooks/", content=body, headers=headers, timeout=10)


def body(*events: dict[str, object], age: float = 0.0) -> str:
    """A webhook body with `events`, `age` seconds old."""
    return json.dumps({"time_ms": int((time.time() - age) * 1000), "events": list(events)})


def stored() -> list[tuple[str, str]]:
    """(name, channel) of every stored webhook event."""
    from hotelmate_rt.django.models import ChannelWebhookEvent

    return list(ChannelWebhookEvent.objects.order_by("id").values_list("name", "channel"))


def test_a_signed_body_is_stored_once_even_if_delivered_twice(server: DjangoServer) -> None:
    """Pusher retries a webhook it thinks failed: the second delivery stores nothing new."""
    text = body({"name": "channel_occupied", "channel": CHANNEL},
                {"name": "member_added", "channel": "presence-x", "user_id": "7"})
    first, second = post(server, text), post(server, text)
    assert (first.status_code, first.json()) == (200, {"stored": 2, "duplicates": 0})
    assert (second.status_code, second.json()) == (200, {"stored": 0, "duplicates": 2})
    assert stored() == [("channel_occupied", CHANNEL), ("member_added", "presence-x")]


@pytest.mark.parametrize("case", ["forged", "other-key", "stale", "future", "no-signature",
                                  "deep"])
def test_forged_or_stale_bodies_get_401_and_store_nothing(server: DjangoServer,
                                                          case: str) -> None:
    """A bad signature, another app's key, a body over 5 minutes old: 401, nothing stored."""
    fresh = body({"name": "channel_occupied", "channel": CHANNEL})
    response = {
        "forged": lambda: post(server, fresh, signature="0" * 64),
        "other-key": lambda: post(server, fresh, key="someone-else"),
        "stale": lambda: post(server, body({"name": "channel_occupied", "channel": CHANNEL},
                                           age=600)),
        "future": lambda: post(server, body({"name": "channel_occupied", "channel": CHANNEL},
                                            age=-600)),
        "no-signature": lambda: post(server, fresh, signature=""),
        "deep": lambda: post(server, "[" * 100_000 + "]" * 100_000, signature="0" * 64),
    }[case]()
    assert response.status_code == 401 and "invalid webhook" in response.json()["error"]
    assert stored() == []


def test_a_signed_body_without_events_is_a_400(server: DjangoServer) -> None:
    """Correctly signed but not a webhook: 400, nothing stored; GET is 405."""
    assert post(server, json.dumps({"time_ms": int(time.time() * 1000)})).status_code == 400
    assert httpx.get(f"{server.url}/pusher/webhooks/", timeout=10).status_code == 405
    assert stored() == []


def test_doctor_webhook_check(server: DjangoServer) -> None:
    """Doctor's webhook step passes on the real view, fails on a wrong secret or a lax endpoint."""
    from hotelmate_rt.oncall.doctor.webhook import webhook_check
    from hotelmate_rt.oncall.model import Status
    from hotelmate_rt.testing.scripted_server import ScriptedPusherServer

    url = f"{server.url}/pusher/webhooks/"
    good = webhook_check(url, KEY, SECRET, 5.0)
    assert good.status is Status.PASS, good.summary
    wrong = webhook_check(url, KEY, "not-the-secret", 5.0)
    assert (wrong.status, wrong.code) == (Status.FAIL, "wrong-credentials")
    with ScriptedPusherServer() as lax:  # answers 200 to anything
        accepting = webhook_check(f"http://127.0.0.1:{lax.port}/hooks", KEY, SECRET, 5.0)
    assert (accepting.status, accepting.code, accepting.security) == (Status.FAIL,
                                                                      "accepts-forged", True)
    assert webhook_check(f"http://127.0.0.1:{free_port()}/x", KEY, SECRET, 2.0).code == \
        "unreachable"
    assert stored() == []


def wait_until(check: Callable[[], bool], timeout: float = 15.0) -> None:
    """Wait (bounded) until `check()` is true."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s; stored: {stored()}")
        time.sleep(0.05)


@pytest.fixture
def hooked_soketi(server: DjangoServer) -> Iterator[SoketiServer]:
    """A soketi that posts occupied/vacated webhooks to the test project."""
    hooks = [{"url": f"{server.url}/pusher/webhooks/",
              "event_types": ["channel_occupied", "channel_vacated"]}]
    soketi = SoketiServer(free_port(), APP_ID, KEY, SECRET,
                          extra_env={"SOKETI_DEFAULT_APP_WEBHOOKS": json.dumps(hooks)})
    try:
        yield soketi.start()
    finally:
        soketi.close()


def subscribe(soketi: SoketiServer, client: Subscriber) -> None:
    """Subscribe the guest's booking channel with a valid signature."""
    contract = load_contract(ROOT / "channels.yaml")
    authorizer = ChannelAuthorizer(contract, soketi.key, soketi.secret)
    frame = client.subscribe(CHANNEL, authorizer.authorize(GUEST, CHANNEL, client.socket_id))
    assert frame.event == "pusher_internal:subscription_succeeded"


def test_triage_reports_the_channel_history_from_a_real_soketi(
        server: DjangoServer, hooked_soketi: SoketiServer) -> None:
    """soketi's webhooks say when the guest page was subscribed; triage says so in its verdict."""
    from hotelmate_rt.django.history import channel_history
    from hotelmate_rt.oncall import TriageOptions, run_triage

    names = lambda: [n for n, _ in stored()]  # noqa: E731
    with Subscriber(hooked_soketi.ws_url) as client:
        subscribe(hooked_soketi, client)
        wait_until(lambda: names() == ["channel_occupied"])
    wait_until(lambda: names() == ["channel_occupied", "channel_vacated"])
    history = channel_history(CHANNEL, tentative=0.0)
    assert history.occupied is False and len(history.periods) == 1
    env = {"PUSHER_APP_ID": APP_ID, "PUSHER_KEY": KEY, "PUSHER_SECRET": SECRET,
           "PUSHER_HOST": "127.0.0.1", "PUSHER_PORT": str(hooked_soketi.port),
           "PUSHER_TLS": "false"}
    options = TriageOptions(booking_id="BK-2025-0002", contract=ROOT / "channels.yaml", env=env,
                            step_timeout=5.0, database="default")
    fresh = run_triage(options).get("booking.history")
    assert fresh is not None and fresh.status.value == "warn" and "tentative" in fresh.summary
    from django.conf import settings
    from django.test import override_settings

    with override_settings(HOTELMATE_RT={**settings.HOTELMATE_RT, "WEBHOOK_TENTATIVE_VACATE": 0.5}):
        time.sleep(0.6)
        report = run_triage(options)
    check = report.get("booking.history")
    assert check is not None and check.status.value == "fail"
    period = history.periods[0]
    assert period.start is not None and period.end is not None
    start, end = (t.strftime("%H:%M:%S") for t in (period.start, period.end))
    assert f"has had no subscriber since {period.end.strftime('%Y-%m-%d')} {end} UTC" in \
        check.summary
    assert f"it was subscribed {start}-{end} UTC" in check.summary
    assert report.verdict.startswith(f"The guest's guest-booking channel {CHANNEL} has had no "
                                     "subscriber since")


def test_a_page_refresh_is_not_a_gap(server: DjangoServer, hooked_soketi: SoketiServer) -> None:
    """Vacated then occupied again within the tentative window: one continuous period."""
    from hotelmate_rt.django.history import channel_history

    with Subscriber(hooked_soketi.ws_url) as client:
        subscribe(hooked_soketi, client)
        wait_until(lambda: len(stored()) == 1)
    with Subscriber(hooked_soketi.ws_url) as again:
        subscribe(hooked_soketi, again)
        wait_until(lambda: len(stored()) == 3)
        history = channel_history(CHANNEL, tentative=5.0)
        assert history.occupied is True and len(history.periods) == 1
        assert "has had a subscriber since" in history.sentence
        assert [n for n, _ in stored()] == ["channel_occupied", "channel_vacated",
                                            "channel_occupied"]


def test_doctor_runs_the_webhook_check_when_configured(server: DjangoServer,
                                                       hooked_soketi: SoketiServer) -> None:
    """`doctor --webhook-url` adds the webhook step to a real run; without it there is none."""
    from hotelmate_rt.oncall import DoctorOptions, run_doctor

    env = {"PUSHER_APP_ID": APP_ID, "PUSHER_KEY": KEY, "PUSHER_SECRET": SECRET,
           "PUSHER_HOST": "127.0.0.1", "PUSHER_PORT": str(hooked_soketi.port),
           "PUSHER_TLS": "false"}
    options = DoctorOptions(contract=ROOT / "channels.yaml", env=env, budget=20.0,
                            round_trips=1, webhook_url=f"{server.url}/pusher/webhooks/")
    check = run_doctor(options).get("webhook.endpoint")
    assert check is not None and check.status.value == "pass", check and check.summary
    options.webhook_url = None
    assert run_doctor(options).get("webhook.endpoint") is None
