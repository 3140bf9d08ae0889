"""Real Django (SQLite) + real soketi: emits wait for the commit; the auth view signs for soketi."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.django_project.settings")

from hotelmate_rt.auth import ChannelAuthorizer, Principal
from hotelmate_rt.contracts import Contract
from hotelmate_rt.emitters import Emitter, Outcome, PusherTransport
from hotelmate_rt.testing.auth_server import AuthServer
from hotelmate_rt.testing.django_setup import ensure_django
from hotelmate_rt.testing.soketi import SoketiServer
from hotelmate_rt.testing.ws_subscriber import Subscriber
from tests.helpers import AT

GUEST = Principal.guest("BK-2025-0002", "hotel-paradise", "101")
STAFF = Principal.staff("hotel-paradise", user_id=1)
TOKENS = {"guest-token-0002": GUEST, "staff-token": STAFF}
BOOKING_CHANNEL = "private-booking-BK-2025-0002"


@pytest.fixture(scope="module")
def django_db() -> Iterator[None]:
    """Configure the test project and create its table in a fresh SQLite file."""
    ensure_django()
    from django.conf import settings
    from django.db import connection

    if settings.ROOT_URLCONF != "tests.django_project.urls":
        pytest.fail("Django was configured by another module before tests.django_project",
                    pytrace=False)
    from tests.django_project.hotel.models import Booking

    with connection.schema_editor() as editor:
        editor.create_model(Booking)
    yield
    with connection.schema_editor() as editor:
        editor.delete_model(Booking)
    connection.close()
    Path(settings.DATABASES["default"]["NAME"]).unlink(missing_ok=True)


@pytest.fixture
def emitter(contract: Contract, soketi: SoketiServer, django_db: None) -> Iterator[Emitter]:
    """A strict emitter to soketi, also installed as the test project's emitter."""
    from tests.django_project.hotel.views import EMITTER

    transport = PusherTransport.create(soketi.app_id, soketi.key, soketi.secret,
                                       host=soketi.host, port=soketi.port, ssl=False)
    with Emitter(contract, transport, strict=True, dead_letter=False) as running:
        EMITTER["default"] = running
        yield running
        EMITTER.clear()


@pytest.fixture
def guest_subscriber(soketi: SoketiServer, contract: Contract) -> Iterator[Subscriber]:
    """A subscriber on the guest's booking channel."""
    authorizer = ChannelAuthorizer(contract, soketi.key, soketi.secret)
    with Subscriber(soketi.ws_url) as client:
        frame = client.subscribe(BOOKING_CHANNEL, authorizer.authorize(
            GUEST, BOOKING_CHANNEL, client.socket_id))
        assert frame.event == "pusher_internal:subscription_succeeded"
        yield client


def updated(marker: str) -> dict[str, object]:
    """A booking_updated payload tagged with a marker."""
    return {"booking_id": "BK-2025-0002", "updated_at": AT, "changed_fields": [marker]}


def test_emit_inside_atomic_arrives_only_after_commit(emitter: Emitter,
                                                      guest_subscriber: Subscriber) -> None:
    """Inside atomic() the event is deferred; it reaches the subscriber only after the commit."""
    from django.db import transaction

    with transaction.atomic():
        result = emitter.emit("booking_updated", updated("committed"),
                              hotel_slug="hotel-paradise")
        assert result.outcome is Outcome.DEFERRED
        guest_subscriber.settle(0.5)
        assert guest_subscriber.events() == []
    assert result.outcome is Outcome.SENT
    frame = guest_subscriber.wait_for(lambda f: f.event == "booking_updated")
    assert frame.data["changed_fields"] == ["committed"]


def test_emit_inside_rolled_back_atomic_never_arrives(emitter: Emitter,
                                                      guest_subscriber: Subscriber) -> None:
    """A rolled-back transaction drops its events; a later event proves the pipe works."""
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        rolled = emitter.emit("booking_updated", updated("rolled-back"),
                              hotel_slug="hotel-paradise")
        raise RuntimeError("business failure")
    emitter.emit("booking_updated", updated("after"), hotel_slug="hotel-paradise")
    guest_subscriber.wait_for(lambda f: f.event == "booking_updated")
    guest_subscriber.settle(0.3)
    assert [f.data["changed_fields"] for f in guest_subscriber.events()] == [["after"]]
    assert rolled.outcome is Outcome.DEFERRED


def test_check_in_view_commits_then_emits(emitter: Emitter, guest_subscriber: Subscriber) -> None:
    """The check-in endpoint saves IN_HOUSE and the guest receives the contract's events."""
    from django.test import Client

    from tests.django_project.hotel.models import Booking

    Booking.objects.create(booking_id="BK-2025-0002", hotel_slug="hotel-paradise",
                           room_number="101", status="CONFIRMED")
    try:
        client = Client()
        with pytest.raises(RuntimeError, match="simulated"):
            client.post("/bookings/BK-2025-0002/check-in/", {"fail": "1"})
        assert Booking.objects.get(booking_id="BK-2025-0002").status == "CONFIRMED"
        response = client.post("/bookings/BK-2025-0002/check-in/")
        assert response.status_code == 200
        assert Booking.objects.get(booking_id="BK-2025-0002").status == "IN_HOUSE"
        guest_subscriber.wait_for(lambda f: f.event == "booking_status_changed")
        assert [f.event for f in guest_subscriber.events()] == ["booking_checked_in",
                                                                "booking_status_changed"]
        assert guest_subscriber.events()[0].data["room_number"] == "101"
    finally:
        Booking.objects.all().delete()


def auth(url: str, socket_id: str, channel: str, token: str) -> httpx.Response:
    """Call an auth endpoint the way pusher-js does."""
    return httpx.post(url, data={"socket_id": socket_id, "channel_name": channel},
                      headers={"Authorization": f"Bearer {token}"}, timeout=5)


def test_auth_view_signature_is_accepted_by_soketi(soketi: SoketiServer, contract: Contract,
                                                   django_db: None) -> None:
    """Over real HTTP the view signs the guest's own booking channel and soketi accepts it."""
    with AuthServer(contract, soketi.key, soketi.secret, TOKENS) as server, \
            Subscriber(soketi.ws_url) as client:
        response = auth(server.url, client.socket_id, BOOKING_CHANNEL, "guest-token-0002")
        assert response.status_code == 200
        frame = client.subscribe(BOOKING_CHANNEL, response.json())
        assert frame.event == "pusher_internal:subscription_succeeded"
        other = "private-booking-BK-2025-0003"
        refused = {
            other: auth(server.url, client.socket_id, other, "guest-token-0002"),
            "staff": auth(server.url, client.socket_id, "private-hotel-hotel-paradise-staff",
                          "guest-token-0002"),
            "forged": auth(server.url, client.socket_id, BOOKING_CHANNEL, "forged-token"),
        }
        assert {k: r.status_code for k, r in refused.items()} == {other: 403, "staff": 403,
                                                                   "forged": 401}
        forged_sig = {"auth": f"{soketi.key}:{'0' * 64}"}
        frame = client.subscribe(other, forged_sig)
        assert frame.event in ("pusher:subscription_error", "pusher:error")


def test_settings_configured_view_in_the_project(soketi: SoketiServer, django_db: None,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The project's /pusher/auth/ (settings-driven view) signs for soketi and refuses others."""
    from django.test import Client

    from hotelmate_rt.django import views
    from tests.django_project.hotel.auth import TOKENS as PROJECT_TOKENS

    monkeypatch.setenv("PUSHER_KEY", soketi.key)
    monkeypatch.setenv("PUSHER_SECRET", soketi.secret)
    monkeypatch.setattr(views, "_SETTINGS_VIEW", None)
    monkeypatch.setitem(PROJECT_TOKENS, "guest-token-0002", GUEST)
    client = Client()
    with Subscriber(soketi.ws_url) as subscriber:
        response = client.post("/pusher/auth/", {"socket_id": subscriber.socket_id,
                                                 "channel_name": BOOKING_CHANNEL},
                               HTTP_AUTHORIZATION="Bearer guest-token-0002",
                               HTTP_ORIGIN="http://localhost:3000")
        assert response.status_code == 200
        assert response["Access-Control-Allow-Origin"] == "http://localhost:3000"
        frame = subscriber.subscribe(BOOKING_CHANNEL, response.json())
        assert frame.event == "pusher_internal:subscription_succeeded"
        denied = client.post("/pusher/auth/", {"socket_id": subscriber.socket_id,
                                               "channel_name": "private-booking-BK-2025-0003"},
                             HTTP_AUTHORIZATION="Bearer guest-token-0002")
        assert denied.status_code == 403 and "another booking" in denied.json()["error"]
