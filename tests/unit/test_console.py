"""The console's parts without a browser: guard, forms, broadcast, feed, doctor hand-over, sender."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from hotelmate_rt.console import ConsoleConfig, EventSender, create_app, page_contract
from hotelmate_rt.console.broadcast import Broadcast
from hotelmate_rt.console.doctor import DoctorRunner, doctor_options
from hotelmate_rt.console.feed import Feed
from hotelmate_rt.console.guard import Guard, allowed_hosts
from hotelmate_rt.contracts import Contract, load_contract
from hotelmate_rt.contracts.examples import schema_example
from hotelmate_rt.emitters import Emitter, RecordingTransport
from hotelmate_rt.errors import TransportError
from hotelmate_rt.oncall import DoctorOptions
from hotelmate_rt.probes import (
    ConnectionOptions,
    ProbeSettings,
    ProbeSetupError,
    build_probe,
)
from hotelmate_rt.redact import Redactor
from hotelmate_rt.settings import PusherSettings, load_settings

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "a-session-token-for-tests"


def pusher(**env: str) -> PusherSettings:
    """The settings `hotelmate_rt.settings` reads from these PUSHER_* variables (nothing else)."""
    return load_settings({f"PUSHER_{name.upper()}": value for name, value in env.items()})


@pytest.fixture(scope="module")
def contract() -> Contract:
    """The shipped contract."""
    return load_contract(ROOT / "channels.yaml")


# -- forms ---------------------------------------------------------------------------------


def test_every_events_example_conforms_to_its_schema(contract: Contract) -> None:
    """The send form's pre-filled payload is valid for every event of the shipped contract."""
    events = page_contract(contract)["events"]
    assert {e["name"] for e in events} == set(contract.events)
    for event in events:
        validator = contract.events[event["name"]].validator
        assert validator is not None
        assert validator.violations(event["example"]) == [], event["name"]
        assert "schema" not in event


def test_event_params_are_the_channel_parameters(contract: Contract) -> None:
    """Each event lists the template parameters of the channels that carry it."""
    events = {e["name"]: e for e in page_contract(contract)["events"]}
    assert events["booking_checked_in"]["params"] == ["booking_id", "hotel_slug", "room_number"]
    assert events["offer-created"]["params"] == ["hotel_slug"]


def test_example_payload_follows_the_schema_keywords(contract: Contract) -> None:
    """examples, const, enum, $ref, parameter names and patterns, formats and minimums are used."""
    schema = {
        "type": "object",
        "required": ["kind", "state", "ref", "hotel_slug", "booking", "when", "count", "n",
                     "tags", "flag", "noted"],
        "properties": {
            "kind": {"const": "fixed"},
            "state": {"enum": ["B", "A"]},
            "ref": {"$ref": "#/$defs/thing"},
            "hotel_slug": {"type": "string"},
            "booking": {"type": "string", "pattern": "^BK-[0-9]{4}-[0-9]{4,}$"},
            "when": {"type": "string", "format": "date-time"},
            "count": {"type": "integer", "minimum": 3},
            "n": {"type": ["null", "number"], "exclusiveMinimum": 0},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "flag": {"type": "boolean"},
            "noted": {"type": "string", "examples": ["first", "second"]},
            "optional": {"type": "string"},
        },
        "$defs": {"thing": {"type": "object", "required": ["id"],
                            "properties": {"id": {"type": "integer"}}}},
    }
    hints = {p.name: p.example for p in contract.parameters.values()}
    value = schema_example(schema, hints=hints)
    when = value.pop("when")
    assert time.strptime(when, "%Y-%m-%dT%H:%M:%SZ")
    assert value == {"kind": "fixed", "state": "B", "ref": {"id": 0},
                     "hotel_slug": "hotel-paradise", "booking": "BK-2025-0002", "count": 3,
                     "n": 1, "tags": ["example"], "flag": False, "noted": "first"}


# -- guard ---------------------------------------------------------------------------------


async def _echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A tiny ASGI app answering with the path it was given."""
    body = scope["path"].encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _get(path: str, **headers: str) -> httpx.Response:
    """GET `path` through the guard in front of the echo app."""
    guard = Guard(_echo, TOKEN, allowed_hosts("127.0.0.1", 8765))

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=guard)
        async with httpx.AsyncClient(transport=transport,
                                     base_url="http://127.0.0.1:8765") as client:
            return await client.get(path, headers=headers)

    return asyncio.run(go())


def test_guard_passes_the_token_path_and_strips_it() -> None:
    """With the token prefix the app sees the rest of the path, and the security headers go out."""
    answer = _get(f"/s/{TOKEN}/api/config")
    assert answer.status_code == 200 and answer.text == "/api/config"
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert _get(f"/s/{TOKEN}/", **{"sec-fetch-site": "same-origin"}).text == "/"
    assert _get(f"/s/{TOKEN}/", origin="http://localhost:8765").status_code == 200


@pytest.mark.parametrize(("path", "headers", "status"), [
    ("/", {}, 403),
    ("/api/config", {}, 403),
    ("/s/wrong-token/api/config", {}, 403),
    (f"/s/{TOKEN}x/api/config", {}, 403),
    (f"/s/{TOKEN[:-1]}/api/config", {}, 403),
    (f"/s/{TOKEN}/api/config", {"host": "attacker.example:8765"}, 421),
    (f"/s/{TOKEN}/api/config", {"host": "127.0.0.1:9999"}, 421),
    (f"/s/{TOKEN}/api/config", {"origin": "http://attacker.example"}, 403),
    (f"/s/{TOKEN}/api/config", {"origin": "http://127.0.0.1:9999"}, 403),
    (f"/s/{TOKEN}/api/config", {"sec-fetch-site": "cross-site"}, 403),
    (f"/s/{TOKEN}/api/config", {"sec-fetch-site": "same-site"}, 403),
])
def test_guard_refuses_everything_else(path: str, headers: dict[str, str], status: int) -> None:
    """No token, a wrong or partial token, a foreign Host or origin: refused, nothing echoed."""
    answer = _get(path, **headers)
    assert answer.status_code == status
    assert TOKEN not in answer.text and "/api" not in answer.text


def test_guard_redirects_the_bare_token_path_to_a_directory() -> None:
    """`/s/<token>` becomes `/s/<token>/` so the page's relative URLs resolve under it."""
    answer = _get(f"/s/{TOKEN}")
    assert answer.status_code == 307 and answer.headers["location"] == f"/s/{TOKEN}/"


# -- broadcast -----------------------------------------------------------------------------


def test_broadcast_delivers_in_order_and_tells_a_lagging_reader_what_it_missed() -> None:
    """A reader gets every message after its cursor; one that fell out of the log gets a count."""
    async def scenario() -> tuple[list[bytes], list[bytes]]:
        log = Broadcast(keep=3)
        log.publish("items", {"i": 0}, events=5)
        cursor = log.cursor()
        on_time = log.follow(cursor)
        for i in range(1, 3):
            log.publish("items", {"i": i}, events=10)
        first = [await anext(on_time), await anext(on_time)]
        late = log.follow(cursor)
        for i in range(3, 6):
            log.publish("items", {"i": i}, events=10)
        lagged = [await anext(late) for _ in range(4)]
        return first, lagged

    first, lagged = asyncio.run(scenario())
    assert [json.loads(c.split(b"data: ")[1])["i"] for c in first] == [1, 2]
    assert lagged[0].startswith(b"event: skipped\n")
    assert json.loads(lagged[0].split(b"data: ")[1]) == {"events": 20}
    assert [json.loads(c.split(b"data: ")[1])["i"] for c in lagged[1:]] == [3, 4, 5]


def test_broadcast_keeps_a_quiet_stream_alive() -> None:
    """With nothing to send the reader gets an SSE comment instead of hanging."""
    async def scenario() -> bytes:
        log = Broadcast()
        return await anext(log.follow(log.cursor(), keepalive=0.05))

    assert asyncio.run(scenario()) == b": keepalive\n\n"


# -- probe settings and the feed -----------------------------------------------------------


@pytest.mark.parametrize(("settings", "field"), [
    (ProbeSettings(pusher=pusher(port="x"), audience="public"), "settings"),
    (ProbeSettings(pusher=pusher(), audience="public", params={"hotel_slug": "h"}), "key"),
    (ProbeSettings(pusher=pusher(key="k")), "audience"),
    (ProbeSettings(pusher=pusher(key="k"), audience="guest", params={"booking_id": "BK-2025-0002"},
                   auth_endpoint="http://127.0.0.1:1/auth"), "token"),
    (ProbeSettings(pusher=pusher(key="k"), audience="guest",
                   params={"booking_id": "BK-2025-0002"}), "auth"),
    (ProbeSettings(pusher=pusher(key="k"), channels=["private-booking-BK-2025-0002"],
                   sign_locally=True), "secret"),
    (ProbeSettings(pusher=pusher(key="k"), channels=["bad name!"]), "params"),
])
def test_build_probe_names_the_setting_to_fix(contract: Contract, settings: ProbeSettings,
                                               field: str) -> None:
    """Every unusable setting raises ProbeSetupError with the field a front end can point at."""
    with pytest.raises(ProbeSetupError) as caught:
        build_probe(settings, contract)
    assert caught.value.field == field


def test_feed_reports_a_dead_server_as_an_error_item(contract: Contract, free_port: Any) -> None:
    """A probe that cannot connect ends its session with an error item, redacted, and no raise."""
    settings = ProbeSettings(pusher=pusher(key="k", port=str(free_port())), audience="public",
                             params={"hotel_slug": "hotel-paradise"},
                             token="secret-bearer-token-123")
    probe = build_probe(settings, contract, ConnectionOptions(connect_timeout=2.0))
    feed = Feed(contract)
    session = feed.start(probe, {"audience": "public"})
    deadline = time.monotonic() + 15
    while feed.running and time.monotonic() < deadline:
        time.sleep(0.05)
    snapshot = feed.snapshot()
    _, items = feed.drain()
    exported = b"".join(feed.export()).decode()
    workdir = feed.workdir
    feed.close()
    assert workdir is not None and not workdir.exists()
    assert snapshot["session"] == session and snapshot["status"] == "error"
    assert "cannot connect" in (snapshot["error"] or "")
    kinds = [item["type"] for item in items]
    assert "error" in kinds and kinds[-1] == "summary"
    assert [item["n"] for item in items] == list(range(1, len(items) + 1))
    assert '"type":"error"' in exported and "secret-bearer-token-123" not in exported


# -- doctor hand-over ----------------------------------------------------------------------


def test_doctor_runner_posts_each_check_before_the_next_step_starts() -> None:
    """The page hears `running` then `check` for one step before the next step starts; redacted."""
    posted: list[dict[str, Any]] = []
    runner = DoctorRunner(lambda kind, data: posted.append(data), Redactor())
    assert runner.start(DoctorOptions(settings=pusher(key="k", host="127.0.0.1", port="1"),
                                      guest_token="t-guest-secret-1234", budget=10))
    runner.join(30)
    assert not runner.running
    kinds = [m["type"] for m in posted]
    assert kinds[0] == "started" and kinds[-1] == "done"
    steps = kinds[1:-1]
    checks = [m["check"] for m in posted if m["type"] == "check"]
    assert len(checks) >= 3 and set(steps) == {"running", "check"}
    # streaming: every step's result is out before the next step starts
    assert steps[:4] == ["running", "check", "running", "check"]
    assert posted[1]["id"] == checks[0]["id"]
    assert "t-guest-secret-1234" not in str(posted)
    assert posted[-1]["counts"] == {s: sum(c["status"] == s for c in checks)
                                    for s in ("pass", "warn", "fail", "skip")}


def test_doctor_options_take_the_form_and_the_console_settings() -> None:
    """The form's audience decides which token it is; the server is the console's own settings."""
    server = pusher(key="app-key", host="127.0.0.1", port="6010")
    settings = ProbeSettings(pusher=server, auth_endpoint="http://127.0.0.1:8000/pusher/auth")
    guest = doctor_options({"audience": "guest", "token": "t-guest", "booking_id": "BK-2025-0002",
                            "hotel_slug": " hotel-paradise ", "budget": 500}, settings, None)
    assert guest.guest_token == "t-guest" and guest.staff_token is None
    assert guest.hotel_slug == "hotel-paradise" and guest.budget == 120.0
    assert guest.auth_endpoint == settings.auth_endpoint
    assert guest.read_settings() is server
    staff = doctor_options({"audience": "staff", "token": "t-staff"}, settings, None)
    assert staff.staff_token == "t-staff" and staff.guest_token is None and staff.budget == 30.0


# -- the send form -------------------------------------------------------------------------


def _sender(contract: Contract, transport: RecordingTransport) -> EventSender:
    """A EventSender over a recording transport (no retries to wait for)."""
    from hotelmate_rt.emitters import RetryPolicy

    emitter = Emitter(contract, transport, strict=True, defer=False, dead_letter=False,
                      retry=RetryPolicy(attempts=1))
    return EventSender(emitter, Redactor(["the-app-secret"]))


def test_sender_sends_valid_events_and_describes_refusals(contract: Contract) -> None:
    """A valid event is sent to the contract's channels; a bad one is refused with its path."""
    transport = RecordingTransport()
    sender = _sender(contract, transport)
    example = next(e["example"] for e in page_contract(contract)["events"]
                   if e["name"] == "booking_checked_in")
    sent = sender.send("booking_checked_in", example, {"hotel_slug": "hotel-paradise"})
    assert sent["ok"] and "private-booking-BK-2025-0002" in sent["channels"]
    assert {e.channel for e in transport.events} == set(sent["channels"])
    refused = sender.send("booking_checked_in", {**example, "status": "CHECKED_IN"},
                          {"hotel_slug": "hotel-paradise"})
    assert refused["outcome"] == "refused"
    assert [f["path"] for f in refused["findings"]] == ["$.status"]
    unknown = sender.send("no-such-event", {}, {})
    assert unknown["outcome"] == "refused" and "no-such-event" in unknown["message"]
    assert len(transport.calls) == 1


def test_sender_reports_a_failed_send_without_raising(contract: Contract) -> None:
    """A transport failure comes back as outcome 'failed' with a redacted message."""
    transport = RecordingTransport(failures=[TransportError("500 from the-app-secret host",
                                                            status=500)])
    sender = _sender(contract, transport)
    example = next(e["example"] for e in page_contract(contract)["events"]
                   if e["name"] == "offer-created")
    failed = sender.send("offer-created", example, {"hotel_slug": "hotel-paradise"})
    assert failed["ok"] is False and failed["outcome"] == "failed"
    assert "the-app-secret" not in failed["message"]


# -- the API without a browser -------------------------------------------------------------


def test_api_refuses_sending_when_not_allowed_and_bad_json(contract: Contract) -> None:
    """Without a sender the send route is 403; a body that is not a JSON object is 400."""
    config = ConsoleConfig(contract, ProbeSettings(pusher=pusher(key="k")), port=8765,
                           token=TOKEN)
    app = create_app(config)

    async def go() -> tuple[httpx.Response, httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport,
                                     base_url="http://127.0.0.1:8765") as client:
            base = f"/s/{TOKEN}/api"
            return (await client.post(f"{base}/send", json={"event": "offer-created"}),
                    await client.post(f"{base}/connect", content=b"[1, 2]"),
                    await client.post(f"{base}/connect", json={"audience": "guest"}))

    send, not_object, no_token = asyncio.run(go())
    assert send.status_code == 403 and "--allow-send" in send.json()["error"]
    assert not_object.status_code == 400
    assert no_token.status_code == 400 and no_token.json()["field"] == "params"
    assert "booking_id" in no_token.json()["error"]
