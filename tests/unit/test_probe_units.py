"""Probe building blocks without a server: signatures, close codes, plans, recordings, auth."""

from __future__ import annotations

import io
import json
import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

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
from hotelmate_rt.testing.http import ServerThread


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


@dataclass
class _Scripted:
    """What the local auth endpoint answers, and the requests it saw (headers, body)."""

    status: int = 200
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    seen: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@contextmanager
def _endpoint(answer: _Scripted) -> Iterator[EndpointAuthorizer]:
    """An endpoint authorizer talking to a real local HTTP server that answers `answer`."""

    class Handler(BaseHTTPRequestHandler):
        """Record each POST and answer it as scripted."""

        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            answer.seen.append(({k.lower(): v for k, v in self.headers.items()}, body))
            data = answer.body.encode()
            self.send_response(answer.status)
            for name, value in {"Content-Type": "application/json", **answer.headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            """Stay quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with ServerThread(server) as serving:
        authorizer = EndpointAuthorizer(f"{serving.url}/pusher/auth", "tok-secret-1", "app-key",
                                        timeout=2.0)
        try:
            yield authorizer
        finally:
            authorizer.close()


def test_endpoint_authorizer_posts_like_pusher_js() -> None:
    """Form-encoded socket_id and channel_name with a Bearer header, on one kept-alive
    connection; the auth is returned."""
    answer = _Scripted(body=json.dumps({"auth": "app-key:abc"}))
    with _endpoint(answer) as authorizer:
        results = [authorizer.authorize("1.2", "private-x") for _ in range(3)]
        connects = authorizer._http.connects if authorizer._http else 0
    assert [r.auth for r in results] == ["app-key:abc"] * 3
    headers, body = answer.seen[0]
    assert headers["authorization"] == "Bearer tok-secret-1"
    assert headers["content-type"] == "application/x-www-form-urlencoded"
    assert body == b"socket_id=1.2&channel_name=private-x"
    assert connects == 1


@pytest.mark.parametrize(("answer", "text"), [
    (_Scripted(body=json.dumps({"auth": "other-key:abc"})), "different apps"),
    (_Scripted(body=json.dumps({"token": "x"})), 'without an "auth" signature'),
    (_Scripted(body=""), "not with JSON"),
    (_Scripted(302, headers={"Location": "/login"}), "redirect to /login"),
    (_Scripted(404, "Not Found", {"Content-Type": "text/plain"}), "no auth endpoint at this URL"),
    (_Scripted(401, "tok-secret-1 is bad", {"Content-Type": "text/plain"}), "*** is bad"),
    (_Scripted(500, "<html><title>Server Error</title><body>trace ...</body></html>",
               {"Content-Type": "text/html"}), "HTML page 'Server Error'"),
])
def test_endpoint_authorizer_explains_bad_answers(answer: _Scripted, text: str) -> None:
    """Wrong key, missing auth, empty body, redirects, 404s and HTML pages each get their own
    sentence."""
    with _endpoint(answer) as authorizer, pytest.raises(AuthEndpointError) as caught:
        authorizer.authorize("1.2", "private-x")
    assert text in str(caught.value)
    assert "tok-secret-1" not in str(caught.value)


@pytest.mark.parametrize(("url", "text"), [
    ("", "not an http:// or https:// URL"),
    ("localhost:8000/pusher/auth", "not an http:// or https:// URL"),
    ("http://127.0.0.1:99999/pusher/auth", "port is not a number"),
])
def test_endpoint_authorizer_names_an_unusable_url(url: str, text: str) -> None:
    """A URL the authorizer cannot use is an unreachable endpoint with its reason, not a crash."""
    with pytest.raises(AuthEndpointError) as caught:
        EndpointAuthorizer(url, "tok-secret-1", "app-key").authorize("1.2", "private-x")
    assert text in str(caught.value) and caught.value.reason == "unreachable"


def test_endpoint_authorizer_names_a_refused_connection() -> None:
    """Nothing listening is 'could not reach', with the socket's own reason."""
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    authorizer = EndpointAuthorizer(f"http://127.0.0.1:{port}/auth", "tok-secret-1", "app-key",
                                    timeout=2.0)
    with pytest.raises(AuthEndpointError) as caught:
        authorizer.authorize("1.2", "private-x")
    assert "could not reach auth endpoint" in str(caught.value)
    assert "refused" in str(caught.value).lower()


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
