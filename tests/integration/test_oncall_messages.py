"""doctor and triage say what is wrong, plainly, against a real soketi and real HTTP servers: the
right party blamed for a secret mismatch, an error page in one line, no "None", exit 2 when
nothing can be checked, and hints that name real commands."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hotelmate_rt.auth import Principal
from hotelmate_rt.cli.app import app
from hotelmate_rt.contracts import Contract
from hotelmate_rt.emitters import DeadEvent, DeadLetterFile
from hotelmate_rt.oncall import DoctorReport, Status, TriageOptions, run_triage
from hotelmate_rt.oncall.authcheck import DIAGNOSTIC_SOCKET_ID
from hotelmate_rt.testing.auth_server import AuthServer
from hotelmate_rt.testing.http import ServerThread
from hotelmate_rt.testing.soketi import SoketiServer
from tests.helpers import CONTRACT_PATH, run_cli
from tests.integration.test_doctor import (
    BOOKING,
    GUEST_TOKEN,
    HOTEL,
    STAFF_TOKEN,
    Misbehaving,
    doctor,
    env_for,
    send,
)

TOKENS = {GUEST_TOKEN: Principal.guest(BOOKING, HOTEL, "101"),
          STAFF_TOKEN: Principal.staff(HOTEL, user_id=7)}
DJANGO_404 = "\n".join([
    "<!DOCTYPE html>", '<html lang="en">', "<head>",
    '  <meta http-equiv="content-type" content="text/html; charset=utf-8">',
    "  <title>Page not found at /apps/4242/channels/private-booking-BK-0000-0000</title>",
    '  <meta name="robots" content="NONE,NOARCHIVE">', "  <style>",
    *[f"    .rule-{n} {{ padding: {n}px; }}" for n in range(60)],
    "  </style>", "</head>", "<body>", '  <div id="summary"><h1>Page not found '
    "<span>(404)</span></h1></div>", "  <p>Using the URLconf defined in backend.urls</p>",
    *[f"  <li>pattern {n}</li>" for n in range(12)], "</body>", "</html>"])
"""Django's DEBUG 404 page (about 80 lines), as a wrong port may answer it."""


class ErrorPage:
    """A stdlib HTTP server that answers every GET and POST with one HTML error page."""

    def __init__(self, status: int, page: str) -> None:
        """Serve `page` with `status` on a free port of 127.0.0.1."""

        class Handler(BaseHTTPRequestHandler):
            """Answer with the page, whatever was asked."""

            def log_message(self, *args: Any) -> None:
                """Keep the test output quiet."""

            def do_GET(self) -> None:
                """Answer the page."""
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                send(self, status, page, "text/html; charset=utf-8")

            do_POST = do_GET

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self.serving = ServerThread(server)

    @property
    def url(self) -> str:
        """The server's base URL."""
        return str(self.serving.url)

    def __enter__(self) -> ErrorPage:
        """Start serving."""
        self.serving.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop serving."""
        self.serving.stop()


@pytest.fixture(scope="module")
def auth(soketi: SoketiServer, contract: Contract) -> Iterator[AuthServer]:
    """The real Django auth view with the server's key and secret."""
    with AuthServer(contract, soketi.key, soketi.secret, TOKENS) as server:
        yield server


def report_text(report: DoctorReport) -> str:
    """Every text of a report (summaries, evidence, next actions) as one string."""
    return json.dumps(report.to_dict(), ensure_ascii=False)


def status_of(report: DoctorReport, prefix: str) -> dict[str, str]:
    """Map each check id starting with `prefix` to its status."""
    return {c.id: c.status.value for c in report.checks if c.id.startswith(prefix)}


# -- who is to blame for a secret mismatch ------------------------------------------------------


def test_a_wrong_pusher_secret_is_blamed_not_the_endpoint(soketi: SoketiServer,
                                                          auth: AuthServer) -> None:
    """Our PUSHER_SECRET is refused by the server and the endpoint's signatures are accepted:
    the secret is named, the endpoint's checks pass (they used to fail, blaming the endpoint)."""
    report = doctor(soketi, auth.url, env=env_for(soketi, PUSHER_SECRET="not-the-app-secret"))
    assert report.get("http-api.credentials").code == "wrong-secret"  # type: ignore[union-attr]
    assert status_of(report, "auth.") == {
        "auth.reachable": "pass", "auth.guest.own": "pass", "auth.guest.foreign": "pass",
        "auth.guest.staff": "pass", "auth.staff.own": "pass", "auth.staff.foreign": "pass"}
    own = report.get("auth.guest.own")
    assert own is not None and any("which the server refused" in e for e in own.evidence)
    assert set(status_of(report, "subscription.").values()) <= {"pass", "skip"}
    assert [c.id for c in report.failed] == ["http-api.credentials"]


def test_an_endpoint_with_another_secret_is_blamed(soketi: SoketiServer,
                                                   contract: Contract) -> None:
    """Our PUSHER_SECRET is proven by the HTTP API: the endpoint's other secret is its fault."""
    with AuthServer(contract, soketi.key, "the-endpoints-other-secret", TOKENS) as wrong:
        report = doctor(soketi, wrong.url)
    assert report.get("http-api.credentials").status is Status.PASS  # type: ignore[union-attr]
    assert report.get("auth.guest.own").code == "auth-wrong-secret"  # type: ignore[union-attr]
    refused = report.get("subscription.guest.guest-booking")
    assert refused is not None and refused.status is Status.FAIL
    assert "None" not in report_text(report)


def test_an_unproven_secret_is_a_warning_not_a_blame(soketi: SoketiServer,
                                                     auth: AuthServer) -> None:
    """Without an app id the HTTP API cannot prove our secret: a mismatch is only a warning."""
    env = env_for(soketi, PUSHER_SECRET="not-the-app-secret")
    del env["PUSHER_APP_ID"]
    report = doctor(soketi, auth.url, env=env)
    own = report.get("auth.guest.own")
    assert own is not None and own.status is Status.WARN and own.code == "auth-secret-differs"
    assert "one of the two is wrong" in own.summary


# -- an error page, a wrong port ------------------------------------------------------------------


def test_an_html_error_page_is_shown_as_its_title(soketi: SoketiServer, tmp_path: Path) -> None:
    """A wrong port answering Django's 80-line 404 page: one line with its title, everywhere."""
    with ErrorPage(404, DJANGO_404) as page:
        port = page.url.rsplit(":", 1)[1]
        report = doctor(soketi, env=env_for(soketi, PUSHER_PORT=port))
        emitted = run_cli("emit", "booking_updated", "--example", "-p", "hotel_slug=hotel-paradise",
                          "--timeout", "2", "-c", str(CONTRACT_PATH),
                          env=env_for(soketi, PUSHER_PORT=port), cwd=tmp_path)
    api = report.get("http-api.credentials")
    assert api is not None and api.code == "not-pusher"
    assert "server said: HTML page 'Page not found at /apps/4242/channels/private-booking-" \
           "BK-0000-0000'" in api.evidence
    ws = report.get("websocket.connect")
    assert ws is not None and ws.code == "not-pusher" and "HTTP 404" in ws.summary
    assert "enable TLS" not in ws.next_action
    assert not re.search(r"<(html|style|div|li)\b|-\+-\+-", report_text(report))
    assert emitted.returncode == 2
    assert "HTTP 404: HTML page 'Page not found at /apps/4242/" in emitted.stderr
    assert len(emitted.stderr.splitlines()) <= 3 and "<" not in emitted.stderr


def test_the_auth_endpoints_error_page_is_one_line(soketi: SoketiServer) -> None:
    """An endpoint crashing with an HTML 500 page is named by the page's title only."""
    with Misbehaving(lambda h, f: send(h, 500, DJANGO_404.replace("Page not found", "KeyError"),
                                       "text/html")) as endpoint:
        report = doctor(soketi, endpoint.url)
    check = report.get("auth.reachable")
    assert check is not None and check.code == "auth-5xx"
    assert re.search(r"500 \(the endpoint crashed\): HTML page 'KeyError at /apps/4242/channels/"
                     r"private-booking-BK-0000-0000' in \d+ ms$", check.evidence[0])
    assert "<" not in report_text(report)


def test_a_port_out_of_range_is_a_setting_error(soketi: SoketiServer) -> None:
    """PUSHER_PORT=600100 is named as the setting it is; the signed URL never shows."""
    report = doctor(soketi, env=env_for(soketi, PUSHER_PORT="600100"))
    backend = report.get("config.backend")
    assert backend is not None and backend.code == "invalid-setting"
    assert backend.summary == "PUSHER_PORT='600100' is not a port number (1-65535)"
    assert not re.search(r"auth_(key|signature|timestamp|version)", report_text(report))


# -- "(status None)" ------------------------------------------------------------------------------


def _flaky_endpoint(secret: str, key: str) -> Any:
    """An endpoint that answers the doctor's own questions right, then drops the probe's."""

    def answer(handler: Any, form: dict[str, str]) -> None:
        if not handler.headers.get("Authorization"):
            send(handler, 401, '{"error": "missing bearer token"}')
        elif form.get("socket_id") != DIAGNOSTIC_SOCKET_ID:
            handler.close_connection = True  # the probe's request: no answer at all
        elif form.get("channel_name") == f"private-booking-{BOOKING}":
            subject = f"{form['socket_id']}:{form['channel_name']}".encode()
            signature = hmac.new(secret.encode(), subject, hashlib.sha256).hexdigest()
            send(handler, 200, json.dumps({"auth": f"{key}:{signature}"}))
        else:
            send(handler, 403, '{"error": "another booking"}')

    return answer


def test_an_answer_without_a_status_never_reads_none(soketi: SoketiServer) -> None:
    """The endpoint drops the live subscription's request: the refusal is named, no 'None'."""
    with Misbehaving(_flaky_endpoint(soketi.secret, soketi.key)) as endpoint:
        report = doctor(soketi, endpoint.url, staff_token=None, room_number=None,
                        step_timeout=2.0)
    check = report.get("subscription.guest.guest-booking")
    assert check is not None and check.status is Status.FAIL and check.code == "auth-refused"
    assert report.get("auth.guest.own").status is Status.PASS  # type: ignore[union-attr]
    text = report_text(report)
    assert "None" not in text and "status None" not in text


# -- nothing configured, nothing to check -------------------------------------------------------


def test_doctor_without_any_setting_exits_2_in_one_sentence(tmp_path: Path) -> None:
    """No PUSHER_* at all: exit 2 saying what to set (it said 'app None key None', exit 1)."""
    for extra in ([], ["--json"]):
        result = run_cli("doctor", "--contract", str(CONTRACT_PATH), *extra, cwd=tmp_path)
        assert result.returncode == 2
        output = result.stdout + result.stderr
        assert "no Pusher settings found: set PUSHER_URL" in output
        assert "None" not in output.replace('"could_not_run"', "") and "Traceback" not in output
    human = run_cli("doctor", "--contract", str(CONTRACT_PATH), cwd=tmp_path)
    assert human.stdout == "" and len(human.stderr.strip().splitlines()) == 1


def test_doctor_with_a_partial_setting_says_not_set(soketi: SoketiServer) -> None:
    """Only a host and port: the header reads '(not set)', never 'None'."""
    result = CliRunner().invoke(app, ["doctor", "--contract", str(CONTRACT_PATH), "--budget", "5"],
                                env={"PUSHER_HOST": "127.0.0.1", "PUSHER_PORT": str(soketi.port),
                                     "CI": "true"})
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0].startswith(
        "hotelmate-rt doctor app (not set) key (not set) at http://127.0.0.1:")
    assert "None" not in result.stdout


def test_triage_with_nothing_to_check_exits_2(tmp_path: Path) -> None:
    """Triage with no settings, token, dead letter or watch: exit 2, not 'No problem found'."""
    result = run_cli("triage", "booking", BOOKING, "--contract", str(CONTRACT_PATH), "--json",
                     cwd=tmp_path)
    assert result.returncode == 2
    data = json.loads(result.stdout)
    assert data["could_not_run"].startswith(f"nothing could be checked for {BOOKING}: set PUSHER_URL")
    assert not data["verdict"].startswith("No problem found")


def test_triage_names_an_unreachable_endpoint_not_a_refusal(soketi: SoketiServer) -> None:
    """The auth endpoint is down: 'cannot reach', with the doctor's advice (it said 'refuses')."""
    report = run_triage(TriageOptions(
        booking_id=BOOKING, contract=CONTRACT_PATH, env=env_for(soketi), hotel_slug=HOTEL,
        auth_endpoint="http://127.0.0.1:9/pusher/auth", guest_token=GUEST_TOKEN,
        step_timeout=2.0))
    token = next(c for c in report.checks if c.id == "booking.token")
    assert token.code == "auth-unreachable"
    assert token.summary.startswith("cannot reach the auth endpoint")
    assert token.next_action == "start the backend or fix --auth-endpoint"
    assert "refuses" not in report.verdict and "cannot reach the auth endpoint" in report.verdict


def test_triage_dead_letter_hint_is_the_replay_command(soketi: SoketiServer,
                                                      tmp_path: Path) -> None:
    """The hint names `hotelmate-rt replay FILE`, a command that exists (not `emit replay`)."""
    dead = tmp_path / "dead.jsonl"
    DeadLetterFile(dead).append(DeadEvent(
        event="booking_checked_in", channels=[f"private-booking-{BOOKING}"],
        data=json.dumps({"booking_id": BOOKING}), error="timed out", status=None, attempts=3,
        failed_at=time.time(), ids={"booking_id": BOOKING}))
    report = run_triage(TriageOptions(booking_id=BOOKING, contract=CONTRACT_PATH,
                                      env=env_for(soketi), dead_letter=dead, step_timeout=2.0))
    check = next(c for c in report.checks if c.id == "sent.dead-letter")
    assert check.next_action == f"fix the cause, then resend: `hotelmate-rt replay {dead}`"
    replay = run_cli("replay", "--help")
    assert replay.returncode == 0 and "Resend every dead-lettered event" in replay.stdout


def test_an_unquoted_transition_is_named(soketi: SoketiServer) -> None:
    """`--expect CONFIRMED->IN_HOUSE` unquoted reaches triage as 'CONFIRMED-': say to quote it."""
    result = run_cli("triage", "booking", BOOKING, "--watch", "1", "--expect", "CONFIRMED-",
                     "--contract", str(CONTRACT_PATH), env=env_for(soketi))
    assert result.returncode == 2
    assert "error: --expect 'CONFIRMED-' lost its '>': quote a transition, --expect " \
           "'CONFIRMED->TO' (unquoted, the shell reads > as a redirection)" in result.stderr


def test_triage_rejects_a_bad_expect_before_it_says_watching(soketi: SoketiServer) -> None:
    """A bad --expect is a usage error before anything runs: no 'watching ...: perform the staff
    action now' line first (it was printed, then the error)."""
    for expect in ("CONFIRMED-", "booking_chekced_in"):
        result = run_cli("triage", "booking", BOOKING, "--watch", "1", "--expect", expect,
                         "--contract", str(CONTRACT_PATH), env=env_for(soketi))
        assert result.returncode == 2, result.stderr
        assert "watching" not in result.stdout + result.stderr
        assert result.stdout == "" and len(result.stderr.splitlines()) == 1
        assert result.stderr.startswith("error: ") and expect in result.stderr
