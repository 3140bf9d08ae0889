"""Triage check while someone acts: listen as guest and staff, compare with what was expected."""

from __future__ import annotations

import time

from hotelmate_rt.oncall.checks import Outcome, failed, passed, skipped, warned
from hotelmate_rt.oncall.listening import Heard, Listening, make_probe
from hotelmate_rt.oncall.model import Section

from .context import DELIVERED, TRIAGE, TriageContext


@TRIAGE.fact("watching")
def watching(ctx: TriageContext) -> str | None:
    """--watch was given."""
    return None if ctx.options.watch else "no --watch given"


@TRIAGE.check("watch", Section.WATCH, "Watch", only_if=("watching",))
def watch(ctx: TriageContext) -> Outcome:
    """Listen as guest and staff for `watch` seconds (less when everything expected arrived)."""
    from hotelmate_rt.probes import ServerAddress

    o = ctx.options
    seconds = o.watch or 0.0
    title = f"Watch for {seconds:g} s"
    server = ServerAddress.from_settings(ctx.settings)
    private = ("private-", "presence-")
    probes = []
    guest_auth = ctx.authorizer(o.guest_token)
    guest = [(n, c) for n, c in ctx.guest_channels if guest_auth is not None or
             not n.startswith(private)]
    if guest:
        probes.append(("guest" if o.guest_token else "guest (signed locally)", guest, guest_auth))
    staff = [c for c in ctx.watch_channels() if c not in ctx.guest_channels]
    staff_auth = ctx.authorizer(o.staff_token) if staff else None
    if staff and staff_auth is not None:
        probes.append(("staff", staff, staff_auth))
    if not probes:
        return skipped("skipped: nothing to listen to (pass --guest-token/--staff-token with "
                       "--auth-endpoint, or the app secret)", title=title)
    lasting = o.step_timeout + seconds + 1.0
    with Listening([(label, make_probe(ctx.contract, server, channels, auth, o.step_timeout,
                                       ctx.redactor, lasting))
                    for label, channels, auth in probes]) as listening:
        if not listening.wait_ready(time.monotonic() + o.step_timeout):
            late = [h for h in listening.heard if not h.ready]
            ctx.say(2, f"Could not listen as {late[0].label}: {late[0].failure()}.")
            return failed(f"could not listen as {', '.join(h.label for h in late)}",
                          evidence=[f"{h.label}: {h.failure()}" for h in late], title=title,
                          next_action="run `hotelmate-rt doctor` with the same options",
                          code="cannot-listen")
        expected = set(ctx.expected)

        def all_arrived() -> bool:
            """Tell whether every expected (event, channel) arrived."""
            return bool(expected) and expected <= _arrived(listening.heard)

        listening.wait(all_arrived, time.monotonic() + seconds)
    outcome = _report(ctx, listening.heard, seconds)
    outcome.title = title
    return outcome


def _arrived(heard: list[Heard]) -> set[tuple[str, str]]:
    """Return every (event, channel) any probe received."""
    return {(j.event, j.channel) for h in heard for j in h.judged}


def _report(ctx: TriageContext, heard: list[Heard], seconds: float) -> Outcome:
    """Say which expected events arrived, which did not, and what came instead."""
    expected = ctx.expected
    received = [(h.label, j) for h in heard for j in h.judged]
    arrived = _arrived(heard)
    missing = [pair for pair in expected if pair not in arrived]
    instead = [(label, j) for label, j in received if (j.event, j.channel) not in set(expected)]
    bad = [(label, j) for label, j in received if not j.verdict.ok]
    ctx.report.watch = ctx.keep({
        "seconds": ctx.options.watch, "listening_as": [h.label for h in heard],
        "channels": sorted({c for h in heard for c in h.channels}),
        "expected": [{"event": e, "channel": c, "arrived": (e, c) in arrived}
                     for e, c in expected],
        "received": [{"as": label, **j.to_dict()} for label, j in received],
        "unexpected": [{"as": label, **j.to_dict()} for label, j in instead]})
    evidence = [f"{'arrived' if pair in arrived else 'MISSING'}: {pair[0]} on {pair[1]}"
                for pair in expected]
    evidence += [f"as {label}: {j.event} on {j.channel} ("
                 + ("conforms" if j.verdict.ok else "; ".join(f.message for f in j.verdict.findings))
                 + ")" for label, j in received]
    if missing:
        event, channel = missing[0]
        names = ", ".join(sorted({j.event for _, j in instead})) or "nothing"
        ctx.say(2, f"{event} never reached {channel} during the {seconds:g} s watch (arrived "
                   f"instead: {names}).")
        return failed(f"{len(missing)} expected event(s) never arrived (first: {event} on "
                      f"{channel}); arrived instead: {names}", evidence=evidence,
                      next_action="check the staff action emits these events (dead letter, log, "
                                  "`hotelmate-rt scan`)", code="missing-events")
    if bad:
        _, j = bad[0]
        ctx.say(3, f"{j.event} arrived on {j.channel} but the page may ignore it: "
                   f"{j.verdict.findings[0].message}.")
        return failed(f"{len(bad)} event(s) arrived but break the contract (first: {j.event} on "
                      f"{j.channel})", evidence=evidence, code="violations",
                      next_action="fix the payload or names the backend sends")
    if expected:
        ctx.say(DELIVERED, "Every expected event reached the guest's channels during the watch "
                           f"({', '.join(sorted({e for e, _ in expected}))}).")
        return passed(f"every expected event arrived ({len(expected)})", evidence=evidence)
    if received:
        return passed(f"{len(received)} event(s) arrived", evidence=evidence)
    ctx.say(6, f"Nothing arrived on the booking's channels during the {seconds:g} s watch.")
    return warned(f"nothing arrived in {seconds:g} s", evidence=evidence, code="nothing",
                  next_action="perform the staff action during --watch, or pass --expect")
