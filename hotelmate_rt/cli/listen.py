"""`hotelmate-rt listen|record|check`: the live probe and offline recording checks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from .common import ContractOption, ExitCode, fail, load
from .output import Format, JsonOption, choose_format, format_option

if TYPE_CHECKING:
    from hotelmate_rt.contracts import Contract
    from hotelmate_rt.probes import Probe, RecordWriter

AS_OPTION = typer.Option(None, "--as", help="Listen as this audience: guest, staff or public.")
TOKEN_OPTION = typer.Option(None, "--token", envvar="HOTELMATE_RT_TOKEN", show_default=False,
                            help="Bearer token sent to the auth endpoint [env HOTELMATE_RT_TOKEN]"
                                 "; never printed.")
BOOKING_OPTION = typer.Option(None, "--booking", help="booking_id, e.g. BK-2025-0002.")
HOTEL_OPTION = typer.Option(None, "--hotel", help="hotel_slug, e.g. hotel-paradise.")
ROOM_OPTION = typer.Option(None, "--room", help="room_number, e.g. 101.")
CONVERSATION_OPTION = typer.Option(None, "--conversation", help="conversation_id, e.g. 45.")
PARAM_OPTION = typer.Option(None, "--param", help="Any other parameter as NAME=VALUE (repeat).")
CHANNEL_OPTION = typer.Option(None, "--channel",
                              help="Subscribe to this channel name instead (repeat).")
AUTH_OPTION = typer.Option(None, "--auth-endpoint", envvar="HOTELMATE_RT_AUTH_ENDPOINT",
                           help="The backend's Pusher auth endpoint URL "
                                "[env HOTELMATE_RT_AUTH_ENDPOINT].")
SIGN_OPTION = typer.Option(False, "--sign-locally",
                           help="Sign private channels with the app secret (dev servers only).")
SECRET_OPTION = typer.Option(None, "--secret", show_default=False,
                             help="App secret for --sign-locally [env HOTELMATE_RT_PUSHER_SECRET or "
                                  "PUSHER_SECRET]; never printed.")
KEY_OPTION = typer.Option(None, "--key", help="Pusher app key [env HOTELMATE_RT_PUSHER_KEY or "
                                              "PUSHER_KEY, or PUSHER_URL].")
HOST_OPTION = typer.Option(None, "--host", show_default=False,
                           help="Pusher-protocol server host (soketi) [env PUSHER_HOST or "
                                "PUSHER_URL; a port alone means 127.0.0.1].")
PORT_OPTION = typer.Option(None, "--port", show_default=False,
                           help="Server port [env PUSHER_PORT; default 443 with TLS, 80 without].")
TLS_OPTION = typer.Option(None, "--tls/--no-tls", show_default=False,
                          help="Connect with wss:// [env PUSHER_USE_TLS; default: on for hosted "
                               "Pusher, off for a host of your own].")
CLUSTER_OPTION = typer.Option(None, "--cluster", help="Hosted Pusher cluster, e.g. eu [env "
                                                      "PUSHER_CLUSTER; a host wins over it].")
TARGET_OPTION = typer.Option(None, "--target",
                             help="Payload limits of this contract target (default: the "
                                  "contract's default_target).")
COUNT_OPTION = typer.Option(None, "--count", min=1, help="Stop after N events.")
UNTIL_OPTION = typer.Option(None, "--until", help="Stop after the first EVENT of this name.")
TIMEOUT_OPTION = typer.Option(None, "--timeout", min=0.0, help="Stop after S seconds.")
AUTH_TIMEOUT_OPTION = typer.Option(5.0, "--auth-timeout", min=0.1,
                                   help="Seconds to wait for the auth endpoint.")
STREAM_FORMATS = (Format.TEXT, Format.NDJSON)
FORMAT_OPTION = format_option(STREAM_FORMATS)

_PARAM_FLAGS = {"booking_id": "--booking", "hotel_slug": "--hotel", "room_number": "--room",
                "conversation_id": "--conversation"}


@dataclass(frozen=True, slots=True)
class SessionArgs:
    """Everything listen and record share, as parsed from the command line."""

    audience: str | None
    token: str | None
    params: dict[str, str]
    channels: list[str]
    auth_endpoint: str | None
    sign_locally: bool
    secret: str | None
    key: str | None
    host: str | None
    port: int | None
    tls: bool | None
    cluster: str | None
    target: str | None
    count: int | None
    until: str | None
    timeout: float | None
    auth_timeout: float


def register(app: typer.Typer) -> None:
    """Attach listen, record and check to the root app."""
    app.command("listen")(listen_command)
    app.command("record")(record_command)
    app.command("check")(check_command)


def _params(booking: str | None, hotel: str | None, room: str | None,
            conversation: str | None, extra: list[str] | None) -> dict[str, str]:
    """Collect channel parameters from the named flags and --param NAME=VALUE."""
    params = {k: v for k, v in (("booking_id", booking), ("hotel_slug", hotel),
                                ("room_number", room), ("conversation_id", conversation)) if v}
    for item in extra or []:
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            fail(f"--param {item!r} is not NAME=VALUE", hint="e.g. --param room_number=101")
        params[name.strip()] = value.strip()
    return params


def listen_command(
    audience: str | None = AS_OPTION, token: str | None = TOKEN_OPTION,
    booking: str | None = BOOKING_OPTION, hotel: str | None = HOTEL_OPTION,
    room: str | None = ROOM_OPTION, conversation: str | None = CONVERSATION_OPTION,
    param: list[str] | None = PARAM_OPTION, channel: list[str] | None = CHANNEL_OPTION,
    auth_endpoint: str | None = AUTH_OPTION, sign_locally: bool = SIGN_OPTION,
    secret: str | None = SECRET_OPTION, key: str | None = KEY_OPTION, host: str | None = HOST_OPTION,
    port: int | None = PORT_OPTION, tls: bool | None = TLS_OPTION, cluster: str | None = CLUSTER_OPTION,
    target: str | None = TARGET_OPTION, count: int | None = COUNT_OPTION,
    until: str | None = UNTIL_OPTION, timeout: float | None = TIMEOUT_OPTION,
    auth_timeout: float = AUTH_TIMEOUT_OPTION, output_format: str = FORMAT_OPTION,
    as_json: bool = JsonOption, contract_path: Path | None = ContractOption,
) -> None:
    """Subscribe as a guest, staff member or the public and judge every event received.

    Exit 0 when everything seen conformed, 1 when any violation was seen (or --until never
    came), 2 for usage, connection or auth errors.
    """
    args = SessionArgs(audience, token, _params(booking, hotel, room, conversation, param),
                       list(channel or []), auth_endpoint, sign_locally, secret, key, host,
                       port, tls, cluster, target, count, until, timeout, auth_timeout)
    fmt = choose_format(output_format, as_json, STREAM_FORMATS)
    raise typer.Exit(int(run_session(args, fmt, contract_path, out=None)))


def record_command(
    out: Path = typer.Option(..., "--out", "-o", help="Write every probe event here (JSONL)."),
    audience: str | None = AS_OPTION, token: str | None = TOKEN_OPTION,
    booking: str | None = BOOKING_OPTION, hotel: str | None = HOTEL_OPTION,
    room: str | None = ROOM_OPTION, conversation: str | None = CONVERSATION_OPTION,
    param: list[str] | None = PARAM_OPTION, channel: list[str] | None = CHANNEL_OPTION,
    auth_endpoint: str | None = AUTH_OPTION, sign_locally: bool = SIGN_OPTION,
    secret: str | None = SECRET_OPTION, key: str | None = KEY_OPTION, host: str | None = HOST_OPTION,
    port: int | None = PORT_OPTION, tls: bool | None = TLS_OPTION, cluster: str | None = CLUSTER_OPTION,
    target: str | None = TARGET_OPTION, count: int | None = COUNT_OPTION,
    until: str | None = UNTIL_OPTION, timeout: float | None = TIMEOUT_OPTION,
    auth_timeout: float = AUTH_TIMEOUT_OPTION, output_format: str = FORMAT_OPTION,
    as_json: bool = JsonOption, contract_path: Path | None = ContractOption,
) -> None:
    """Listen like `listen` and write every event (with its verdict) to a JSONL recording."""
    args = SessionArgs(audience, token, _params(booking, hotel, room, conversation, param),
                       list(channel or []), auth_endpoint, sign_locally, secret, key, host,
                       port, tls, cluster, target, count, until, timeout, auth_timeout)
    fmt = choose_format(output_format, as_json, STREAM_FORMATS)
    raise typer.Exit(int(run_session(args, fmt, contract_path, out=out)))


def check_command(
    recording: str = typer.Argument(..., help="JSONL recording to judge ('-' for stdin)."),
    target: str | None = TARGET_OPTION, output_format: str = FORMAT_OPTION,
    as_json: bool = JsonOption, contract_path: Path | None = ContractOption,
) -> None:
    """Judge a recording offline: every line with a channel, an event and data.

    Exit 0 when every event conforms, 1 on any violation, 2 when the file cannot be read or
    has unreadable lines.
    """
    from hotelmate_rt.errors import HotelmateRtError
    from hotelmate_rt.probes import check_recording

    from .reporters.check import REPORTER

    fmt = choose_format(output_format, as_json, REPORTER.formats)
    contract = load(contract_path, json_errors=fmt is Format.NDJSON)
    try:
        result = check_recording(contract, recording, target)
    except HotelmateRtError as exc:
        _error(str(exc), fmt)
    REPORTER.write(result, fmt)
    if result.unreadable:
        raise typer.Exit(int(ExitCode.USAGE))
    raise typer.Exit(int(ExitCode.OK if result.ok else ExitCode.FINDINGS))


# -- the session ---------------------------------------------------------------------------


def build_probe(args: SessionArgs, contract: Contract, options: Any = None) -> Probe:
    """Turn command-line arguments into a ready (not yet connected) Probe, or exit 2."""
    from hotelmate_rt.errors import HotelmateRtError
    from hotelmate_rt.probes import (
        Authorizer,
        EndpointAuthorizer,
        LocalSigner,
        Probe,
        Redactor,
        ServerAddress,
        StopWhen,
        plan_subscriptions,
    )
    from hotelmate_rt.settings import flag_overrides, load_settings

    settings = load_settings(overrides=flag_overrides(
        key=args.key, secret=args.secret, host=args.host, port=args.port, cluster=args.cluster,
        tls=args.tls))
    redactor = Redactor([args.token, settings.secret])
    if settings.errors:
        fail(redactor("; ".join(settings.errors)))
    if not settings.key:
        fail("no Pusher app key", hint="pass --key or set PUSHER_KEY (the key the frontend uses)")
    if args.audience is None and not args.channels:
        fail("say who you listen as (--as guest|staff|public) or name channels with --channel",
             hint="e.g. hotelmate-rt listen --as guest --token T --booking BK-2025-0002")
    try:
        plan = plan_subscriptions(contract, args.audience, args.params, args.channels)
    except HotelmateRtError as exc:
        flags = ", ".join(f"{_PARAM_FLAGS.get(p, '--param ' + p)}" for p in
                          sorted(_missing_params(str(exc), contract)))
        fail(str(exc), hint=f"pass {flags}" if flags else "")
    authorizer: Authorizer | None = None
    if plan.needs_auth:
        if args.sign_locally:
            if not settings.secret:
                fail("--sign-locally needs the app secret",
                     hint="pass --secret or set HOTELMATE_RT_PUSHER_SECRET (dev servers only)")
            authorizer = LocalSigner(settings.key, settings.secret)
        elif args.auth_endpoint:
            if not args.token:
                fail(f"{args.audience or 'this'} listen needs a bearer token for the auth "
                     "endpoint", hint="pass --token or set HOTELMATE_RT_TOKEN")
            authorizer = EndpointAuthorizer(args.auth_endpoint, args.token, settings.key,
                                            timeout=args.auth_timeout, redactor=redactor)
        else:
            private = ", ".join(c.name for c in plan.channels if c.private)
            fail(f"{private} need(s) authorization from the backend's auth endpoint",
                 hint="pass --auth-endpoint URL --token T (or --sign-locally for a dev server)")
    server = ServerAddress.from_settings(settings)
    try:
        return Probe(contract, server, plan, authorizer, target=args.target,
                     stop=StopWhen(args.count, args.until, args.timeout), options=options,
                     redactor=redactor)
    except HotelmateRtError as exc:
        fail(redactor(str(exc)))


def _missing_params(message: str, contract: Contract) -> list[str]:
    """Find parameter names mentioned in an error message (for a flag hint)."""
    return [p for p in contract.parameters if p in message and "pass" in message]


def run_session(args: SessionArgs, fmt: Format, contract_path: Path | None,
                out: Path | None) -> ExitCode:
    """Run listen/record: stream events to the renderer (and the recording), return the code."""
    from hotelmate_rt.errors import AuthEndpointError, HotelmateRtError
    from hotelmate_rt.probes import RecordWriter

    from .reporters.probe import REPORTER

    contract = load(contract_path, json_errors=fmt is Format.NDJSON)
    probe = build_probe(args, contract)
    writer: RecordWriter | None = None
    if out is not None:
        try:
            writer = RecordWriter(out)
        except HotelmateRtError as exc:
            probe.close()
            _error(str(exc), fmt)
    renderer = REPORTER.open(fmt)
    error: HotelmateRtError | None = None
    renderer.begin(args.audience or "explicit channels", [c.name for c in probe.plan.channels],
                   probe.summary)
    try:
        for event in probe.events():
            if writer is not None:
                writer.write(event)
            renderer.show(event)
    except HotelmateRtError as exc:
        error = exc
    except KeyboardInterrupt:
        probe.summary.stopped = "interrupted"
    finally:
        probe.close()
        summary = probe.summary
        if writer is not None:
            writer.write(summary.to_dict())
            writer.close()
        renderer.end(summary, writer.path if writer else None)
    if error is not None:
        status = error.status if isinstance(error, AuthEndpointError) else None
        _error(probe.redactor(str(error)), fmt, status=status)
    return ExitCode.OK if summary.ok else ExitCode.FINDINGS


def _error(message: str, fmt: Format, status: int | None = None) -> Any:
    """Report a fatal error (as the stream's last NDJSON line too) and exit 2."""
    from .reporters.probe import FATAL, Fatal

    FATAL.write(Fatal(message, status), fmt)
    fail(message)
