"""Doctor checks of the auth endpoint: reachable, CORS, own channels signed, others refused."""

from __future__ import annotations

from hotelmate_rt.oncall.authcheck import (
    DIAGNOSTIC_SOCKET_ID,
    AuthAnswer,
    AuthOutcome,
    post_auth,
    signature_matches,
)
from hotelmate_rt.oncall.checks import Outcome, failed, passed, skipped, warned
from hotelmate_rt.oncall.model import Section, Status

from .advice import auth_failure
from .context import DIAGNOSTIC_BOOKING, DOCTOR, FOREIGN_BOOKING, FOREIGN_HOTEL, DoctorContext

_TOKEN_CHECK = ("auth-endpoint",)
_TOKEN_NEEDS = ("auth-usable", "contract")


def _failure(ctx: DoctorContext, answer: AuthAnswer, evidence: list[str], timeout: float,
             title: str = "") -> Outcome:
    """Name an auth endpoint failure as a failed outcome."""
    summary, action = auth_failure(answer, ctx.options.auth_endpoint or "", timeout)
    return failed(summary, evidence=evidence, next_action=action, title=title,
                  code=f"auth-{answer.outcome.value}")


def _ask(ctx: DoctorContext, channel: str, token: str | None) -> tuple[AuthAnswer, float]:
    """POST one channel to the auth endpoint as pusher-js would; return the answer and timeout."""
    timeout = ctx.timeout()
    return post_auth(ctx.options.auth_endpoint or "", channel, token=token, timeout=timeout,
                     origin=ctx.options.origin), timeout


@DOCTOR.check("auth.reachable", Section.AUTH, "Auth endpoint reachable", needs=("auth-endpoint",))
def reachable(ctx: DoctorContext) -> Outcome:
    """POST without a token: a working endpoint answers 401 (or 403) in JSON."""
    answer, timeout = _ask(ctx, ctx.probe_channel(), None)
    evidence = [f"POST {ctx.options.auth_endpoint} channel_name={answer.channel} without a "
                f"token: {answer.describe()} in {answer.elapsed_ms:.0f} ms"]
    if answer.refused:
        return passed(f"answers and refuses an anonymous request ({answer.describe()})",
                      evidence=evidence)
    if answer.signed:
        return failed("the auth endpoint signs a private channel for a request with no token",
                      evidence=evidence, code="signs-anonymous", security=True,
                      next_action="require a valid bearer token before signing anything")
    return _failure(ctx, answer, evidence, timeout)


@DOCTOR.check("auth.cors", Section.AUTH, "CORS for the frontend origin",
              only_if=("auth-endpoint", "origin"))
def cors(ctx: DoctorContext) -> Outcome:
    """Send the browser's preflight and check the POST's Access-Control-Allow-Origin."""
    from hotelmate_rt.oncall.authcheck import preflight

    origin = ctx.options.origin or ""
    url = ctx.options.auth_endpoint or ""
    title = f"CORS for {origin}"
    pre = preflight(url, origin, ctx.timeout())
    evidence = [f"OPTIONS {url} Origin: {origin}: "
                + (pre.error or f"HTTP {pre.status}, Access-Control-Allow-Origin "
                   f"{pre.allow_origin or '(none)'}, -Allow-Headers {pre.allow_headers or '(none)'}")]
    if pre.error:
        return failed(f"the CORS preflight failed: {pre.error}", evidence=evidence, title=title,
                      next_action="make the endpoint answer OPTIONS", code="cors-preflight")
    post, _ = _ask(ctx, ctx.probe_channel(), None)
    post_origin = post.headers.get("access-control-allow-origin", "")
    evidence.append(f"POST Origin: {origin}: Access-Control-Allow-Origin {post_origin or '(none)'}")
    problems = []
    if pre.status is None or pre.status >= 400:
        problems.append(f"the preflight answered HTTP {pre.status}")
    if not pre.origin_allowed:
        problems.append(f"the preflight does not allow origin {origin}")
    elif not pre.authorization_allowed:
        problems.append("the preflight does not allow the Authorization header")
    if not pre.post_allowed:
        problems.append("the preflight does not allow POST")
    if post_origin not in {origin, "*"}:
        problems.append("the POST answer has no Access-Control-Allow-Origin for it")
    if problems:
        return failed("CORS blocks the browser: " + "; ".join(problems), evidence=evidence,
                      title=title, code="cors",
                      next_action=f"allow origin {origin} (with the Authorization header) in the "
                                  "backend's CORS settings (django-cors-headers "
                                  "CORS_ALLOWED_ORIGINS)")
    return passed(f"the browser at {origin} may call the auth endpoint", evidence=evidence,
                  title=title)


def _allowed(ctx: DoctorContext, token: str, channel: str | None, who: str) -> Outcome:
    """Ask for a channel the principal may read: expect a signature made with the app secret."""
    if channel is None:
        return skipped("skipped: the contract cannot name this channel with the given "
                       "parameters", code="skipped")
    title = f"{who.capitalize()} token: own channel {channel}"
    answer, timeout = _ask(ctx, channel, token)
    evidence = [f"POST channel_name={channel} as {who}: {answer.describe()} in "
                f"{answer.elapsed_ms:.0f} ms"]
    if not answer.signed:
        return _failure(ctx, answer, evidence, timeout, title)
    signed_key = answer.auth.split(":", 1)[0]
    if ctx.page_key and signed_key != ctx.page_key:
        return failed(f"the endpoint signs with app key {signed_key!r}, the page connects with "
                      f"{ctx.page_key!r}: soketi will reject the subscription", evidence=evidence,
                      title=title, code="auth-key-mismatch",
                      next_action="give the auth endpoint the same PUSHER_KEY/SECRET as the app")
    secret = ctx.settings.secret
    if secret:
        if signature_matches(answer.auth, signed_key, secret, DIAGNOSTIC_SOCKET_ID, channel,
                             answer.channel_data):
            evidence.append("the signature is HMAC-SHA256 with this app's secret")
        else:
            mismatch = _secret_mismatch(ctx, evidence, title)
            if mismatch is not None:
                return mismatch
    return passed(f"signs {channel} for the {who}", evidence=evidence, title=title)


def _secret_mismatch(ctx: DoctorContext, evidence: list[str], title: str) -> Outcome | None:
    """Judge a signature made with another secret than PUSHER_SECRET here, by who is proven.

    Only a PUSHER_SECRET the server accepted (the HTTP API check passed) can prove the endpoint
    wrong; a PUSHER_SECRET the server refused is the wrong one, and the subscription check (the
    server judging the endpoint's signature) has the last word.
    """
    api = ctx.results.get("http-api.credentials")
    if api is not None and api.status is Status.PASS:
        return failed("the endpoint's signature was not made with this app's secret: the "
                      "server will reject the subscription", evidence=evidence, title=title,
                      code="auth-wrong-secret",
                      next_action="give the auth endpoint the same PUSHER_SECRET as the app")
    if api is not None and api.code == "wrong-secret":
        evidence.append("the signature was not made with PUSHER_SECRET here, which the server "
                        "refused (see the HTTP API check): the subscription checks show whether "
                        "the server accepts the endpoint's signature")
        return None
    evidence.append("the signature was not made with PUSHER_SECRET here, which the server has "
                    "not confirmed")
    return warned("the endpoint signs with another secret than PUSHER_SECRET here: one of the "
                  "two is wrong (the subscription checks show which one the server accepts)",
                  evidence=evidence, title=title, code="auth-secret-differs",
                  next_action="give the backend, the auth endpoint and this check the app's "
                              "PUSHER_SECRET")


def _forbidden(ctx: DoctorContext, token: str, channel: str | None, who: str,
               what: str) -> Outcome | None:
    """Ask for a channel the principal must not read: expect a refusal (403 or 401)."""
    if channel is None:
        return None
    title = f"{who.capitalize()} token: {what} is refused"
    answer, timeout = _ask(ctx, channel, token)
    evidence = [f"POST channel_name={channel} as {who}: {answer.describe()}"]
    if answer.signed:
        return failed(f"SECURITY: the auth endpoint authorizes a {who} on {what} ({channel}): "
                      f"anyone holding a {who} token can read it", evidence=evidence,
                      title=title, code="authorizes-foreign", security=True,
                      next_action="bind the token to its own booking/hotel in the auth view "
                                  "(hotelmate_rt.auth.authorize does this from the contract)")
    if answer.outcome is AuthOutcome.FORBIDDEN:
        return passed(f"refused with 403 ({answer.reason or 'no reason'})", evidence=evidence,
                      title=title)
    if answer.outcome is AuthOutcome.UNAUTHENTICATED:
        return warned("refused, but with 401: the token itself was not accepted, so this does "
                      "not prove the endpoint checks the booking", evidence=evidence, title=title,
                      next_action=f"pass a valid --{who}-token", code="token-refused")
    return _failure(ctx, answer, evidence, timeout, title)


@DOCTOR.check("auth.guest.own", Section.AUTH, "Guest token: own booking channel",
              only_if=_TOKEN_CHECK, needs=(*_TOKEN_NEEDS, "guest-token", "booking"))
def guest_own(ctx: DoctorContext) -> Outcome:
    """The guest token gets its own booking channel signed."""
    channel = ctx.render("guest-booking", {"booking_id": ctx.options.booking_id})
    return _allowed(ctx, ctx.options.guest_token or "", channel, "guest")


@DOCTOR.check("auth.guest.foreign", Section.AUTH,
              "Guest token: another booking's channel is refused",
              only_if=(*_TOKEN_CHECK, "guest-token"), needs=_TOKEN_NEEDS)
def guest_foreign(ctx: DoctorContext) -> Outcome | None:
    """The guest token is refused another booking's channel."""
    other = FOREIGN_BOOKING if ctx.options.booking_id != FOREIGN_BOOKING else DIAGNOSTIC_BOOKING
    channel = ctx.render("guest-booking", {"booking_id": other})
    return _forbidden(ctx, ctx.options.guest_token or "", channel, "guest",
                      "another booking's channel")


@DOCTOR.check("auth.guest.staff", Section.AUTH, "Guest token: the staff channel is refused",
              only_if=(*_TOKEN_CHECK, "guest-token", "hotel"), needs=_TOKEN_NEEDS)
def guest_staff(ctx: DoctorContext) -> Outcome | None:
    """The guest token is refused the hotel's staff channel."""
    channel = ctx.render("hotel-staff", {"hotel_slug": ctx.options.hotel_slug})
    return _forbidden(ctx, ctx.options.guest_token or "", channel, "guest",
                      "the hotel's staff channel")


@DOCTOR.check("auth.staff.own", Section.AUTH, "Staff token: own hotel's staff channel",
              only_if=_TOKEN_CHECK, needs=(*_TOKEN_NEEDS, "staff-token", "hotel"))
def staff_own(ctx: DoctorContext) -> Outcome:
    """The staff token gets its own hotel's staff channel signed."""
    channel = ctx.render("hotel-staff", {"hotel_slug": ctx.options.hotel_slug})
    return _allowed(ctx, ctx.options.staff_token or "", channel, "staff")


@DOCTOR.check("auth.staff.foreign", Section.AUTH,
              "Staff token: another hotel's staff channel is refused",
              only_if=(*_TOKEN_CHECK, "staff-token"), needs=_TOKEN_NEEDS)
def staff_foreign(ctx: DoctorContext) -> Outcome | None:
    """The staff token is refused another hotel's staff channel."""
    hotel = ctx.options.hotel_slug
    other = FOREIGN_HOTEL if hotel != FOREIGN_HOTEL else FOREIGN_HOTEL + "-2"
    channel = ctx.render("hotel-staff", {"hotel_slug": other})
    return _forbidden(ctx, ctx.options.staff_token or "", channel, "staff",
                      "another hotel's staff channel")
