"""On-call building blocks without a server: settings, redaction, exit codes, names, rendering."""

from __future__ import annotations

import json
from pathlib import Path

import pusher.errors as perr
import pytest
import requests

from hotelmate_rt.cli.reporters.doctor import to_markdown as doctor_markdown
from hotelmate_rt.cli.reporters.triage import to_markdown as triage_markdown
from hotelmate_rt.contracts import load_contract
from hotelmate_rt.oncall import Check, DoctorReport, Section, Status, TriageReport
from hotelmate_rt.oncall.authcheck import signature_matches
from hotelmate_rt.oncall.checks import Budget, Checklist, RunContext, failed
from hotelmate_rt.oncall.doctor.advice import classify_ws
from hotelmate_rt.oncall.doctor.frontend import EnvName, _judge, env_names
from hotelmate_rt.oncall.httpapi import ApiFailure, classify
from hotelmate_rt.oncall.model import Redactor
from hotelmate_rt.probes.connection import ServerAddress
from hotelmate_rt.settings import FrontendSettings, PusherSettings, parse_env_text

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = load_contract(ROOT / "channels.yaml")


def check(status: Status, **extra: object) -> Check:
    """Build a check with a given status."""
    return Check(id="x", section=Section.CONFIG, title="X", status=status, summary="summary",
                 **extra)  # type: ignore[arg-type]


def test_env_text_parsing_handles_quotes_comments_and_export() -> None:
    """Dotenv lines: export, quotes, inline comments and blanks."""
    text = ('# comment\nexport PUSHER_KEY="abc def"\nPUSHER_SECRET=s3cr3t # note\n\n'
            "PUSHER_CLUSTER='eu'\nBROKEN LINE\n")
    assert parse_env_text(text) == {"PUSHER_KEY": "abc def", "PUSHER_SECRET": "s3cr3t",
                                    "PUSHER_CLUSTER": "eu"}


def test_pusher_url_and_variables_agree_or_are_reported() -> None:
    """PUSHER_URL fills everything; an explicit variable wins and the conflict is reported."""
    settings = PusherSettings.from_env({"PUSHER_URL": "http://k:zq-hidden-9@127.0.0.1:6001/apps/42",
                                        "PUSHER_KEY": "other"})
    assert (settings.app_id, settings.secret, settings.host, settings.port, settings.ssl) == \
        ("42", "zq-hidden-9", "127.0.0.1", 6001, False)
    assert settings.key == "other"
    assert settings.problems and "disagree" in settings.problems[0]
    assert "zq-hidden-9" not in json.dumps(settings.describe())


def test_custom_host_is_plain_unless_told_otherwise() -> None:
    """Like the emitter: a custom host defaults to plain HTTP, a cluster to TLS."""
    assert PusherSettings.from_env({"PUSHER_HOST": "soketi"}).ssl is False
    assert PusherSettings.from_env({"PUSHER_HOST": "soketi", "PUSHER_TLS": "true"}).ssl is True
    hosted = PusherSettings.from_env({"PUSHER_CLUSTER": "eu"})
    assert hosted.ssl is True and hosted.api_host == "api-eu.pusher.com"
    assert hosted.ws_host == "ws-eu.pusher.com"


def test_frontend_settings_read_cra_and_vite_names() -> None:
    """REACT_APP_ and VITE_ variables give pusher-js its key, cluster and host."""
    cra = FrontendSettings.from_values("a", {"REACT_APP_PUSHER_KEY": "k",
                                             "REACT_APP_PUSHER_CLUSTER": "eu"})
    vite = FrontendSettings.from_values("b", {"VITE_PUSHER_APP_KEY": "k",
                                              "VITE_PUSHER_HOST": "localhost",
                                              "VITE_PUSHER_PORT": "6001"})
    assert (cra.key, cra.cluster, cra.key_var) == ("k", "eu", "REACT_APP_PUSHER_KEY")
    assert (vite.key, vite.host, vite.port) == ("k", "localhost", 6001)


def test_redactor_hides_secrets_tokens_url_passwords_and_signatures() -> None:
    """Known values, bearer tokens, URL passwords and auth signatures never survive."""
    redactor = Redactor(["my-app-secret", "guest-token-1"])
    text = ("secret my-app-secret token guest-token-1 Authorization: Bearer abcdefghijklmnop "
            "http://key:pw123@host/apps/1 auth test-key:" + "a" * 64)
    out = redactor.text(text)
    for leaked in ("my-app-secret", "guest-token-1", "abcdefghijklmnop", "pw123", "a" * 64):
        assert leaked not in out
    assert "missing bearer token" in redactor.text("missing bearer token")
    assert redactor.value({"k": ["my-app-secret", 1]}) == {"k": ["***", 1]}


def test_doctor_exit_codes_and_headline() -> None:
    """0 when nothing fails (warnings included), 1 on any fail, 2 when it could not run."""
    report = DoctorReport([check(Status.PASS), check(Status.WARN), check(Status.SKIP)])
    assert report.exit_code == 0 and "1 warning" in report.headline
    report.checks.append(check(Status.FAIL, security=True))
    assert report.exit_code == 1 and report.headline.startswith("X: summary")
    assert report.to_dict()["security_findings"] == ["x"]
    assert DoctorReport([check(Status.PASS)], could_not_run="boom").exit_code == 2


def test_reports_redact_their_json_and_markdown() -> None:
    """A secret that reached a check is hidden in JSON and Markdown (redacted once, when built)."""
    checklist: Checklist[RunContext] = Checklist("doctor")

    @checklist.check("a", Section.AUTH, "A")
    def leaky(ctx: RunContext) -> object:
        return failed("saw my-app-secret", evidence=["evidence my-app-secret"],
                      next_action="rotate my-app-secret")

    ctx = RunContext(Redactor(["my-app-secret"]), Budget(5.0, 1.0))
    report = DoctorReport(list(checklist.run(ctx)))
    assert "my-app-secret" not in json.dumps(report.to_dict())
    assert "my-app-secret" not in doctor_markdown(report)
    triage = TriageReport("BK-2025-0002", ctx.redactor.text("verdict my-app-secret"),
                          checks=list(report.checks))
    assert "my-app-secret" not in triage_markdown(triage)
    assert "my-app-secret" not in json.dumps(triage.to_dict())


@pytest.mark.parametrize(("error", "kind"), [
    (perr.PusherBadAuth('{"error":"The secret authentication failed","code":401}'),
     ApiFailure.WRONG_SECRET),
    (perr.PusherBadRequest("Invalid signature: you should have sent HmacSHA256Hex(...auth_key"),
     ApiFailure.WRONG_SECRET),
    (perr.PusherBadRequest("Unknown auth_key"), ApiFailure.WRONG_KEY),
    (perr.PusherBadStatus('404: {"error":"The app 9 could not be found.","code":404}'),
     ApiFailure.WRONG_APP_ID),
    (perr.PusherForbidden("Application disabled"), ApiFailure.APP_DISABLED),
    (perr.PusherBadStatus("404: <html>Not Found</html>"), ApiFailure.NOT_PUSHER),
    (requests.exceptions.ConnectionError("[Errno 111] Connection refused"),
     ApiFailure.CONNECTION_REFUSED),
    (requests.exceptions.ConnectionError("Failed to resolve 'x' ([Errno -2] Name or service not "
                                         "known)"), ApiFailure.UNKNOWN_HOST),
    (requests.exceptions.SSLError("wrong version number"), ApiFailure.TLS_MISMATCH),
    (requests.exceptions.ReadTimeout("read timed out"), ApiFailure.TIMEOUT),
])
def test_http_api_failures_are_named(error: Exception, kind: ApiFailure) -> None:
    """Every SDK or network failure maps to a named cause, never 'error 401'."""
    named = classify(error, PusherSettings.from_env({"PUSHER_APP_ID": "9", "PUSHER_KEY": "k",
                                                     "PUSHER_SECRET": "s",
                                                     "PUSHER_HOST": "h"}))
    assert named.kind is kind
    assert "error 401" not in str(named)


@pytest.mark.parametrize(("reason", "codes", "tls", "expected"), [
    ("server closed the connection with code 4001", [4001], False, "unknown-app-key"),
    ("server closed the connection with code 4003", [], False, "app-disabled"),
    ("cannot connect: [Errno -2] Name or service not known", [], False, "wrong-host"),
    ("cannot connect: connection refused", [], False, "connection-refused"),
    ("cannot connect: [SSL: WRONG_VERSION_NUMBER] wrong version number", [], True,
     "tls-on-plain-port"),
])
def test_websocket_failures_are_named(reason: str, codes: list[int | None], tls: bool,
                                      expected: str) -> None:
    """4001, 4003, wrong host, refused and TLS on a plain port each get their own code."""
    server = ServerAddress("k", "h", 1, tls)
    assert classify_ws(reason, codes, server, PusherSettings())[0] == expected


def test_signature_check_matches_the_pusher_formula() -> None:
    """The local signature check agrees with the pusher SDK's own signer."""
    import pusher

    client = pusher.Pusher(app_id="1", key="key", secret="secret")
    auth = client.authenticate(channel="private-x", socket_id="1.2")["auth"]
    assert signature_matches(auth, "key", "secret", "1.2", "private-x")
    assert not signature_matches(auth, "key", "other", "1.2", "private-x")


def test_frontend_names_are_judged_against_the_contract() -> None:
    """Seed mistakes: public channel with auth, alias-only channel, wrong and unknown events."""
    uses = [EnvName("subscribe", "booking.${bookingId}", "a.js:1", auth_headers=True),
            EnvName("subscribe", "private-booking-${bookingId}", "a.js:2", True),
            EnvName("subscribe", "hotel-paradise", "a.js:3", False),
            EnvName("bind", "message-received", "a.js:4", False),
            EnvName("bind", "booking_checkedin", "a.js:5", False),
            EnvName("bind", "booking_checked_in", "a.js:6", False)]
    found = {(o.code, o.evidence[0]) for use in uses for o in _judge(CONTRACT, use)}
    assert found == {("public-channel-with-auth", "a.js:1"), ("deprecated-channel", "a.js:1"),
                     ("deprecated-event", "a.js:4"), ("unknown-event", "a.js:5")}


def test_env_channel_variables_become_uses() -> None:
    """…CHANNEL… and …EVENT… variables are read as uses; an auth endpoint means auth headers."""
    settings = FrontendSettings.from_values("f", {
        "REACT_APP_PUSHER_AUTH_ENDPOINT": "/pusher/auth",
        "REACT_APP_BOOKING_CHANNEL": "booking.{bookingId}",
        "VITE_CHAT_EVENTS": "new-staff-message, message-received"})
    uses = env_names(settings)
    assert {(u.kind, u.name, u.auth_headers) for u in uses} == {
        ("subscribe", "booking.{bookingId}", True), ("bind", "new-staff-message", True),
        ("bind", "message-received", True)}
