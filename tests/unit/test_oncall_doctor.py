"""Doctor checks against scripted local servers (no soketi): each branch named, redacted, skipped."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from hotelmate_rt.auth import Principal
from hotelmate_rt.contracts import Contract, load_contract
from hotelmate_rt.oncall import DoctorOptions, DoctorReport, Status, run_doctor
from hotelmate_rt.testing.auth_server import AuthServer
from hotelmate_rt.testing.http import ServerThread
from hotelmate_rt.testing.soketi import free_port
from tests.conftest import TEST_APP_ID, TEST_KEY, TEST_SECRET

ROOT = Path(__file__).resolve().parents[2]
CONTRACT_PATH = ROOT / "channels.yaml"
BOOKING = "BK-2025-0002"
HOTEL = "hotel-paradise"
GUEST = "guest-token-unit-0002"
STAFF = "staff-token-unit-7"
ORIGIN = "http://localhost:3000"

Answer = Callable[[BaseHTTPRequestHandler], None]


def answer(status: int, body: Any, content_type: str = "application/json") -> Answer:
    """Script one HTTP answer (a dict body is sent as JSON)."""
    data = (json.dumps(body) if not isinstance(body, str) else body).encode()

    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    return respond


def scripted(respond: Answer) -> ServerThread:
    """A local HTTP server that answers every GET with `respond` (the Pusher HTTP API's role)."""

    class Handler(BaseHTTPRequestHandler):
        """Answer every GET with the scripted answer."""

        def do_GET(self) -> None:
            respond(self)

        def log_message(self, *args: Any) -> None:
            """Stay quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    return ServerThread(server)


def env_for(port: int, **changes: str) -> dict[str, str]:
    """The backend PUSHER_* environment pointing at a local port."""
    env = {"PUSHER_APP_ID": TEST_APP_ID, "PUSHER_KEY": TEST_KEY, "PUSHER_SECRET": TEST_SECRET,
           "PUSHER_HOST": "127.0.0.1", "PUSHER_PORT": str(port)}
    env.update(changes)
    return env


def doctor(env: dict[str, str], **options: Any) -> DoctorReport:
    """Run the doctor with short timeouts."""
    defaults: dict[str, Any] = {"env": env, "contract": CONTRACT_PATH, "step_timeout": 1.0,
                                "budget": 15.0, "round_trips": 1}
    defaults.update(options)
    return run_doctor(DoctorOptions(**defaults))


@pytest.fixture(scope="module")
def contract() -> Contract:
    """The shipped contract."""
    return load_contract(CONTRACT_PATH)


@pytest.fixture(scope="module")
def auth(contract: Contract) -> Iterator[AuthServer]:
    """The real Django auth view signing with the test app's key and secret, CORS for ORIGIN."""
    tokens = {GUEST: Principal.guest(BOOKING, HOTEL, "101"), STAFF: Principal.staff(HOTEL, 7)}
    with AuthServer(contract, TEST_KEY, TEST_SECRET, tokens, origin=ORIGIN) as server:
        yield server


@pytest.mark.parametrize(("respond", "status", "code"), [
    (answer(200, {"occupied": False, "subscription_count": 0}), Status.PASS, ""),
    (answer(401, {"error": "The secret authentication failed", "code": 401}), Status.FAIL,
     "wrong-secret"),
    (answer(404, {"error": "The app 4242 could not be found.", "code": 404}), Status.FAIL,
     "wrong-app-id"),
    (answer(404, "<html>nginx</html>", "text/html"), Status.FAIL, "not-pusher"),
    (answer(200, {"error": "Unknown auth_key", "code": 401}), Status.FAIL, "wrong-key"),
], ids=["ok", "wrong-secret", "wrong-app-id", "not-pusher", "soketi-200-error"])
def test_http_api_answers_are_named(respond: Answer, status: Status, code: str) -> None:
    """Each scripted HTTP API answer gets its named cause, and the secret is never shown."""
    with scripted(respond) as api:
        report = doctor(env_for(api.port))
    check = report.get("http-api.credentials")
    assert check is not None and (check.status, check.code) == (status, code), check
    assert TEST_SECRET not in json.dumps(report.to_dict())


def test_nothing_listening_names_refused_and_skips_what_needs_it() -> None:
    """A closed port: HTTP API and websocket say refused; the round trip names the failed need."""
    report = doctor(env_for(free_port()))
    assert report.get("http-api.credentials").code == "connection-refused"  # type: ignore[union-attr]
    assert report.get("websocket.connect").code == "connection-refused"  # type: ignore[union-attr]
    round_trip = report.get("round-trip")
    assert round_trip is not None and round_trip.status is Status.SKIP
    assert "needs http-api.credentials" in round_trip.summary and "failed" in round_trip.summary
    assert report.exit_code == 1


def test_tls_spoken_to_a_plain_http_port_is_named() -> None:
    """PUSHER_USE_TLS=true against a plain server: both paths say TLS on a plain port."""
    with scripted(answer(200, {"occupied": False})) as api:
        report = doctor(env_for(api.port, PUSHER_USE_TLS="true"))
    assert report.get("http-api.credentials").code == "tls-mismatch"  # type: ignore[union-attr]
    assert report.get("websocket.connect").code == "tls-on-plain-port"  # type: ignore[union-attr]


def test_configuration_checks_name_missing_and_conflicting_settings(tmp_path: Path) -> None:
    """No key, a URL/host conflict, an unusable port, a secret in the frontend env."""
    no_key = doctor({"PUSHER_APP_ID": TEST_APP_ID}).get("config.backend")
    assert no_key is not None and no_key.code == "missing-key"
    url = f"http://{TEST_KEY}:{TEST_SECRET}@a.example:6001/apps/{TEST_APP_ID}"
    conflict = doctor({"PUSHER_URL": url, "PUSHER_HOST": "127.0.0.1", "PUSHER_PORT": "1"},
                      budget=2.0).get("config.backend")
    assert conflict is not None and conflict.code == "inconsistent"
    assert "PUSHER_HOST wins" in conflict.summary
    bad = doctor({"PUSHER_KEY": "k", "PUSHER_PORT": "http"}).get("config.backend")
    assert bad is not None and bad.code == "invalid-setting"
    front = tmp_path / ".env"
    front.write_text(f"VITE_PUSHER_KEY={TEST_KEY}\nVITE_PUSHER_SECRET={TEST_SECRET}\n")
    leak = doctor(env_for(free_port()), frontend_env=front).get("config.frontend")
    assert leak is not None and leak.code == "secret-in-frontend" and leak.security
    assert TEST_SECRET not in json.dumps(leak.to_dict())


def test_auth_endpoint_checks_against_the_real_view(auth: AuthServer) -> None:
    """Own channels signed with the app secret, other booking and hotel refused, CORS allowed."""
    report = doctor(env_for(free_port()), auth_endpoint=auth.url, guest_token=GUEST,
                    staff_token=STAFF, booking_id=BOOKING, hotel_slug=HOTEL, origin=ORIGIN)
    statuses = {c.id: c.status for c in report.checks if c.id.startswith("auth.")}
    assert statuses == {check_id: Status.PASS for check_id in (
        "auth.reachable", "auth.cors", "auth.guest.own", "auth.guest.foreign", "auth.guest.staff",
        "auth.staff.own", "auth.staff.foreign")}
    assert GUEST not in json.dumps(report.to_dict())
    subscription = report.get("subscription")
    assert subscription is not None and subscription.status is Status.SKIP
    assert "needs websocket.connect" in subscription.summary


def test_auth_checks_left_out_or_skipped_by_what_was_given(auth: AuthServer) -> None:
    """No --origin: no CORS check; no --booking: the guest's own channel says what to pass."""
    report = doctor(env_for(free_port()), auth_endpoint=auth.url, guest_token=GUEST)
    ids = {c.id for c in report.checks}
    assert "auth.cors" not in ids and "auth.staff.foreign" not in ids
    own = report.get("auth.guest.own")
    assert own is not None and own.status is Status.SKIP and "--booking" in own.summary
    without = doctor(env_for(free_port()))
    reachable = without.get("auth.reachable")
    assert reachable is not None and reachable.summary == "skipped: no --auth-endpoint given"
    assert not any(c.id.startswith("auth.guest") for c in without.checks)


def test_frontend_sources_go_through_the_scan_with_its_levels(tmp_path: Path) -> None:
    """--frontend-src findings come from the scan; error -> fail, warning -> warn."""
    (tmp_path / "Chat.jsx").write_text(
        "const channel = pusher.subscribe(`${hotelSlug}-room-${roomNumber}-chat`);\n"
        "channel.bind('message-received', onMessage);\n"
        "channel.bind('new-staff-mesage', onMessage);\n")
    report = doctor(env_for(free_port()), frontend_src=tmp_path)
    found = {(c.code, c.status, c.evidence[0]) for c in report.checks
             if c.section.value == "frontend"}
    assert ("deprecated-channel", Status.WARN, "Chat.jsx:1") in found  # a warning in the scan
    assert ("deprecated-event", Status.FAIL, "Chat.jsx:2") in found  # a wrong name: an error
    assert ("unknown-event", Status.FAIL, "Chat.jsx:3") in found


LIFECYCLE_TREES = ROOT / "tests" / "fixtures" / "scan" / "lifecycle"


def frontend_codes(tree: str) -> set[tuple[str, Status, str]]:
    """The doctor's frontend results (code, status, where) for one lifecycle fixture tree."""
    report = doctor(env_for(free_port()), frontend_src=LIFECYCLE_TREES / tree / "frontend")
    return {(c.code, c.status, c.evidence[0] if c.evidence else "") for c in report.checks
            if c.section.value == "frontend"}


def test_frontend_check_reports_the_seeds_lifecycle_mistakes_as_doctor_codes() -> None:
    """Seed 001's unmounting component and seed 004's disconnect in cleanup fail the doctor."""
    chat = frontend_codes("guest-chat-wrong")
    assert ("lifecycle-shared-unsubscribe", Status.FAIL, "src/chat/GuestChat.jsx:19") in chat
    assert ("lifecycle-stale-subscription", Status.FAIL, "src/chat/GuestChat.jsx:13") in chat
    offers = frontend_codes("offers-wrong")
    assert ("lifecycle-shared-teardown", Status.FAIL,
            "src/components/hotels/OffersSection.jsx:27") in offers
    assert all(status is Status.FAIL for _, status, _ in chat | offers)


def test_frontend_check_leaves_warning_level_lifecycle_findings_and_correct_code_alone() -> None:
    """Warning-level lifecycle rules (a client per mount, no catch-up) and correct trees pass."""
    for tree in ("clients-wrong", "guest-chat-correct", "offers-correct"):
        assert {code for code, _, _ in frontend_codes(tree)} == {""}, tree


def test_a_lifecycle_finding_is_coded_by_its_rule_and_level_never_its_message() -> None:
    """The same lifecycle rule is a doctor code at error level and nothing when turned down."""
    from hotelmate_rt.oncall.doctor.frontend import doctor_code
    from hotelmate_rt.scan import Finding, Level, ScanRule

    rule = ScanRule.LIFECYCLE_HANDLER_LEAK
    finding = Finding(rule, Level.ERROR, "unknown-event wrong name", "a.jsx", 1, 1)
    assert doctor_code(finding) == ("lifecycle-handler-leak", False)
    assert doctor_code(Finding(rule, Level.WARNING, "handler leak", "a.jsx", 1, 1)) is None
    assert doctor_code(Finding(ScanRule.LIFECYCLE_CLIENT_PER_MOUNT, Level.ERROR, "m", "a.jsx", 1,
                               1)) == ("lifecycle-client-per-mount", False)


def test_progress_sees_each_check_as_it_finishes() -> None:
    """run_doctor streams: on_start and on_check see every check, in the report's order."""
    started: list[str] = []
    finished: list[str] = []
    report = run_doctor(DoctorOptions(env={"PUSHER_APP_ID": TEST_APP_ID}, contract=CONTRACT_PATH,
                                      step_timeout=0.5),
                        on_check=lambda c: finished.append(c.id),
                        on_start=lambda spec: started.append(spec.id))
    assert finished == [c.id for c in report.checks]
    assert started[:3] == ["config.backend", "config.frontend", "config.contract"]
