"""Doctor check of the websocket: connect as the page would, and name any refusal."""

from __future__ import annotations

import time

from hotelmate_rt.oncall.checks import Outcome, failed, passed
from hotelmate_rt.oncall.listening import Listening
from hotelmate_rt.oncall.model import Section

from .advice import TLS_ON_PLAIN_PORT, classify_ws
from .context import DOCTOR, DoctorContext


@DOCTOR.check("websocket.connect", Section.WEBSOCKET, "Websocket connect", needs=("app-key",))
def connect(ctx: DoctorContext) -> Outcome:
    """Open one connection with no channel (through the probe) and classify the outcome."""
    from hotelmate_rt.probes import PusherError

    server = ctx.server()
    probe = ctx.probe([], None)
    timeout = probe.connection.options.connect_timeout
    started = time.monotonic()
    with Listening([("connect", probe)]) as listening:
        # a little past the connection's own timeout, so its verdict (a fatal error) arrives
        listening.wait_ready(started + timeout + 0.5)
        elapsed = (time.monotonic() - started) * 1000
    heard = listening.heard[0]
    evidence = [f"connect {server.url.split('?')[0]}"]
    errors = heard.of_type(PusherError)
    evidence.extend(f"pusher:error code {e.code}: {e.message}" for e in errors)
    if heard.socket_id is not None:
        evidence.append(f"socket id {heard.socket_id}")
        return passed(f"connected to {server.host}:{server.port} with key {server.key!r}",
                      evidence=evidence, data={"connect_ms": round(max(elapsed, 0.0), 1)})
    reason = str(heard.fatal) if heard.fatal else "no connection_established in time"
    evidence.append(reason.split(" -+-+- ", 1)[0])  # websocket-client appends headers and body
    code, summary, action = classify_ws(reason, [e.code for e in errors], server, ctx.settings)
    if server.tls and code in {"timeout", "not-pusher", "connect-failed"}:
        from hotelmate_rt.oncall.httpapi import plain_http_answers

        if plain_http_answers(server.host, server.port, min(ctx.timeout(), 1.0)):
            code, action = TLS_ON_PLAIN_PORT
            summary = (f"TLS spoken to a plain port: {server.host}:{server.port} answers plain "
                       "HTTP but not the TLS handshake")
    return failed(summary, evidence=evidence, next_action=action, code=code)
