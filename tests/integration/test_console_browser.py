"""The console in headless Chromium against a real soketi and the real auth endpoint.

One console process (`hotelmate-rt console --allow-send`) serves the whole module; each test
drives the page as a person would. A screenshot of the payload view is kept at
`.artifacts/console.png` (the CI artifact path).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hotelmate_rt.auth import Principal
from hotelmate_rt.console.harness import ConsoleProcess, chromium
from hotelmate_rt.contracts import load_contract
from hotelmate_rt.emitters import Emitter, PusherTransport
from hotelmate_rt.testing.auth_server import AuthServer
from hotelmate_rt.testing.soketi import SoketiServer

ROOT = Path(__file__).resolve().parents[2]
ARTIFACT = ROOT / ".artifacts" / "console.png"
BOOKING = "BK-2025-0002"
HOTEL = "hotel-paradise"
ROOM = "101"
TOKEN = "guest-console-token-0002-secretish"
CHANNEL = f"private-booking-{BOOKING}"
GOOD = {"booking_id": BOOKING, "status": "IN_HOUSE", "room_number": ROOM,
        "checked_in_at": "2025-06-01T14:00:00Z"}
BAD = {**GOOD, "status": "CONFIRMED", "guest_token": TOKEN}
WAIT_MS = 20_000


def pusher_env(server: SoketiServer) -> dict[str, str]:
    """The backend's PUSHER_* variables for a soketi server."""
    return {**os.environ, "PUSHER_APP_ID": server.app_id, "PUSHER_KEY": server.key,
            "PUSHER_SECRET": server.secret, "PUSHER_HOST": server.host,
            "PUSHER_PORT": str(server.port), "PUSHER_TLS": "false"}


def wait_until(page: Any, predicate: str, timeout: float = WAIT_MS / 1000) -> Any:
    """Poll a JS expression in the page until it is truthy (the page's CSP forbids eval)."""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(f"() => {predicate}")
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"never true in the page: {predicate}")
        time.sleep(0.05)


def counts(page: Any) -> dict[str, int]:
    """The page's own event counters."""
    return dict(page.evaluate("() => window.hotelmateConsole.counts()"))


@pytest.fixture(scope="module")
def auth(soketi: SoketiServer) -> Iterator[AuthServer]:
    """The real Django auth endpoint, knowing one guest token."""
    with AuthServer(load_contract(ROOT / "channels.yaml"), soketi.key, soketi.secret,
                    {TOKEN: Principal.guest(BOOKING, HOTEL, ROOM)}) as server:
        yield server


@pytest.fixture(scope="module")
def console(soketi: SoketiServer, auth: AuthServer) -> Iterator[ConsoleProcess]:
    """`hotelmate-rt console --allow-send` pointed at soketi and the auth endpoint."""
    with ConsoleProcess(["--auth-endpoint", auth.url, "--allow-send"], env=pusher_env(soketi),
                        cwd=ROOT) as process:
        yield process


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium (Playwright, fresh profile)."""
    with chromium() as context:
        yield context


@pytest.fixture(scope="module")
def emitter(soketi: SoketiServer) -> Iterator[Emitter]:
    """The backend's Emitter on the test soketi."""
    sender = Emitter(load_contract(ROOT / "channels.yaml"),
                     PusherTransport.from_env(pusher_env(soketi)), strict=True, defer=False,
                     dead_letter=False)
    yield sender
    sender.close()


def connect_as_guest(page: Any, url: str) -> None:
    """Open the console and connect as the test guest through the auth endpoint."""
    page.goto(url)
    page.wait_for_selector("#connect:enabled", timeout=WAIT_MS)
    page.check("input[name=audience][value=guest]")
    page.fill("[name=booking_id]", BOOKING)
    page.fill("[name=hotel_slug]", HOTEL)
    page.fill("[name=room_number]", ROOM)
    page.fill("[name=token]", TOKEN)
    page.click("#connect")
    page.wait_for_selector(f'.channel-list li.ch-subscribed[data-channel="{CHANNEL}"]',
                           timeout=WAIT_MS)


@pytest.fixture(scope="module")
def guest_page(browser: Any, console: ConsoleProcess, emitter: Emitter) -> Iterator[Any]:
    """A page connected as the guest that received one good and one bad check-in."""
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    connect_as_guest(page, console.url)
    emitter.emit("booking_checked_in", GOOD, hotel_slug=HOTEL)
    # The Emitter refuses a bad payload by design; the raw transport is how one gets out.
    emitter.transport.trigger([CHANNEL], "booking_checked_in", json.dumps(BAD))
    wait_until(page, "window.hotelmateConsole.counts().received >= 2")
    page.wait_for_selector(".viewport .vrow.bad", timeout=WAIT_MS)
    yield page
    assert errors == []
    page.close()


def rows(page: Any) -> list[dict[str, Any]]:
    """The table's visible rows: channel, event and verdict badges."""
    return list(page.evaluate("""() => [...document.querySelectorAll('.viewport .vrow')]
        .filter((r) => !r.hidden)
        .map((r) => ({n: Number(r.dataset.n), channel: r.querySelector('.c .name').textContent,
                      contract: r.querySelector('.cid').textContent,
                      event: r.querySelector('.e').textContent,
                      badges: [...r.querySelectorAll('.badge')].map((b) => b.textContent)}))"""))


def test_table_shows_the_good_and_the_bad_event_with_their_badges(guest_page: Any) -> None:
    """The guest's page lists both check-ins on the booking channel: conforms, then a violation."""
    shown = rows(guest_page)
    assert [(r["channel"], r["contract"], r["event"], r["badges"]) for r in shown] == [
        (CHANNEL, "guest-booking", "booking_checked_in", ["conforms"]),
        (CHANNEL, "guest-booking", "booking_checked_in", ["schema-violation"]),
    ]
    wait_until(guest_page, f"document.querySelector('.channel-list li[data-channel=\"{CHANNEL}\"]')"
                           ".textContent.includes('2 events: 1 conforms, 1 schema-violation')")


def test_payload_view_highlights_the_violating_path(guest_page: Any) -> None:
    """Clicking the bad row marks $.status and the unexpected key, and marks the sensitive one."""
    guest_page.click(".viewport .vrow.bad")
    detail = guest_page.locator("#detail")
    status = detail.locator('.jl[data-path="$.status"]')
    assert "violation" in (status.get_attribute("class") or "")
    assert '"IN_HOUSE" was expected' in status.inner_text()
    extra = detail.locator('.jl[data-path="$.guest_token"]')
    assert {"violation", "sensitive"} <= set((extra.get_attribute("class") or "").split())
    assert "violation" not in (detail.locator('.jl[data-path="$.room_number"]')
                               .get_attribute("class") or "")
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    guest_page.screenshot(path=str(ARTIFACT))
    assert ARTIFACT.stat().st_size > 10_000


def test_export_is_a_recording_that_check_judges_the_same(guest_page: Any,
                                                          tmp_path: Path) -> None:
    """The exported NDJSON checks with `hotelmate-rt check`: same events, same verdicts."""
    with guest_page.expect_download() as download:
        guest_page.click("#export")
    path = tmp_path / "session.jsonl"
    download.value.save_as(path)
    text = path.read_text()
    assert TOKEN not in text
    checked = subprocess.run([sys.executable, "-m", "hotelmate_rt", "check", str(path),
                              "--json"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert checked.returncode == 1, checked.stderr
    lines = [json.loads(line) for line in checked.stdout.splitlines()]
    judged = [(r["channel"], r["event"], r["verdict"]) for r in lines if r["type"] == "checked"]
    shown = [(r["channel"], r["event"], r["badges"]) for r in rows(guest_page)]
    assert judged == shown
    assert lines[-1]["events"] == 2 and lines[-1]["violations"] == 1


def test_requests_without_the_session_token_are_refused(console: ConsoleProcess) -> None:
    """No token, a wrong token, a foreign Host or a cross-origin request: refused."""
    base, token_path = console.origin, console.url[len(console.origin):]
    with httpx.Client(timeout=5) as client:
        assert client.get(console.url + "api/config").status_code == 200
        assert client.get(base + "/").status_code == 403
        assert client.get(base + "/api/config").status_code == 403
        assert client.get(base + "/static/app.js").status_code == 403
        assert client.get(base + "/s/not-the-token/api/export").status_code == 403
        assert client.get(base + token_path[:-3] + "/").status_code == 403
        rebound = client.get(console.url + "api/config", headers={"host": "evil.example:80"})
        assert rebound.status_code == 421
        cross = client.post(console.url + "api/clear", headers={"origin": "https://evil.example"})
        assert cross.status_code == 403
        sneaky = client.get(console.url + "api/export", headers={"sec-fetch-site": "cross-site"})
        assert sneaky.status_code == 403
        for refused in (client.get(base + "/"), rebound, cross):
            assert "s/" not in refused.text


def test_secrets_reach_neither_the_page_nor_the_logs(guest_page: Any,
                                                     console: ConsoleProcess) -> None:
    """The guest token and the app secret appear in no HTML, API answer or console output."""
    html = guest_page.content()
    with httpx.Client(timeout=5) as client:
        config = client.get(console.url + "api/config").text
        index = client.get(console.url).text
    for text in (html, config, index, console.output()):
        assert TOKEN not in text
        assert "test-secret" not in text
    assert console.url.split("/s/")[1].rstrip("/") not in index


def badges_shown(page: Any, expected: list[list[str]]) -> None:
    """Wait until the visible rows carry exactly these badges (a filter renders on the next
    frame, so the rows read right after a change can still be the old ones)."""
    deadline = time.monotonic() + WAIT_MS / 1000
    while (shown := [r["badges"] for r in rows(page)]) != expected:
        if time.monotonic() > deadline:
            pytest.fail(f"rows show {shown}, expected {expected}")
        time.sleep(0.05)


def test_filters_pause_and_clear(guest_page: Any, emitter: Emitter) -> None:
    """Verdict and text filters narrow the table; pause holds new events; clear empties it."""
    page = guest_page
    visible = "document.querySelectorAll('.viewport .vrow:not([hidden])').length"
    page.select_option("#f-verdict", "violations")
    badges_shown(page, [["schema-violation"]])
    page.select_option("#f-verdict", "")
    page.fill("#f-text", "IN_HOUSE")
    badges_shown(page, [["conforms"]])
    page.fill("#f-text", "")
    badges_shown(page, [["conforms"], ["schema-violation"]])
    page.click("#pause")
    emitter.emit("booking_room_assigned", {"booking_id": BOOKING, "room_number": ROOM,
                                           "assigned_at": "2025-06-01T13:00:00Z"},
                 hotel_slug=HOTEL)
    wait_until(page, "window.hotelmateConsole.counts().held === 1")
    wait_until(page, "document.querySelector('#counter').textContent.includes('paused, 1 new')")
    assert len(rows(page)) == 2
    page.click("#pause")
    wait_until(page, f"{visible} === 3")
    page.click("#clear")
    wait_until(page, "window.hotelmateConsole.counts().kept === 0")
    wait_until(page, f"{visible} === 0")
    assert "showing 0 of 0" in page.inner_text("#counter")


def test_send_form_sends_a_valid_event_and_shows_a_refusal(guest_page: Any) -> None:
    """The form's pre-filled example goes out through the Emitter; a broken one is refused."""
    page = guest_page
    page.click(".tabs button[data-tab=send]")
    page.select_option("#send-event", "booking_checked_in")
    example = json.loads(page.input_value("#send-data"))
    assert example["status"] == "IN_HOUSE" and example["booking_id"] == BOOKING
    assert page.input_value("#send-params input[name=hotel_slug]") == HOTEL
    before = counts(page)["received"]
    page.click("#send")
    page.wait_for_selector("#send-result .ok", timeout=WAIT_MS)
    assert CHANNEL in page.inner_text("#send-result")
    wait_until(page, f"window.hotelmateConsole.counts().received > {before}")
    page.fill("#send-data", json.dumps({**example, "status": "CHECKED_IN"}))
    page.click("#send")
    page.wait_for_selector("#send-result .error", timeout=WAIT_MS)
    result = page.inner_text("#send-result")
    assert "refused" in result and "$.status" in result
    page.click(".tabs button[data-tab=events]")


def test_doctor_tab_shows_each_check_as_it_finishes(guest_page: Any) -> None:
    """The doctor runs for the connected guest; checks appear while later steps still run."""
    page = guest_page
    page.click(".tabs button[data-tab=doctor]")
    # What a person sees after each change of the tab: checks shown, and the headline.
    page.evaluate("""() => {
        window.__doctorSeen = [];
        const head = document.querySelector('#doctor-headline');
        new MutationObserver(() => window.__doctorSeen.push(
            [document.querySelectorAll('#doctor-checks li').length, head.textContent]))
          .observe(document.querySelector('#tab-doctor'),
                   {childList: true, subtree: true, characterData: true});
    }""")
    page.click("#doctor-run")
    page.wait_for_selector("#doctor-headline.ok, #doctor-headline.bad", timeout=90_000)
    ids = page.evaluate("() => [...document.querySelectorAll('#doctor-checks li')]"
                        ".map((li) => [li.dataset.id, li.querySelector('.badge').textContent])")
    assert len(ids) >= 5
    assert {status for _, status in ids} <= {"pass", "warn", "fail", "skip"}
    assert any(status == "pass" for _, status in ids)
    seen = page.evaluate("() => window.__doctorSeen")
    # Streaming: a later step was named as running while earlier checks were already shown.
    running = [(shown, int(m.group(1))) for shown, head in seen
               if (m := re.search(r"… \((\d+) done\)$", head))]
    assert any(done >= 1 and shown >= done for shown, done in running), seen[:10]
    assert max(done for _, done in running) < len(ids)
    assert [shown for shown, _ in seen] == sorted(shown for shown, _ in seen)
    text = page.inner_text("#doctor-checks")
    assert TOKEN not in text and "Guest token: own channel" in text
    page.click(".tabs button[data-tab=events]")


def test_channels_tab_shows_state_and_a_timeline(guest_page: Any) -> None:
    """The channels tab lists each subscription with its state and puts marks on a timeline."""
    page = guest_page
    page.click(".tabs button[data-tab=timeline]")
    table = page.inner_text("#channel-table")
    assert CHANNEL in table and "guest-booking" in table and "subscribed" in table
    assert page.locator("#timeline .mark.m-subscribed").count() >= 3
    page.click(".tabs button[data-tab=events]")


def test_connect_errors_are_shown_not_raised(browser: Any, console: ConsoleProcess) -> None:
    """A guest without a bearer token gets a message saying so, and the token field focused."""
    page = browser.new_page()
    page.goto(console.url)
    page.wait_for_selector("#connect:enabled", timeout=WAIT_MS)
    page.check("input[name=audience][value=guest]")
    page.fill("[name=hotel_slug]", HOTEL)
    page.fill("[name=booking_id]", BOOKING)
    page.click("#connect")
    page.wait_for_selector("#connect-error:not(:empty)", timeout=WAIT_MS)
    assert "needs a bearer token" in page.inner_text("#connect-error")
    assert page.evaluate("() => document.activeElement.name") == "token"
    page.close()


def test_send_is_disabled_without_allow_send(soketi: SoketiServer, browser: Any) -> None:
    """Without --allow-send the form is disabled and the API refuses to send."""
    with ConsoleProcess([], env=pusher_env(soketi), cwd=ROOT) as plain:
        with httpx.Client(timeout=5) as client:
            config = client.get(plain.url + "api/config").json()
            refused = client.post(plain.url + "api/send", json={"event": "booking_checked_in",
                                                               "data": GOOD})
        assert config["send"]["enabled"] is False and refused.status_code == 403
        page = browser.new_page()
        page.goto(plain.url)
        page.click(".tabs button[data-tab=send]")
        page.wait_for_selector("#send-off:not(:empty)", timeout=WAIT_MS)
        assert page.is_disabled("#send") and page.is_disabled("#send-data")
        assert "--allow-send" in page.inner_text("#send-off")
        page.close()


def test_reconnects_and_gaps_reach_the_timeline(fresh_soketi: SoketiServer, browser: Any) -> None:
    """A soketi restart shows as a reconnect and a gap band on the page's timeline."""
    with ConsoleProcess(["--as", "public", "--hotel", HOTEL],
                        env=pusher_env(fresh_soketi), cwd=ROOT) as public:
        page = browser.new_page()
        page.goto(public.url)
        page.wait_for_selector("input[name=audience][value=public]:checked", timeout=WAIT_MS)
        page.click("#connect")
        page.wait_for_selector('.channel-list li.ch-subscribed[data-channel="hotel-hotel-paradise"]',
                               timeout=WAIT_MS)
        fresh_soketi.restart(abrupt=True)
        page.click(".tabs button[data-tab=timeline]")
        page.wait_for_selector("#timeline .mark.m-gap", timeout=60_000)
        assert "1 reconnects" in page.inner_text("#totals")
        assert "1 gaps" in page.inner_text("#connection")
        page.close()
