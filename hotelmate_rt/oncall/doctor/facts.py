"""The facts doctor checks need: each returns None when it holds, else why it does not."""

from __future__ import annotations

from .context import DOCTOR, DoctorContext


@DOCTOR.fact("credentials", action="set PUSHER_APP_ID, PUSHER_KEY and PUSHER_SECRET (or "
                                   "PUSHER_URL) to let the doctor prove them")
def credentials(ctx: DoctorContext) -> str | None:
    """App id, key and secret are all set (HTTP API calls and the round trip need them)."""
    s = ctx.settings
    if s.has_credentials:
        return None
    if not s.secret:
        return "no app secret, so nothing can be sent or signed"
    return f"{' and '.join(s.missing)} not set, so the HTTP API cannot be asked"


@DOCTOR.fact("app-key", action="set PUSHER_KEY (backend) or the frontend's PUSHER_KEY")
def app_key(ctx: DoctorContext) -> str | None:
    """Some app key is known to connect with."""
    return None if ctx.page_key else "no app key"


@DOCTOR.fact("contract", action="fix the contract: `hotelmate-rt contract lint`")
def contract(ctx: DoctorContext) -> str | None:
    """The contract loaded."""
    return None if ctx.contract is not None else "the contract did not load"


@DOCTOR.fact("frontend-env", action="pass --frontend-env path/to/frontend/.env")
def frontend_env(ctx: DoctorContext) -> str | None:
    """A frontend env file was given."""
    return None if ctx.frontend is not None else \
        "no --frontend-env given: the frontend's key and cluster were not compared"


@DOCTOR.fact("frontend-input", action="pass --frontend-src DIR (or --frontend-env FILE)")
def frontend_input(ctx: DoctorContext) -> str | None:
    """A frontend env file or source directory was given."""
    return None if ctx.frontend is not None or ctx.options.frontend_src is not None else \
        "no --frontend-env or --frontend-src given"


@DOCTOR.fact("auth-endpoint", action="pass --auth-endpoint URL (with --guest-token/--staff-token)")
def auth_endpoint(ctx: DoctorContext) -> str | None:
    """An auth endpoint URL was given."""
    return None if ctx.options.auth_endpoint else "no --auth-endpoint given"


@DOCTOR.fact("auth-usable")
def auth_usable(ctx: DoctorContext) -> str | None:
    """The auth endpoint answered like an auth endpoint."""
    return None if ctx.auth_usable() else "the auth endpoint is not usable"


@DOCTOR.fact("guest-token", action="pass --guest-token TOKEN --booking ID")
def guest_token(ctx: DoctorContext) -> str | None:
    """A guest token was given."""
    return None if ctx.options.guest_token else "no --guest-token given"


@DOCTOR.fact("staff-token", action="pass --staff-token TOKEN --hotel SLUG")
def staff_token(ctx: DoctorContext) -> str | None:
    """A staff token was given."""
    return None if ctx.options.staff_token else "no --staff-token given"


@DOCTOR.fact("booking", action="pass --booking BK-....")
def booking(ctx: DoctorContext) -> str | None:
    """The guest token's booking id was given."""
    return None if ctx.options.booking_id else \
        "pass --booking with the guest token's booking id"


@DOCTOR.fact("hotel", action="pass --hotel SLUG")
def hotel(ctx: DoctorContext) -> str | None:
    """The hotel slug was given."""
    return None if ctx.options.hotel_slug else "pass --hotel with the hotel's slug"


@DOCTOR.fact("origin")
def origin(ctx: DoctorContext) -> str | None:
    """The frontend origin was given (for the CORS check)."""
    return None if ctx.options.origin else "no --origin given"


@DOCTOR.fact("audience", action="pass --hotel (public), --guest-token/--staff-token with "
                                "--auth-endpoint")
def audience(ctx: DoctorContext) -> str | None:
    """There is someone to subscribe as."""
    return None if ctx.audiences() else "no audience to subscribe as"


@DOCTOR.fact("round-trip-event")
def round_trip_event(ctx: DoctorContext) -> str | None:
    """The contract has the event and channel the round trip sends."""
    c = ctx.contract
    if c is not None and "booking_updated" in c.events and \
            "guest-booking" in c.events["booking_updated"].channels:
        return None
    return "the contract has no booking_updated event on guest-booking"
