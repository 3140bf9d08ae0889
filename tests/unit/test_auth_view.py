"""The Django auth view, served over real HTTP by AuthServer, as pusher-js calls it."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

from hotelmate_rt.auth import Principal, sign_channel
from hotelmate_rt.testing.auth_server import AuthServer
from tests.helpers import shipped_contract

KEY, SECRET, SOCKET = "app-key", "app-secret-value", "1234.5678"
ORIGIN = "http://localhost:3000"
TOKENS = {"guest-token-0002": Principal.guest("BK-2025-0002", "hotel-paradise", "101"),
          "staff-token": Principal.staff("hotel-paradise", user_id=7)}


@pytest.fixture(scope="module")
def server() -> Iterator[AuthServer]:
    """One auth server for the module."""
    with AuthServer(shipped_contract(), KEY, SECRET, TOKENS,
                    origin=ORIGIN) as running:
        yield running


def post(server: AuthServer, channel: str, token: str | None, **headers: str) -> httpx.Response:
    """POST form-encoded socket_id + channel_name as pusher-js does."""
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(server.url, data={"socket_id": SOCKET, "channel_name": channel},
                      headers=headers, timeout=5)


def test_guest_own_booking_is_signed(server: AuthServer) -> None:
    """The guest's own booking channel gets a 200 with the right signature."""
    response = post(server, "private-booking-BK-2025-0002", "guest-token-0002")
    assert response.status_code == 200
    assert response.json() == {
        "auth": f"{KEY}:" + sign_channel(SECRET, SOCKET, "private-booking-BK-2025-0002")}


@pytest.mark.parametrize(("channel", "token", "status", "fragment"), [
    ("private-booking-BK-2025-0003", "guest-token-0002", 403, "another booking"),
    ("private-hotel-hotel-paradise-staff", "guest-token-0002", 403, "for staff, not guest"),
    ("booking.BK-2025-0002", "guest-token-0002", 403, "private-booking-BK-2025-0002"),
    ("hotel-hotel-paradise", "staff-token", 403, "public channel: no auth needed"),
    ("private-booking-BK-2025-0002", "forged-token", 401, "unknown or expired token"),
    ("private-booking-BK-2025-0002", None, 401, "missing bearer token"),
])
def test_refusals_carry_a_json_reason(server: AuthServer, channel: str, token: str | None,
                                      status: int, fragment: str) -> None:
    """Every refusal is a JSON {"error": reason} with the right status."""
    response = post(server, channel, token)
    assert response.status_code == status
    assert fragment in response.json()["error"]
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_malformed_requests_get_400(server: AuthServer) -> None:
    """Missing fields or a bad socket id are a 400, before the token is even looked at."""
    response = httpx.post(server.url, data={"channel_name": "private-booking-BK-2025-0002"},
                          timeout=5)
    assert response.status_code == 400 and "required" in response.json()["error"]
    response = httpx.post(server.url, data={"socket_id": "x", "channel_name": "private-a"},
                          headers={"Authorization": "Bearer staff-token"}, timeout=5)
    assert response.status_code == 400 and "socket id" in response.json()["error"]
    assert httpx.get(server.url, timeout=5).status_code == 405


def test_json_body_is_accepted(server: AuthServer) -> None:
    """A JSON body works as well as the form body pusher-js sends."""
    response = httpx.post(server.url, json={"socket_id": SOCKET,
                                            "channel_name": "private-hotel-hotel-paradise-staff"},
                          headers={"Authorization": "Bearer staff-token"}, timeout=5)
    assert response.status_code == 200


def test_cors_for_the_configured_origin_only(server: AuthServer) -> None:
    """The preflight and the answers carry CORS headers for the frontend origin, not others."""
    preflight = httpx.options(server.url, headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization"}, timeout=5)
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert "Authorization" in preflight.headers["access-control-allow-headers"]
    assert "POST" in preflight.headers["access-control-allow-methods"]
    refused = post(server, "private-booking-BK-2025-0003", "guest-token-0002", Origin=ORIGIN)
    assert refused.headers["access-control-allow-origin"] == ORIGIN
    other = post(server, "private-booking-BK-2025-0002", "guest-token-0002",
                 Origin="https://evil.example")
    assert "access-control-allow-origin" not in other.headers


def test_records_requests_and_never_logs_tokens(server: AuthServer,
                                                caplog: pytest.LogCaptureFixture) -> None:
    """The server records outcomes; the auth log has the channel and principal, never a token."""
    caplog.set_level(logging.INFO, logger="hotelmate_rt.auth")
    post(server, "private-booking-BK-2025-0003", "guest-token-0002")
    assert server.requests[-1].status == 403
    assert server.requests[-1].channel_name == "private-booking-BK-2025-0003"
    text = caplog.text
    assert "private-booking-BK-2025-0003" in text and "forbidden" in text
    assert "guest-token-0002" not in text and SECRET not in text
    assert SECRET not in repr(server) and "guest-token-0002" not in repr(server)


def test_tokens_added_while_running(server: AuthServer) -> None:
    """A token registered after start is honoured."""
    server.add_token("late-guest", Principal.guest("BK-2025-0009", "hotel-paradise"))
    assert post(server, "private-booking-BK-2025-0009", "late-guest").status_code == 200
