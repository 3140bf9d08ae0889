"""Doctor check of subscriptions: subscribe as each audience to every channel it may read."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping

from hotelmate_rt.contracts import ChannelKind
from hotelmate_rt.oncall.checks import Outcome, failed, passed, skipped, with_id
from hotelmate_rt.oncall.listening import Heard, Listening
from hotelmate_rt.oncall.model import Section

from .context import DOCTOR, DoctorContext


def _channels(ctx: DoctorContext, audience: str, params: Mapping[str, str]
              ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Render the channels an audience may read; list (channel id, why) for the ones that fail."""
    assert ctx.contract is not None
    rendered: list[tuple[str, str]] = []
    missing: list[tuple[str, str]] = []
    for channel in ctx.contract.readable_channels(audience):
        if audience == "public" and not channel.public_readable:
            continue
        name = ctx.render(channel.id, params)
        if name is None:
            need = [p for p in channel.template.parameters if p not in params]
            missing.append((channel.id, f"needs {', '.join(need) or 'valid parameters'}"))
        else:
            rendered.append((name, channel.id))
    return rendered, missing


@DOCTOR.check("subscription", Section.SUBSCRIPTION, "Subscriptions",
              needs=("websocket.connect", "contract", "audience"))
def subscriptions(ctx: DoctorContext) -> Iterator[Outcome]:
    """Open one probe per channel (all at once) and report one result per channel."""
    from hotelmate_rt.probes import EndpointAuthorizer

    timeout = ctx.timeout()
    probes = []
    for audience, token, params in ctx.audiences():
        rendered, missing = _channels(ctx, audience, params)
        for channel_id, why in missing:
            yield with_id(skipped(f"skipped: {channel_id} ({why})", code="skipped",
                                  next_action="pass --booking / --hotel / --room"),
                          f"subscription.{audience}.{channel_id}", f"{audience}: {channel_id}")
        for name, channel_id in rendered:
            authorizer = EndpointAuthorizer(
                ctx.options.auth_endpoint or "", token, ctx.page_key, timeout,
                redactor=ctx.redactor, origin=ctx.options.origin) \
                if ChannelKind.of_name(name).needs_auth and token else None
            probes.append((f"{audience}.{channel_id}", ctx.probe([(name, channel_id)], authorizer)))
    with Listening(probes) as listening:
        listening.wait_ready(time.monotonic() + timeout)
    for heard in listening.heard:
        audience = heard.label.split(".", 1)[0]
        yield with_id(_result(heard, timeout), f"subscription.{heard.label}",
                      f"{audience}: {heard.channels[0]}")


def _result(heard: Heard, timeout: float) -> Outcome:
    """Say whether one channel was subscribed, and if not, who refused and why."""
    from hotelmate_rt.probes import PusherError, SubscriptionFailed

    name = heard.channels[0]
    if name in heard.subscribed:
        how = "via the auth endpoint" if heard.authorized else "public"
        accepted = ": the server accepted the endpoint's signature" if heard.authorized else ""
        return passed(f"subscribed ({how}){accepted}",
                      evidence=[f"pusher_internal:subscription_succeeded on {name}"])
    refusals = heard.of_type(SubscriptionFailed)
    errors = heard.of_type(PusherError)
    evidence = [f"pusher:subscription_error{_status(f.status, ' status')}: {f.reason}"
                for f in refusals if f.source == "server"]
    evidence += [f"auth endpoint{_status(f.status, ': HTTP')}: {f.reason}" for f in refusals
                 if f.source == "auth-endpoint"]
    evidence += [f"pusher:error code {e.code}: {e.message}" for e in errors]
    if heard.fatal is not None:
        evidence.append(str(heard.fatal))
    server = next((f for f in refusals if f.source == "server"), None)
    if server is not None:
        return failed(f"pusher:subscription_error{_status(server.status)}: {server.reason}; "
                      f"{server.meaning}", evidence=evidence, code="subscription-error",
                      next_action="sign with the same app key and secret the server has (the "
                                  "auth endpoint's PUSHER_SECRET)")
    if refusals:
        return failed(f"the auth endpoint refused: {refusals[0].meaning or refusals[0].reason}",
                      evidence=evidence, code="auth-refused",
                      next_action="see the auth endpoint checks above")
    if errors:
        return failed(f"pusher:error code {errors[0].code}: {errors[0].message}",
                      evidence=evidence, code="pusher-error",
                      next_action="see the server's error above")
    return failed(f"no answer to the subscription within {timeout:.1f} s", evidence=evidence,
                  code="subscription-timeout", next_action="check the server logs")


def _status(status: int | None, label: str = "") -> str:
    """Show a status after a label (" status 401"), or nothing when the answer had none."""
    return f"{label} {status}" if status is not None else ""
