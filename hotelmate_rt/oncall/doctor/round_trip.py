"""Doctor check of the round trip: the real emitter sends, a listening probe times the arrival."""

from __future__ import annotations

import statistics
import time

from hotelmate_rt.oncall.checks import Outcome, failed, passed
from hotelmate_rt.oncall.listening import Listening
from hotelmate_rt.oncall.model import Section

from .context import DIAGNOSTIC_BOOKING, DOCTOR, DoctorContext, send_diagnostic


@DOCTOR.check("round-trip", Section.ROUND_TRIP, "Round trip (emitter -> server -> probe)",
              needs=("credentials", "http-api.credentials", "websocket.connect",
                     "round-trip-event"))
def round_trip(ctx: DoctorContext) -> Outcome:
    """Listen on the diagnostic booking channel; send `round_trips` events with `Emitter`."""
    from hotelmate_rt.probes import LocalSigner

    s = ctx.settings
    channel = ctx.render("guest-booking", {"booking_id": DIAGNOSTIC_BOOKING}) or ""
    rounds = max(1, ctx.options.round_trips)
    probe = ctx.probe([(channel, "guest-booking")], LocalSigner(s.key, s.secret),
                      lasting=ctx.timeout() * (rounds + 1) + 1.0)
    evidence = [f"listening on {channel} (a booking no guest has), signed locally"]
    timings: list[float] = []
    with Listening([("round-trip", probe)]) as listening:
        heard = listening.heard[0]
        if not listening.wait_ready(time.monotonic() + ctx.timeout()):
            return failed(f"the probe could not listen: {heard.failure()}", evidence=evidence,
                          next_action="see the websocket and subscription checks",
                          code="no-listener")
        with ctx.emitter(s) as emitter:
            for index in range(rounds):
                sent_at = time.time()
                nonce, error = send_diagnostic(emitter)
                if error:
                    return failed(f"the emitter could not send: {error}", evidence=evidence,
                                  next_action="see the HTTP API check", code="send-failed")

                def arrived(nonce: str = nonce) -> bool:
                    return any(nonce in str(j.data) for j in heard.judged)

                if not listening.wait(arrived, time.monotonic() + ctx.timeout()):
                    return failed(f"event {index + 1} was accepted by the HTTP API but never "
                                  f"reached the probe on {channel}", evidence=evidence,
                                  next_action="check the backend and the page use the same "
                                              "server/app", code="lost")
                got = next(j for j in heard.judged if nonce in str(j.data))
                timings.append((got.at - sent_at) * 1000)
                if not got.verdict.ok:
                    evidence.append("verdict: " + "; ".join(f.message for f in got.verdict.findings))
    p50 = statistics.median(timings)
    evidence.append("round trips (ms): " + ", ".join(f"{t:.1f}" for t in timings))
    return passed(f"{len(timings)} diagnostic booking_updated events arrived, p50 {p50:.1f} ms",
                  evidence=evidence, data={"p50_ms": round(p50, 2),
                                           "timings_ms": [round(t, 2) for t in timings]})
