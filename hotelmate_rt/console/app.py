"""The console's web app (Starlette): the page, its JSON API and the live event stream.

    config = ConsoleConfig(contract, ProbeSettings(pusher=load_settings(...)), port=8765)
    app = create_app(config)          # an ASGI app, guarded (see guard.py); serve with uvicorn
    config.url                        # http://127.0.0.1:8765/s/<token>/

Routes, all under `/s/<token>/`: the page (`/`, `/static/*`); `GET api/config` (the contract for
the forms, the server, what is allowed); `POST api/connect` (start listening as an audience or
on named channels: the probe runs in this process, as `listen` does), `api/disconnect`,
`api/clear`; `GET api/stream` (server-sent events: `hello`, `items`, `stats`, `cleared`,
`doctor`, `skipped`); `GET api/export` (the session's NDJSON recording, which `hotelmate-rt
check` accepts); `POST api/send` (one test event through the Emitter, when allowed) and
`POST api/doctor` (a doctor run whose steps arrive on the stream as each starts and finishes).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from hotelmate_rt.contracts import Contract
from hotelmate_rt.probes import ConnectionOptions, ProbeSettings, ProbeSetupError, build_probe
from hotelmate_rt.redact import Redactor

from .broadcast import Broadcast, sse
from .doctor import DoctorRunner, doctor_options
from .feed import Feed
from .forms import page_contract
from .guard import Guard, allowed_hosts, new_token
from .sender import EventSender

__all__ = ["ConsoleConfig", "create_app"]

STATIC = Path(__file__).parent / "static"
PUMP_S = 0.1
"""How often queued items are sent to the pages (one message per interval)."""
STATS_S = 0.5
"""How often the per-channel state is sent when it changed."""
MAX_BODY = 1_000_000
"""The largest JSON body the API reads."""
SEND_DISABLED = "sending is off: start the console with --allow-send and the app credentials " \
                "(PUSHER_URL, or PUSHER_APP_ID, PUSHER_KEY and PUSHER_SECRET)"


@dataclass(slots=True)
class ConsoleConfig:
    """What one console serves: the contract, the server to listen to, who may do what."""

    contract: Contract
    settings: ProbeSettings
    host: str = "127.0.0.1"
    port: int = 8765
    token: str = field(default_factory=new_token)
    sender: EventSender | None = None
    connection: ConnectionOptions | None = None

    @property
    def url(self) -> str:
        """The page's URL, session token included (print it; never log it elsewhere)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/s/{self.token}/"


class _Console:
    """The app's state: the feed, the broadcast, the doctor, and the handlers using them."""

    def __init__(self, config: ConsoleConfig) -> None:
        """Prepare the state; the pump starts with the app."""
        self.config = config
        self.redactor = Redactor([config.settings.token, config.settings.pusher.secret])
        if config.sender is not None:
            for secret in config.sender.redactor.secrets:
                self.redactor.add(secret)
        self.feed = Feed(config.contract)
        self.broadcast = Broadcast()
        self.outbox: queue.SimpleQueue[tuple[str, dict[str, Any]]] = queue.SimpleQueue()
        self.doctor = DoctorRunner(lambda kind, data: self.outbox.put((kind, data)),
                                   self.redactor)
        self._page_contract = page_contract(config.contract)

    # -- lifecycle ---------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        """Run the pump while the app serves; stop the session and clean up after."""
        pump = asyncio.create_task(self.pump())
        try:
            yield
        finally:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump
            await run_in_threadpool(self.close)

    def close(self) -> None:
        """Stop the probe (its recording is removed), wait for the doctor, close the sender."""
        self.feed.close()
        self.doctor.join(2.0)
        if self.config.sender is not None:
            self.config.sender.close()

    async def pump(self) -> None:
        """Move queued items, doctor results and changed stats to the broadcast."""
        last_stats = 0.0
        last_version: tuple[int, int] | None = None
        while True:
            await asyncio.sleep(PUMP_S)
            session, items = self.feed.drain()
            if items:
                events = sum(1 for item in items if item.get("type") == "event")
                self.broadcast.publish("items", {"session": session, "items": items}, events)
            while True:
                try:
                    kind, data = self.outbox.get_nowait()
                except queue.Empty:
                    break
                self.broadcast.publish(kind, data)
            now = time.monotonic()
            if now - last_stats >= STATS_S and self.feed.version != last_version:
                last_stats, last_version = now, self.feed.version
                self.broadcast.publish("stats", self.feed.snapshot())

    # -- handlers ------------------------------------------------------------------------------

    async def index(self, request: Request) -> Response:
        """Serve the page (static HTML: no token, no secret in it)."""
        return Response((STATIC / "index.html").read_bytes(), media_type="text/html")

    async def config_view(self, request: Request) -> Response:
        """Describe the contract, the server and what this console allows."""
        s = self.config.settings
        p = s.pusher
        sender = self.config.sender
        data = {
            "contract": self._page_contract,
            "server": {"key": p.key, "host": p.ws_host, "port": p.ws_port, "tls": p.ssl,
                       "cluster": p.cluster or None, "target": s.target},
            "defaults": {"audience": s.audience, "params": dict(s.params),
                         "channels": list(s.channels), "auth_endpoint": s.auth_endpoint,
                         "token_on_server": bool(s.token), "sign_locally": s.sign_locally},
            "send": {"enabled": sender is not None, "target": sender.target if sender else None,
                     "reason": "" if sender else SEND_DISABLED},
        }
        return JSONResponse(self.redactor.value(data))

    async def connect(self, request: Request) -> Response:
        """Start listening as the audience (or on the channels) the page asks for."""
        form = await _form(request)
        if isinstance(form, Response):
            return form
        base = self.config.settings
        audience = _text(form.get("audience"))
        channels = [c for c in str(form.get("channels") or "").replace(",", " ").split() if c]
        if audience == "channels":
            audience = None
        elif audience is not None:
            channels = []
        params = _mapping(form.get("params"))
        token = _text(form.get("token")) or base.token
        settings = replace(base, audience=audience, channels=channels, token=token,
                           params={str(k): str(v).strip() for k, v in params.items()
                                   if _text(v)},
                           auth_endpoint=_text(form.get("auth_endpoint")) or base.auth_endpoint)
        self.redactor.add(token)
        try:
            probe = build_probe(settings, self.config.contract, self.config.connection)
        except ProbeSetupError as exc:
            return JSONResponse({"ok": False, "field": exc.field, "missing": list(exc.missing),
                                 "error": self.redactor.text(str(exc))}, status_code=400)
        for secret in self.redactor.secrets:
            probe.redactor.add(secret)
        who = {"audience": audience or "channels", "params": dict(settings.params),
               "channels": [c.name for c in probe.plan.channels],
               "auth_endpoint": settings.auth_endpoint if probe.plan.needs_auth else None}
        session = await run_in_threadpool(self.feed.start, probe, who)
        return JSONResponse({"ok": True, "session": session, "who": self.redactor.value(who)})

    async def disconnect(self, request: Request) -> Response:
        """Stop listening (the session's items stay for export)."""
        await run_in_threadpool(self.feed.stop)
        return JSONResponse({"ok": True})

    async def clear(self, request: Request) -> Response:
        """Forget the session's items and counts; every open page clears its table."""
        self.feed.clear()
        self.broadcast.publish("cleared", {"session": self.feed.session})
        return JSONResponse({"ok": True})

    async def stream(self, request: Request) -> Response:
        """Stream server-sent events: a `hello` snapshot, then everything published after it."""
        cursor = self.broadcast.cursor()
        session, items = self.feed.recent()
        hello = sse("hello", {"session": session, "items": items, "stats": self.feed.snapshot(),
                              "doctor_running": self.doctor.running})

        async def body() -> AsyncIterator[bytes]:
            yield hello
            async for chunk in self.broadcast.follow(cursor):
                yield chunk

        return StreamingResponse(body(), media_type="text/event-stream",
                                 headers={"x-accel-buffering": "no"})

    async def export(self, request: Request) -> Response:
        """Download the session's recording as NDJSON (what `hotelmate-rt check` reads)."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        return StreamingResponse(
            iterate_in_threadpool(self.feed.export()), media_type="application/x-ndjson",
            headers={"content-disposition":
                     f'attachment; filename="hotelmate-rt-console-{stamp}.jsonl"'})

    async def send(self, request: Request) -> Response:
        """Send one test event through the Emitter (validated); 403 unless allowed."""
        sender = self.config.sender
        if sender is None:
            return JSONResponse({"ok": False, "error": SEND_DISABLED}, status_code=403)
        form = await _form(request)
        if isinstance(form, Response):
            return form
        event = _text(form.get("event"))
        if event is None:
            return JSONResponse({"ok": False, "error": "pick an event"}, status_code=400)
        params = _mapping(form.get("params"))
        result = await run_in_threadpool(sender.send, event, form.get("data"), params)
        return JSONResponse(result)

    async def run_doctor(self, request: Request) -> Response:
        """Start a doctor run; its checks arrive on the stream (409 while one runs)."""
        form = await _form(request)
        if isinstance(form, Response):
            return form
        options = doctor_options(form, self.config.settings, self.config.contract.path)
        if not self.doctor.start(options):
            return JSONResponse({"ok": False, "error": "the doctor is already running"},
                                status_code=409)
        return JSONResponse({"ok": True}, status_code=202)


def _text(value: Any) -> str | None:
    """Return a stripped non-empty string, or None."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _mapping(value: Any) -> dict[str, Any]:
    """Return `value` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


async def _form(request: Request) -> Mapping[str, Any] | Response:
    """Read a JSON object body, or answer 400/413 with the reason."""
    body = await request.body()
    if len(body) > MAX_BODY:
        return JSONResponse({"ok": False, "error": "request too large"}, status_code=413)
    try:
        data = json.loads(body or b"{}")
    except ValueError as exc:
        return JSONResponse({"ok": False, "error": f"not JSON: {exc}"}, status_code=400)
    if not isinstance(data, dict):
        return JSONResponse({"ok": False, "error": "expected a JSON object"}, status_code=400)
    return data


def create_app(config: ConsoleConfig) -> Guard:
    """Build the guarded ASGI app for one console (one session token, one port)."""
    console = _Console(config)
    routes = [
        Route("/", console.index),
        Route("/api/config", console.config_view),
        Route("/api/connect", console.connect, methods=["POST"]),
        Route("/api/disconnect", console.disconnect, methods=["POST"]),
        Route("/api/clear", console.clear, methods=["POST"]),
        Route("/api/stream", console.stream),
        Route("/api/export", console.export),
        Route("/api/send", console.send, methods=["POST"]),
        Route("/api/doctor", console.run_doctor, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=console.lifespan)
    app.state.console = console
    return Guard(app, config.token, allowed_hosts(config.host, config.port))
