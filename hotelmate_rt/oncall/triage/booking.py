"""Triage checks of the booking: its guest page's channels, who was and is on them, the token."""

from __future__ import annotations

import time
from collections.abc import Iterator

from hotelmate_rt.contracts import ChannelKind
from hotelmate_rt.oncall.authcheck import AuthAnswer, post_auth
from hotelmate_rt.oncall.checks import Outcome, failed, passed, skipped, warned
from hotelmate_rt.oncall.doctor.advice import auth_failure
from hotelmate_rt.oncall.model import Section

from .context import TRIAGE, TriageContext, when


@TRIAGE.fact("credentials", action="run with the backend's PUSHER_* settings")
def credentials(ctx: TriageContext) -> str | None:
    """App id, key and secret are known, so the HTTP API can be asked."""
    if ctx.settings.errors:
        return ctx.settings.errors[0]
    return None if ctx.settings.has_credentials else \
        "no PUSHER_APP_ID/KEY/SECRET to ask the HTTP API"


@TRIAGE.fact("guest-token")
def guest_token(ctx: TriageContext) -> str | None:
    """A guest token was given."""
    return None if ctx.options.guest_token else "no --guest-token given"


@TRIAGE.fact("auth-endpoint", action="pass --auth-endpoint URL")
def auth_endpoint(ctx: TriageContext) -> str | None:
    """An auth endpoint was given."""
    return None if ctx.options.auth_endpoint else "--guest-token needs --auth-endpoint"


@TRIAGE.check("booking.channels", Section.BOOKING, "Channels of the guest page")
def channels(ctx: TriageContext) -> Outcome | None:
    """Say which of the guest page's channels could not be named (nothing when all could)."""
    if not ctx.unnamed:
        return None
    return skipped("some channels could not be named: " + "; ".join(ctx.unnamed),
                   next_action="pass --hotel and --room to check them too",
                   code="missing-parameter")


@TRIAGE.check("booking.history", Section.BOOKING,
              "Subscription history of the guest's channels (webhooks)", only_if=("database",),
              needs=("app-database",))
def history(ctx: TriageContext) -> Outcome:
    """Say since when the guest's booking channel has (had no) subscriber, from stored webhooks.

    Declared before `booking.occupied`: when both find the page gone, the verdict is this
    sentence, which also says since when.
    """
    from django.db import DatabaseError

    from hotelmate_rt.django.history import channel_history

    try:
        histories = {cid: channel_history(name, using=ctx.options.database,
                                          label=f"The guest's {cid} channel {name}")
                     for name, cid in ctx.guest_channels}
    except DatabaseError as exc:
        return skipped(f"skipped: the webhook table cannot be read ({exc})",
                       next_action="run `python manage.py migrate hotelmate_rt`")
    main = histories.get("guest-booking") or next(iter(histories.values()), None)
    if main is None:
        return skipped("skipped: no guest channel could be named")
    evidence = [h.sentence for h in histories.values()]
    data = {"channels": [h.to_dict() for h in histories.values()]}
    if main.occupied is None:
        return warned(main.sentence, evidence=evidence, code="no-webhooks", data=data,
                      next_action="point the server's webhooks at the backend's "
                                  "/pusher/webhooks/ and check it with `hotelmate-rt doctor "
                                  "--webhook-url`")
    if main.occupied:
        return passed(main.sentence, evidence=evidence, data=data)
    action = "ask the guest to reload the booking page; if it stays empty, check the page " \
             "subscribes to this exact channel"
    if main.tentative:
        ctx.say(6, main.sentence)
        return warned(main.sentence, evidence=evidence, next_action=action, code="vacated",
                      data=data)
    ctx.say(3, main.sentence)
    return failed(main.sentence, evidence=evidence, next_action=action, code="vacated",
                  data=data)


@TRIAGE.check("booking.occupied", Section.BOOKING, "Is the guest page connected?",
              needs=("credentials",))
def occupied(ctx: TriageContext) -> Outcome | None:
    """Ask the HTTP API who is on each of the guest page's channels right now."""
    from hotelmate_rt.oncall.httpapi import HttpApiError, channel_info

    for state in ctx.report.channels:
        try:
            info = channel_info(ctx.settings, state.name, ctx.options.step_timeout)
        except HttpApiError as exc:
            state.error = ctx.redactor.text(str(exc))
            continue
        state.occupied = info.occupied
        state.subscription_count = info.subscription_count
    booking = next((s for s in ctx.report.channels if s.channel_id == "guest-booking"), None)
    if booking is None:
        return None
    evidence = [f"{s.name}: " + (s.error or f"occupied {s.occupied}, subscription_count "
                                 f"{s.subscription_count}") for s in ctx.report.channels]
    now = when(time.time())
    if booking.error:
        ctx.say(1, f"Cannot tell: the Pusher HTTP API refused the question ({booking.error}).")
        return failed(f"the HTTP API did not answer: {booking.error}", evidence=evidence,
                      next_action="run `hotelmate-rt doctor` for the credentials", code="http-api")
    if not booking.occupied:
        ctx.say(3, f"The guest page is not connected: no subscriber on {booking.name} right now "
                   f"({now}).")
        return failed(f"no subscriber on {booking.name} (checked {now})", evidence=evidence,
                      next_action="ask the guest to reload the booking page; if it stays empty, "
                                  "check the page subscribes to this exact channel (`hotelmate-rt "
                                  "doctor --frontend-src`)", code="no-subscriber",
                      data={"checked_at": now})
    count = booking.subscription_count
    shown = f"{count} subscriber(s)" if count is not None else "occupied"
    ctx.say(9, f"The guest page is connected ({shown} on {booking.name}); no problem found in "
               "what was checked.")
    return passed(f"{shown} on {booking.name} (checked {now})", evidence=evidence)


@TRIAGE.check("booking.token", Section.BOOKING,
              "Guest token authorizes this booking's channels (and only those)",
              only_if=("guest-token",), needs=("auth-endpoint",))
def token(ctx: TriageContext) -> Iterator[Outcome]:
    """The guest token must authorize the booking's private channels and refuse others."""
    o = ctx.options
    url, secret = o.auth_endpoint or "", o.guest_token
    evidence: list[str] = []
    broken: list[AuthAnswer] = []

    def ask(name: str, note: str = "") -> str:
        """POST one channel; return what the endpoint answered, or '' when it signed."""
        answer = post_auth(url, name, token=secret, timeout=o.step_timeout, origin=o.origin)
        evidence.append(f"{name}{note}: {answer.describe()}")
        if not answer.signed and not answer.refused:
            broken.append(answer)
        return "" if answer.signed else answer.describe()

    refused = [f"{name} ({why})" for name, _ in ctx.guest_channels
               if ChannelKind.of_name(name).needs_auth and (why := ask(name))]
    other = "BK-0000-0001" if o.booking_id != "BK-0000-0001" else "BK-0000-0002"
    foreign = [ctx.contract.render("guest-booking", booking_id=other)]
    if o.hotel_slug and "hotel-staff" in ctx.contract.channels:
        foreign.append(ctx.contract.render("hotel-staff", hotel_slug=o.hotel_slug))
    leaks = [name for name in foreign if not ask(name, " (must be refused)")]
    if leaks:
        ctx.say(0, f"Security problem: this guest's token can read {leaks[0]}.")
        yield failed(f"SECURITY: the guest token is authorized for {', '.join(leaks)}",
                     evidence=evidence, code="authorizes-foreign", security=True,
                     next_action="bind guest tokens to their own booking in the auth view")
    if broken:
        summary, action = auth_failure(broken[0], url, o.step_timeout)
        ctx.say(2, f"The guest page cannot subscribe: {summary}.")
        yield failed(summary, evidence=evidence, code=f"auth-{broken[0].outcome.value}",
                     next_action=action)
    elif refused:
        ctx.say(2, f"The guest page cannot subscribe: the auth endpoint refuses {refused[0]}.")
        yield failed(f"the auth endpoint refuses the guest's own channel(s): {'; '.join(refused)}",
                     evidence=evidence, code="own-refused",
                     next_action="check the token is this booking's and not expired")
    elif not leaks:
        yield passed("signs the booking's private channels and refuses the others",
                     evidence=evidence)
