"""Probe building blocks without a server: signatures, close codes, plans, recordings, auth."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import httpx
import pusher
import pysher
import pytest

from hotelmate_rt.contracts import Contract
from hotelmate_rt.errors import AuthEndpointError, ParameterError, ProbeError, UnknownName
from hotelmate_rt.probes import (
    EndpointAuthorizer,
    Gap,
    LocalSigner,
    ProbeSummary,
    Redactor,
    ServerAddress,
    StateChanged,
    close_code_policy,
    plan_subscriptions,
)
from hotelmate_rt.probes.auth import meaning_of, sign
from hotelmate_rt.probes.recording import CheckedRecord, Unreadable, check_lines


def test_local_signature_matches_pysher_and_the_pusher_sdk() -> None:
    """The probe's signature is pysher's and the server SDK's for the same socket and channel."""
    client = pysher.Pusher("app-key", secret="app-secret", log_level=logging.WARNING)
    client.connection.socket_id = "123.456"
    expected = client._generate_auth_token("private-booking-BK-2025-0002")
    sdk = pusher.Pusher(app_id="1", key="app-key", secret="app-secret")
    assert sign("app-key", "app-secret", "123.456", "private-booking-BK-2025-0002") == expected
    assert sdk.authenticate("private-booking-BK-2025-0002", "123.456")["auth"] == expected
    signed = LocalSigner("app-key", "app-secret").authorize("123.456",
                                                           "private-booking-BK-2025-0002")
    assert signed.auth == expected


@pytest.mark.parametrize(("code", "policy"), [
    (4000, "stop"), (4001, "stop"), (4009, "stop"), (4099, "stop"), (4100, "backoff"),
    (4199, "backoff"), (4200, "now"), (4201, "now"), (4299, "now"), (1006, "backoff"),
    (None, "backoff"),
])
def test_close_codes_follow_the_protocol(code: int | None, policy: str) -> None:
    """4000-4099 stop, 4100-4199 back off, 4200-4299 reconnect now, others back off."""
    assert close_code_policy(code) == policy


def test_redactor_hides_every_secret() -> None:
    """Tokens and secrets are replaced wherever they appear; short strings are left alone."""
    redact = Redactor(["tok-123456", None, "ab"])
    redact.add("app-secret-xyz")
    assert redact("Bearer tok-123456 / app-secret-xyz / ab") == "Bearer *** / *** / ab"


def test_server_address_urls() -> None:
    """Local soketi is ws:// on its port; a hosted cluster is wss:// on 443."""
    assert ServerAddress("k", "127.0.0.1", 6001).url.startswith("ws://127.0.0.1:6001/app/k?")
    assert ServerAddress.for_cluster("k", "eu").url.startswith("wss://ws-eu.pusher.com:443/app/k")


def test_guest_plan_renders_every_readable_channel(contract: Contract) -> None:
    """A guest with booking, hotel and room reads three channels; without room, two."""
    full = plan_subscriptions(contract, "guest", {"booking_id": "BK-2025-0002",
                                                  "hotel_slug": "hotel-paradise",
                                                  "room_number": "101"})
    assert [c.name for c in full.channels] == [
        "private-booking-BK-2025-0002", "hotel-hotel-paradise",
        "private-hotel-paradise-room-101-chat"]
    assert full.needs_auth
    partial = plan_subscriptions(contract, "guest", {"booking_id": "BK-2025-0002"})
    assert [c.channel_id for c in partial.channels] == ["guest-booking"]
    assert ("hotel-public", ("hotel_slug",)) in partial.skipped


def test_public_plan_needs_no_auth_and_explicit_channels_are_matched(
        contract: Contract) -> None:
    """The public reads only public channels; explicit names keep their contract channel id."""
    public = plan_subscriptions(contract, "public", {"hotel_slug": "hotel-paradise"})
    assert [c.name for c in public.channels] == ["hotel-hotel-paradise"]
    assert not public.needs_auth
    explicit = plan_subscriptions(contract, None, {}, ["booking.BK-2025-0002", "whatever"])
    assert [c.channel_id for c in explicit.channels] == ["guest-booking", None]


def test_plan_errors_name_the_problem(contract: Contract) -> None:
    """Unknown audiences, malformed parameters and nothing to read are refused clearly."""
    with pytest.raises(UnknownName, match="no audience 'guests'"):
        plan_subscriptions(contract, "guests", {})
    with pytest.raises(ParameterError, match="does not look like a booking_id"):
        plan_subscriptions(contract, "guest", {"booking_id": "42"})
    with pytest.raises(ParameterError, match="hotel_slug"):
        plan_subscriptions(contract, "staff", {})
    with pytest.raises(ProbeError, match="--as"):
        plan_subscriptions(contract, None, {})


def _judged(contract: Contract, lines: list[str]) -> list[CheckedRecord | Unreadable]:
    """Check a list of JSONL lines."""
    return list(check_lines(contract, io.StringIO("\n".join(lines))))


def test_check_accepts_probe_records_capture_records_and_raw_strings(
        contract: Contract) -> None:
    """Probe NDJSON, capture_events() dicts and channels lists all judge; stream lines skip."""
    checked_in = {"booking_id": "BK-2025-0002", "status": "IN_HOUSE", "room_number": "101",
                  "checked_in_at": "2025-06-01T14:00:00Z"}
    lines = [
        json.dumps({"type": "state", "state": "connected"}),
        json.dumps({"type": "event", "channel": "private-booking-BK-2025-0002",
                    "event": "booking_checked_in", "data": json.dumps(checked_in)}),
        json.dumps({"channel": "hotel-hotel-paradise", "event": "offer-created",
                    "data": {"offer": {"id": 1}}, "committed": True, "verdict": ["conforms"]}),
        json.dumps({"channels": ["private-booking-BK-2025-0002", "private-hotel-x-staff"],
                    "name": "booking_checked_in", "payload": checked_in}),
        "",
        json.dumps({"type": "summary", "events": 3}),
    ]
    results = _judged(contract, lines)
    assert all(isinstance(r, CheckedRecord) for r in results)
    verdicts = [(r.line, r.verdict.ok) for r in results if isinstance(r, CheckedRecord)]
    assert verdicts == [(2, True), (3, False), (4, True), (4, True)]


def test_check_reports_unreadable_lines_by_number(contract: Contract) -> None:
    """Lines that are not JSON objects with a channel, an event and data are reported."""
    results = _judged(contract, ["{not json", "[1, 2]", json.dumps({"event": "x"}),
                                 json.dumps({"event": "x", "channel": "c"})])
    assert [(r.line, type(r).__name__) for r in results] == [
        (1, "Unreadable"), (2, "Unreadable"), (3, "Unreadable"), (4, "Unreadable")]
    assert "not JSON" in results[0].to_dict()["problem"]


def _authorizer(handler: Any) -> EndpointAuthorizer:
    """An endpoint authorizer whose HTTP answers come from `handler` (an httpx mock)."""
    return EndpointAuthorizer("http://backend.test/pusher/auth", "tok-secret-1", "app-key",
                              transport=httpx.MockTransport(handler))


def test_endpoint_authorizer_posts_like_pusher_js() -> None:
    """Form-encoded socket_id and channel_name with a Bearer header; the auth is returned."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"auth": "app-key:abc"})

    result = _authorizer(handler).authorize("1.2", "private-x")
    assert result.auth == "app-key:abc"
    assert seen[0].headers["authorization"] == "Bearer tok-secret-1"
    assert seen[0].headers["content-type"] == "application/x-www-form-urlencoded"
    assert seen[0].content == b"socket_id=1.2&channel_name=private-x"


@pytest.mark.parametrize(("response", "text"), [
    (httpx.Response(200, json={"auth": "other-key:abc"}), "different apps"),
    (httpx.Response(200, json={"token": "x"}), 'without an "auth" signature'),
    (httpx.Response(200, text=""), "not with JSON"),
    (httpx.Response(302, headers={"location": "/login"}), "redirect to /login"),
    (httpx.Response(404, text="Not Found"), "no auth endpoint at this URL"),
    (httpx.Response(401, text="tok-secret-1 is bad"), "*** is bad"),
])
def test_endpoint_authorizer_explains_bad_answers(response: httpx.Response, text: str) -> None:
    """Wrong key, missing auth, empty body, redirects and 404s each get their own sentence."""
    with pytest.raises(AuthEndpointError) as caught:
        _authorizer(lambda request: response).authorize("1.2", "private-x")
    assert text in str(caught.value)
    assert "tok-secret-1" not in str(caught.value)


def test_meanings_differ_per_status() -> None:
    """401, 403 and 5xx explain different things."""
    assert len({meaning_of(401), meaning_of(403), meaning_of(500), meaning_of(503)}) == 3


def test_summary_and_stream_events_describe_themselves() -> None:
    """NDJSON shapes: state and gap lines, and the summary's ok flag."""
    state = StateChanged(state="connected", previous="connecting", socket_id="1.2",
                         activity_timeout=30.0).to_dict()
    assert state["type"] == "state" and state["activity_timeout"] == 30.0
    gap = Gap(disconnected_at=10.0, reconnected_at=12.5, reason="4200")
    assert gap.to_dict()["seconds"] == 2.5
    summary = ProbeSummary(until="offer-created")
    summary.subscribed.append("hotel-paradise")
    assert not summary.ok
    summary.until_seen = True
    assert summary.ok and summary.to_dict()["type"] == "summary"
    summary.error = "boom"
    assert not summary.ok
