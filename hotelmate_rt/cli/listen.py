"""`hotelmate-rt listen|record|check`: the live probe and offline recording checks.

Exit codes of listen / record: 0 the session listened and everything seen conformed; 1 findings
(a violation, a gap during which events may have been missed, a refused channel, a malformed or
unexpected frame, `--until` never seen); 2 usage, load, connection or auth errors, and a session
that never listened (never connected, nothing subscribed before `--timeout` or Ctrl-C).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from .common import SHARED, ContractOption, ExitCode, fail, load, shared_options
from .output import Format, JsonOption, choose_format, format_option

if TYPE_CHECKING:
    from hotelmate_rt.contracts import Contract
    from hotelmate_rt.probes import (
        Probe,
        ProbeSettings,
        ProbeSetupError,
        RecordWriter,
    )

AS_OPTION = typer.Option(None, "--as", help="Listen as this audience: guest, staff or public.")
TOKEN_OPTION = typer.Option(None, "--token", envvar="HOTELMATE_RT_TOKEN", show_default=False,
                            help="Bearer token sent to the auth endpoint [env HOTELMATE_RT_TOKEN]"
                                 "; never printed.")
_MANY = " Repeat it, or give @FILE (one value per line), to listen to every one."
BOOKING_OPTION = typer.Option(None, "--booking", help="booking_id, e.g. BK-2025-0002." + _MANY)
HOTEL_OPTION = typer.Option(None, "--hotel", help="hotel_slug, e.g. hotel-paradise." + _MANY)
ROOM_OPTION = typer.Option(None, "--room", help="room_number, e.g. 101." + _MANY)
CONVERSATION_OPTION = typer.Option(None, "--conversation",
                                   help="conversation_id, e.g. 45." + _MANY)
PARAM_OPTION = typer.Option(None, "--param", help="Any other parameter as NAME=VALUE (repeat; "
                                                  "NAME=@FILE reads the values from a file).")
CHANNEL_OPTION = typer.Option(None, "--channel",
                              help="Subscribe to this channel name instead (repeat).")
CHANNELS_FROM_OPTION = typer.Option(None, "--channels-from",
                                    help="Subscribe to the channel names in FILE (one per line).")
NODE_OPTION = typer.Option(None, "--node", help="A node of a cluster as HOST:PORT (repeat): the "
                                                "probe fails over to the next when its node dies "
                                                "[env HOTELMATE_RT_PUSHER_NODES].")
SHOW_DATA_OPTION = typer.Option(False, "--show-data", help="Print each event's payload under it.")
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
    params: dict[str, list[str]]
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
    nodes: tuple[str, ...] = ()
    show_data: bool = False


def register(app: typer.Typer) -> None:
    """Attach listen, record and check to the root app."""
    app.command("listen")(listen_command)
    app.command("record")(record_command)
    app.command("check")(check_command)


def _lines(path: str, what: str) -> list[str]:
    """Read the values of a file, one per line (blank lines and # comments skipped), or exit 2."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        fail(f"cannot read {what} file {path}: {reason}")
    values = [line.strip() for line in text.splitlines()]
    values = [v for v in values if v and not v.startswith("#")]
    if not values:
        fail(f"{what} file {path} names nothing", hint="one value per line")
    return values


def _expand(values: str | list[str] | None, flag: str) -> list[str]:
    """Turn repeated flag values into a list, reading `@FILE` values from their file."""
    out: list[str] = []
    for value in [values] if isinstance(values, str) else values or []:
        out.extend(_lines(value[1:], flag) if value.startswith("@") else [value.strip()])
    return out


def _params(booking: str | list[str] | None, hotel: str | list[str] | None,
            room: str | list[str] | None, conversation: str | list[str] | None,
            extra: list[str] | None) -> dict[str, list[str]]:
    """Collect channel parameters (several values each) from the named flags and --param."""
    params: dict[str, list[str]] = {}
    for name, values in (("booking_id", booking), ("hotel_slug", hotel), ("room_number", room),
                         ("conversation_id", conversation)):
        if values:
            params[name] = _expand(values, _PARAM_FLAGS[name])
    for item in extra or []:
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            fail(f"--param {item!r} is not NAME=VALUE", hint="e.g. --param room_number=101")
        params.setdefault(name.strip(), []).extend(_expand([value], "--param " + name.strip()))
    return params


def _channels(channel: list[str] | None, channels_from: Path | None) -> list[str]:
    """Collect channel names from --channel and --channels-from."""
    names = list(channel or [])
    if channels_from is not None:
        names.extend(_lines(str(channels_from), "--channels-from"))
    return names


@dataclass(frozen=True, slots=True)
class SessionFlags:
    """What the flags listen and record share ask for: the session, its format, the contract."""

    args: SessionArgs
    fmt: Format
    contract_path: Path | None


def session_flags(
    audience: str | None = AS_OPTION, token: str | None = TOKEN_OPTION,
    booking: list[str] | None = BOOKING_OPTION, hotel: list[str] | None = HOTEL_OPTION,
    room: list[str] | None = ROOM_OPTION, conversation: list[str] | None = CONVERSATION_OPTION,
    param: list[str] | None = PARAM_OPTION, channel: list[str] | None = CHANNEL_OPTION,
    channels_from: Path | None = CHANNELS_FROM_OPTION,
    auth_endpoint: str | None = AUTH_OPTION, sign_locally: bool = SIGN_OPTION,
    secret: str | None = SECRET_OPTION, key: str | None = KEY_OPTION, host: str | None = HOST_OPTION,
    port: int | None = PORT_OPTION, tls: bool | None = TLS_OPTION, cluster: str | None = CLUSTER_OPTION,
    node: list[str] | None = NODE_OPTION,
    target: str | None = TARGET_OPTION, count: int | None = COUNT_OPTION,
    until: str | None = UNTIL_OPTION, timeout: float | None = TIMEOUT_OPTION,
    auth_timeout: float = AUTH_TIMEOUT_OPTION, show_data: bool = SHOW_DATA_OPTION,
    output_format: str = FORMAT_OPTION,
    as_json: bool = JsonOption, contract_path: Path | None = ContractOption,
) -> SessionFlags:
    """Collect the options listen and record share (declared once, here)."""
    args = SessionArgs(audience, token, _params(booking, hotel, room, conversation, param),
                       _channels(channel, channels_from), auth_endpoint, sign_locally, secret,
                       key, host, port, tls, cluster, target, count, until, timeout,
                       auth_timeout, tuple(node or ()), show_data)
    fmt = choose_format(output_format, as_json, STREAM_FORMATS)
    return SessionFlags(args, fmt, contract_path)


@shared_options(session_flags)
def listen_command(session: SessionFlags = SHARED) -> None:
    """Subscribe as a guest, staff member or the public and judge every event received.

    Exit 0 when it listened and everything seen conformed; 1 on findings (a violation, a gap
    during which events may have been missed, a refused channel, a malformed frame, --until
    never seen); 2 for usage, connection or auth errors, or when it never listened.
    """
    raise typer.Exit(int(run_session(session.args, session.fmt, session.contract_path,
                                     out=None)))


@shared_options(session_flags)
def record_command(
    out: Path = typer.Option(..., "--out", "-o", help="Write every probe event here (JSONL)."),
    session: SessionFlags = SHARED,
) -> None:
    """Listen like `listen` and write every event (with its verdict) to a JSONL recording."""
    raise typer.Exit(int(run_session(session.args, session.fmt, session.contract_path,
                                     out=out)))


def check_command(
    recording: str = typer.Argument(..., help="JSONL recording to judge ('-' for stdin)."),
    target: str | None = TARGET_OPTION,
    allow_empty: bool = typer.Option(False, "--allow-empty",
                                     help="Accept a recording with no event (exit 0)."),
    output_format: str = FORMAT_OPTION,
    as_json: bool = JsonOption, contract_path: Path | None = ContractOption,
) -> None:
    """Judge a recording offline in one pass: every line with a channel, an event and data.

    Exit 0 when every event conforms; 1 on any violation, on a recording with no event (unless
    --allow-empty) and on one whose session reported a refused channel, a gap, a malformed frame
    or an error; 2 when the file cannot be read or has unreadable lines.
    """
    from hotelmate_rt.errors import HotelmateRtError
    from hotelmate_rt.probes import check_recording

    from .reporters.check import REPORTER

    fmt = choose_format(output_format, as_json, REPORTER.formats)
    contract = load(contract_path, json_errors=fmt is Format.NDJSON)
    renderer = REPORTER.open(fmt)
    show = renderer.show if fmt is Format.NDJSON else None
    try:
        result = check_recording(contract, recording, target, allow_empty=allow_empty,
                                 on_item=show)
    except HotelmateRtError as exc:
        _error(str(exc), fmt)
    renderer.end(result)
    if result.unreadable_count:
        raise typer.Exit(int(ExitCode.USAGE))
    raise typer.Exit(int(ExitCode.OK if result.ok else ExitCode.FINDINGS))


# -- the session ---------------------------------------------------------------------------


_SETUP_HINTS = {
    "key": "pass --key or set PUSHER_KEY (the key the frontend uses)",
    "audience": "e.g. hotelmate-rt listen --as guest --token T --booking BK-2025-0002",
    "secret": "pass --secret or set HOTELMATE_RT_PUSHER_SECRET (dev servers only)",
    "token": "pass --token or set HOTELMATE_RT_TOKEN",
    "auth": "pass --auth-endpoint URL --token T (or --sign-locally for a dev server)",
    "until": "--until takes an event name of the contract (`hotelmate-rt contract show`)",
}


def probe_settings(args: SessionArgs) -> ProbeSettings:
    """Read the server from the flags over the environment (`hotelmate_rt.settings`) for `args`."""
    from hotelmate_rt.probes import ProbeSettings
    from hotelmate_rt.settings import flag_overrides, load_settings

    pusher = load_settings(overrides=flag_overrides(
        key=args.key, secret=args.secret, host=args.host, port=args.port, cluster=args.cluster,
        tls=args.tls, nodes=list(args.nodes)))
    return ProbeSettings(pusher=pusher, audience=args.audience, token=args.token,
                         params=args.params, channels=args.channels,
                         auth_endpoint=args.auth_endpoint, sign_locally=args.sign_locally,
                         target=args.target, count=args.count, until=args.until,
                         timeout=args.timeout, auth_timeout=args.auth_timeout)


def setup_failed(exc: ProbeSetupError) -> NoReturn:
    """Exit 2 with the setup problem and the flag (or variable) that fixes it."""
    flags = ", ".join(_PARAM_FLAGS.get(p, "--param " + p) for p in exc.missing)
    hint = f"pass {flags}" if exc.field == "params" and flags else _SETUP_HINTS.get(exc.field, "")
    fail(str(exc), hint=hint)


def build_probe(args: SessionArgs, contract: Contract, options: Any = None) -> Probe:
    """Turn command-line arguments into a ready (not yet connected) Probe, or exit 2."""
    from hotelmate_rt.probes import ProbeSetupError
    from hotelmate_rt.probes import build_probe as build

    try:
        return build(probe_settings(args), contract, options)
    except ProbeSetupError as exc:
        setup_failed(exc)


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
    renderer.show_data = args.show_data
    error: HotelmateRtError | None = None
    renderer.begin(args.audience or "explicit channels",
                   [(c.name, c.channel_id) for c in probe.plan.channels], probe.summary)
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
    if not summary.listened:
        _error(_never_listened(probe), fmt)
    return ExitCode.OK if summary.ok else ExitCode.FINDINGS


def _never_listened(probe: Probe) -> str:
    """Say in one sentence why a session that ended without error never listened."""
    summary = probe.summary
    stopped = summary.stopped or "stopped"
    where = ", ".join(f"{s.host}:{s.port}" for s in probe.connection.servers)
    last = f"; last problem: {summary.last_failure}" if summary.last_failure else ""
    if not summary.connected:
        return f"never connected to {where} ({stopped}){last}; nothing was listened to"
    return f"no channel was subscribed on {where} ({stopped}){last}; nothing was listened to"


def _error(message: str, fmt: Format, status: int | None = None) -> Any:
    """Report a fatal error (as the stream's last NDJSON line too) and exit 2."""
    from .reporters.probe import FATAL, Fatal

    FATAL.write(Fatal(message, status), fmt)
    fail(message)
