"""doctor against a real soketi and a real auth endpoint: each failure named, exit codes right."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from typer.testing import CliRunner

from hotelmate_rt.auth import Principal
from hotelmate_rt.cli.app import app
from hotelmate_rt.contracts import Contract
from hotelmate_rt.oncall import DoctorOptions, DoctorReport, Status, run_doctor
from hotelmate_rt.testing.auth_server import AuthServer
from hotelmate_rt.testing.http import ServerThread
from hotelmate_rt.testing.soketi import SoketiServer, free_port
from tests.helpers import env_for

ROOT = Path(__file__).resolve().parents[2]
BOOKING = "BK-2025-0002"
HOTEL = "hotel-paradise"
GUEST_TOKEN = "guest-token-0002-abcdef"
STAFF_TOKEN = "staff-token-7-abcdef"
ORIGIN = "http://localhost:3000"


@pytest.fixture(scope="module")
def auth(soketi: SoketiServer, contract: Contract) -> Iterator[AuthServer]:
    """The real Django auth view for one guest and one staff member, CORS for ORIGIN."""
    tokens = {GUEST_TOKEN: Principal.guest(BOOKING, HOTEL, "101"),
              STAFF_TOKEN: Principal.staff(HOTEL, user_id=7)}
    with AuthServer(contract, soketi.key, soketi.secret, tokens, origin=ORIGIN) as server:
        yield server


def doctor(server: SoketiServer, auth_url: str | None = None, env: dict[str, str] | None = None,
           **options: Any) -> DoctorReport:
    """Run the doctor against `server` with the usual guest, staff and booking options."""
    defaults: dict[str, Any] = {
        "env": env if env is not None else env_for(server), "auth_endpoint": auth_url,
        "guest_token": GUEST_TOKEN if auth_url else None,
        "staff_token": STAFF_TOKEN if auth_url else None, "booking_id": BOOKING,
        "hotel_slug": HOTEL, "room_number": "101", "contract": ROOT / "channels.yaml",
        "step_timeout": 3.0, "round_trips": 2}
    defaults.update(options)
    return run_doctor(DoctorOptions(**defaults))


def failed(report: DoctorReport) -> dict[str, str]:
    """Map each failed check id to its code."""
    return {c.id: c.code for c in report.checks if c.status is Status.FAIL}


class Misbehaving:
    """A stdlib HTTP server in a thread that answers the auth endpoint in one broken way."""

    def __init__(self, answer: Callable[[BaseHTTPRequestHandler, dict[str, str]], None]) -> None:
        """Serve `answer(handler, form)` for every POST (OPTIONS gets 204 without CORS)."""
        respond = answer

        class Handler(BaseHTTPRequestHandler):
            """Answer every request with the chosen misbehaviour."""

            def log_message(self, *args: Any) -> None:
                """Keep the test output quiet."""

            def do_OPTIONS(self) -> None:
                """Answer a preflight without any CORS header."""
                self.send_response(204)
                self.end_headers()

            def do_POST(self) -> None:
                """Answer the auth request."""
                length = int(self.headers.get("content-length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                respond(self, form)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self.serving = ServerThread(server)

    @property
    def url(self) -> str:
        """The endpoint URL."""
        return f"{self.serving.url}/pusher/auth"

    def __enter__(self) -> Misbehaving:
        """Start serving."""
        self.serving.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop serving."""
        self.serving.stop()


def send(handler: BaseHTTPRequestHandler, status: int, body: str,
         content_type: str = "application/json") -> None:
    """Write one HTTP response."""
    data = body.encode()
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def test_healthy_setup_passes_with_exit_0_in_under_5_seconds(soketi: SoketiServer,
                                                           auth: AuthServer) -> None:
    """Everything right: every check passes (or skips with a reason) and the run is fast."""
    started = time.monotonic()
    report = doctor(soketi, auth.url, origin=ORIGIN)
    elapsed = time.monotonic() - started
    assert failed(report) == {}, [c.to_dict() for c in report.checks if c.status is Status.FAIL]
    assert report.exit_code == 0
    assert elapsed < 5.0
    statuses = {c.id: c.status for c in report.checks}
    for check_id in ("config.backend", "config.contract", "http-api.credentials",
                     "websocket.connect", "auth.reachable", "auth.cors", "auth.guest.own",
                     "auth.guest.foreign", "auth.guest.staff", "auth.staff.own",
                     "auth.staff.foreign", "subscription.guest.guest-booking",
                     "subscription.staff.hotel-staff", "round-trip"):
        assert statuses[check_id] is Status.PASS, check_id
    round_trip = report.get("round-trip")
    assert round_trip is not None and round_trip.data["p50_ms"] > 0


def test_wrong_key_is_named_unknown_app_key_4001(soketi: SoketiServer) -> None:
    """A key the server does not know: the websocket check names 4001."""
    report = doctor(soketi, env=env_for(soketi, PUSHER_KEY="no-such-key"))
    assert failed(report)["websocket.connect"] == "unknown-app-key"
    check = report.get("websocket.connect")
    assert check is not None and "4001" in check.summary and "no-such-key" in check.summary
    assert report.exit_code == 1


def test_wrong_secret_is_named_wrong_secret(soketi: SoketiServer) -> None:
    """A wrong secret is a wrong secret, not 'error 401', and it is never shown."""
    report = doctor(soketi, env=env_for(soketi, PUSHER_SECRET="not-the-secret-at-all"))
    assert failed(report)["http-api.credentials"] == "wrong-secret"
    check = report.get("http-api.credentials")
    assert check is not None and check.summary.startswith("wrong app secret")
    assert "not-the-secret-at-all" not in json.dumps(report.to_dict())
    assert report.exit_code == 1


def test_wrong_app_id_is_named(soketi: SoketiServer) -> None:
    """An app id the server does not have is named as a wrong app id."""
    report = doctor(soketi, env=env_for(soketi, PUSHER_APP_ID="999999"))
    assert failed(report)["http-api.credentials"] == "wrong-app-id"


def test_wrong_port_is_named_connection_refused(soketi: SoketiServer) -> None:
    """Nothing listens on the port: HTTP API and websocket both say connection refused."""
    report = doctor(soketi, env=env_for(soketi, PUSHER_PORT=str(free_port())))
    codes = failed(report)
    assert codes["http-api.credentials"] == "connection-refused"
    assert codes["websocket.connect"] == "connection-refused"
    assert report.get("round-trip").status is Status.SKIP  # type: ignore[union-attr]
    assert report.exit_code == 1


def test_wrong_host_is_named(soketi: SoketiServer) -> None:
    """A host that does not resolve is named as a wrong host."""
    report = doctor(soketi, env=env_for(soketi, PUSHER_HOST="soketi.invalid"))
    codes = failed(report)
    assert codes["http-api.credentials"] == "unknown-host"
    assert codes["websocket.connect"] == "wrong-host"


def test_tls_on_a_plain_port_is_named(soketi: SoketiServer) -> None:
    """TLS spoken to soketi's plain port is named as such on both paths."""
    report = doctor(soketi, env=env_for(soketi, PUSHER_TLS="true"), step_timeout=1.5)
    codes = failed(report)
    assert codes["http-api.credentials"] == "tls-mismatch"
    assert codes["websocket.connect"] == "tls-on-plain-port"


def test_disabled_app_is_named_4003() -> None:
    """An app disabled on the server: the websocket check names 4003."""
    server = SoketiServer(free_port(), "4343", "disabled-key", "disabled-secret",
                          extra_env={"SOKETI_DEFAULT_APP_ENABLED": "false"})
    try:
        server.start()
    except Exception as exc:  # the conftest's helper gives the install hint; keep it short here
        pytest.fail(f"soketi failed to start: {exc}", pytrace=False)
    try:
        report = doctor(server)
    finally:
        server.close()
    assert failed(report)["websocket.connect"] == "app-disabled"
    assert "4003" in report.get("websocket.connect").summary  # type: ignore[union-attr]


@pytest.mark.parametrize(("answer", "code", "words"), [
    (lambda h, f: send(h, 500, '{"error": "boom"}'), "auth-5xx", "crashed"),
    (lambda h, f: send(h, 200, "<!DOCTYPE html><html><head><title>Log in</title></head></html>",
                       "text/html"), "auth-html", "HTML page"),
    (lambda h, f: send(h, 200, "ok", "text/plain"), "auth-not-json", "not JSON"),
    (lambda h, f: (time.sleep(2.0), send(h, 401, "{}")), "auth-timeout", "timeout"),
], ids=["500", "html", "not-json", "timeout"])
def test_broken_auth_endpoint_is_named(soketi: SoketiServer, answer: Any, code: str,
                                       words: str) -> None:
    """500, an HTML page, a non-JSON body and a sleeping endpoint are each named."""
    with Misbehaving(answer) as endpoint:
        report = doctor(soketi, endpoint.url, step_timeout=0.8)
    check = report.get("auth.reachable")
    assert check is not None and check.status is Status.FAIL
    assert check.code == code
    assert words in check.summary
    assert report.exit_code == 1


def test_auth_endpoint_404_is_named(soketi: SoketiServer, auth: AuthServer) -> None:
    """A URL with no auth view behind it (the real server, wrong path) is named 404."""
    report = doctor(soketi, auth.url.replace("/pusher/auth", "/pusher/authz"))
    check = report.get("auth.reachable")
    assert check is not None and check.code == "auth-404" and "404" in check.summary


def test_unknown_guest_token_is_named_401(soketi: SoketiServer, auth: AuthServer) -> None:
    """A token the endpoint does not know is named 401, and never printed."""
    report = doctor(soketi, auth.url, guest_token="expired-guest-token-123456")
    check = report.get("auth.guest.own")
    assert check is not None and check.code == "auth-401"
    assert "token was not accepted" in check.summary
    assert "expired-guest-token-123456" not in json.dumps(report.to_dict())


def test_guest_refused_its_own_channel_is_named_403(soketi: SoketiServer,
                                                     auth: AuthServer) -> None:
    """A valid guest token refused the booking asked about is named 403."""
    report = doctor(soketi, auth.url, booking_id="BK-2025-0003")
    check = report.get("auth.guest.own")
    assert check is not None and check.code == "auth-403" and "403" in check.summary


def test_missing_cors_header_is_named(soketi: SoketiServer, contract: Contract) -> None:
    """An endpoint without CORS for the frontend origin fails the CORS check."""
    tokens = {GUEST_TOKEN: Principal.guest(BOOKING, HOTEL, "101")}
    with AuthServer(contract, soketi.key, soketi.secret, tokens, origin=None) as endpoint:
        report = doctor(soketi, endpoint.url, staff_token=None, origin=ORIGIN)
    check = report.get("auth.cors")
    assert check is not None and check.status is Status.FAIL and check.code == "cors"
    assert "Access-Control-Allow-Origin" in check.summary
    assert report.exit_code == 1


def test_endpoint_authorizing_a_foreign_booking_is_a_security_finding(
        soketi: SoketiServer) -> None:
    """An endpoint that signs any channel for any token: fail, flagged as security."""

    def sign_everything(handler: BaseHTTPRequestHandler, form: dict[str, str]) -> None:
        if "authorization" not in {k.lower() for k in handler.headers}:
            send(handler, 401, '{"error": "no token"}')
            return
        subject = f"{form['socket_id']}:{form['channel_name']}"
        digest = hmac.new(soketi.secret.encode(), subject.encode(), hashlib.sha256).hexdigest()
        send(handler, 200, json.dumps({"auth": f"{soketi.key}:{digest}"}))

    with Misbehaving(sign_everything) as endpoint:
        report = doctor(soketi, endpoint.url)
    foreign = report.get("auth.guest.foreign")
    assert foreign is not None and foreign.status is Status.FAIL
    assert foreign.code == "authorizes-foreign" and foreign.security
    assert "auth.guest.foreign" in report.to_dict()["security_findings"]
    assert report.get("auth.guest.own").status is Status.PASS  # type: ignore[union-attr]
    assert report.exit_code == 1


def test_public_channel_with_auth_headers_in_frontend_config(soketi: SoketiServer,
                                                             tmp_path: Path) -> None:
    """Seed 000's mistake in the frontend env: a public booking channel behind auth headers."""
    env_file = tmp_path / ".env"
    env_file.write_text(f"REACT_APP_PUSHER_KEY={soketi.key}\n"
                        f"REACT_APP_PUSHER_HOST={soketi.host}\n"
                        f"REACT_APP_PUSHER_PORT={soketi.port}\n"
                        "REACT_APP_PUSHER_AUTH_ENDPOINT=http://localhost:8000/pusher/auth\n"
                        "REACT_APP_BOOKING_CHANNEL=booking.{bookingId}\n")
    report = doctor(soketi, frontend_env=env_file)
    codes = {c.code for c in report.checks if c.status is Status.FAIL}
    assert "public-channel-with-auth" in codes
    assert "deprecated-channel" in codes
    finding = next(c for c in report.checks if c.code == "public-channel-with-auth")
    assert finding.security and "private-booking-{booking_id}" in finding.summary
    assert report.get("config.frontend").status is Status.PASS  # type: ignore[union-attr]
    assert report.exit_code == 1


def test_frontend_sources_with_seed_mistakes(soketi: SoketiServer, tmp_path: Path) -> None:
    """Seed 000/001 code in --frontend-src: public channel with auth, wrong event names."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "BookingStatusPage.jsx").write_text(
        "const pusher = new Pusher(process.env.REACT_APP_PUSHER_KEY, {\n"
        "  cluster: process.env.REACT_APP_PUSHER_CLUSTER,\n"
        "  auth: { headers: { 'Authorization': `Bearer ${token}` } }\n"
        "});\n"
        "const channel = pusher.subscribe(`booking.${bookingId}`);\n"
        "channel.bind('booking_checked_in', handleCheckedIn);\n"
        "channel.bind('pusher:subscription_error', onError);\n")
    (src / "GuestChat.jsx").write_text(
        "const channel = pusher.subscribe(`${hotelSlug}-room-${roomNumber}-chat`);\n"
        "channel.bind('message-received', handleMessage);\n"
        "channel.bind('new-staff-mesage', handleMessage);\n")
    report = doctor(soketi, frontend_src=src)
    found = {(c.code, c.evidence[0]) for c in report.checks if c.section.value == "frontend"}
    assert ("public-channel-with-auth", "BookingStatusPage.jsx:5") in found
    assert ("deprecated-channel", "GuestChat.jsx:1") in found
    assert ("deprecated-event", "GuestChat.jsx:2") in found
    unknown = next(c for c in report.checks if c.code == "unknown-event")
    assert "did you mean" in unknown.summary and "new-staff-message" in unknown.summary
    assert not any("booking_checked_in" in c.title for c in report.checks)


def test_frontend_key_mismatch_is_named(soketi: SoketiServer, tmp_path: Path) -> None:
    """The frontend and backend keys differ: named as a key mismatch."""
    env_file = tmp_path / ".env"
    env_file.write_text(f"VITE_PUSHER_KEY=other-key\nVITE_PUSHER_HOST={soketi.host}\n")
    report = doctor(soketi, frontend_env=env_file)
    assert failed(report)["config.frontend"] == "key-mismatch"


def test_without_credentials_round_trip_says_what_was_skipped(soketi: SoketiServer) -> None:
    """No secret: the HTTP API and round trip are skipped with a reason; exit stays 0."""
    env = env_for(soketi)
    del env["PUSHER_SECRET"]
    report = doctor(soketi, env=env)
    round_trip = report.get("round-trip")
    assert round_trip is not None and round_trip.status is Status.SKIP
    assert "no app secret" in round_trip.summary
    assert report.get("config.backend").status is Status.WARN  # type: ignore[union-attr]
    assert report.exit_code == 0


def test_budget_bounds_the_run(soketi: SoketiServer) -> None:
    """A sleeping auth endpoint cannot stretch the run past its budget."""

    def sleep(handler: BaseHTTPRequestHandler, form: dict[str, str]) -> None:
        time.sleep(3.0)
        send(handler, 401, "{}")

    with Misbehaving(sleep) as endpoint:
        started = time.monotonic()
        report = doctor(soketi, endpoint.url, budget=1.5, step_timeout=5.0)
        elapsed = time.monotonic() - started
    assert elapsed < 3.0
    assert any(c.code == "budget" for c in report.checks)


def test_cli_json_markdown_exit_codes_and_redaction(soketi: SoketiServer, auth: AuthServer,
                                                    tmp_path: Path) -> None:
    """The CLI: --json and --markdown carry the verdicts, exit 1 on a failure, no secret shown."""
    env = {f"{k}": v for k, v in env_for(soketi, PUSHER_SECRET="a-wrong-secret-value").items()}
    env["HOTELMATE_RT_GUEST_TOKEN"] = GUEST_TOKEN
    args = ["doctor", "--auth-endpoint", auth.url, "--booking", BOOKING, "--hotel", HOTEL,
            "--contract", str(ROOT / "channels.yaml"), "--timeout", "3"]
    runner = CliRunner()
    result = runner.invoke(app, [*args, "--json"], env=env)
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["exit_code"] == 1
    codes = {c["id"]: c["code"] for c in data["checks"]}
    assert codes["http-api.credentials"] == "wrong-secret"
    for secret in ("a-wrong-secret-value", GUEST_TOKEN):
        assert secret not in result.output
    markdown = runner.invoke(app, [*args, "--markdown"], env=env)
    assert markdown.exit_code == 1
    assert markdown.stdout.startswith("## hotelmate-rt doctor: FAIL")
    assert "| ❌ | HTTP API credentials" in markdown.stdout
    human = runner.invoke(app, args, env=env)
    assert human.exit_code == 1
    assert "wrong app secret" in human.stdout
    for text in (markdown.stdout, human.stdout):
        assert "a-wrong-secret-value" not in text and GUEST_TOKEN not in text
    healthy = runner.invoke(app, [*args, "--json"], env={**env_for(soketi),
                                                         "HOTELMATE_RT_GUEST_TOKEN": GUEST_TOKEN})
    assert healthy.exit_code == 0, healthy.stdout


def test_cli_exit_2_when_it_cannot_run(tmp_path: Path) -> None:
    """An unreadable --frontend-env means the doctor could not run: exit 2, one line."""
    result = CliRunner().invoke(app, ["doctor", "--frontend-env", str(tmp_path / "missing.env"),
                                      "--contract", str(ROOT / "channels.yaml")],
                                env={"PUSHER_KEY": "k"})
    assert result.exit_code == 2
    assert "cannot read env file" in result.output
    assert "Traceback" not in result.output
