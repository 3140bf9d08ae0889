"""`hotelmate-rt listen|record|check`: the live probe and offline recording checks."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from .common import ContractOption, ExitCode, JsonOption, fail, load, print_ndjson

if TYPE_CHECKING:
    from rich.console import Console

    from hotelmate_rt.contracts import Contract
    from hotelmate_rt.probes import (
        Probe,
        ProbeEvent,
        ProbeSettings,
        ProbeSetupError,
        ProbeSummary,
        RecordWriter,
    )

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
    auth_timeout: float = AUTH_TIMEOUT_OPTION, as_json: bool = JsonOption,
    contract_path: Path | None = ContractOption,
) -> None:
    """Subscribe as a guest, staff member or the public and judge every event received.

    Exit 0 when everything seen conformed, 1 when any violation was seen (or --until never
    came), 2 for usage, connection or auth errors.
    """
    args = SessionArgs(audience, token, _params(booking, hotel, room, conversation, param),
                       list(channel or []), auth_endpoint, sign_locally, secret, key, host,
                       port, tls, cluster, target, count, until, timeout, auth_timeout)
    raise typer.Exit(int(run_session(args, as_json, contract_path, out=None)))


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
    auth_timeout: float = AUTH_TIMEOUT_OPTION, as_json: bool = JsonOption,
    contract_path: Path | None = ContractOption,
) -> None:
    """Listen like `listen` and write every event (with its verdict) to a JSONL recording."""
    args = SessionArgs(audience, token, _params(booking, hotel, room, conversation, param),
                       list(channel or []), auth_endpoint, sign_locally, secret, key, host,
                       port, tls, cluster, target, count, until, timeout, auth_timeout)
    raise typer.Exit(int(run_session(args, as_json, contract_path, out=out)))


def check_command(
    recording: str = typer.Argument(..., help="JSONL recording to judge ('-' for stdin)."),
    target: str | None = TARGET_OPTION, as_json: bool = JsonOption,
    contract_path: Path | None = ContractOption,
) -> None:
    """Judge a recording offline: every line with a channel, an event and data.

    Exit 0 when every event conforms, 1 on any violation, 2 when the file cannot be read or
    has unreadable lines.
    """
    from hotelmate_rt.errors import HotelmateRtError
    from hotelmate_rt.probes import check_recording

    contract = load(contract_path, json_errors=as_json)
    try:
        result = check_recording(contract, recording, target)
    except HotelmateRtError as exc:
        _error(str(exc), as_json)
    if as_json:
        for record in result.records:
            print_ndjson(record.to_dict())
        for bad in result.unreadable:
            print_ndjson(bad.to_dict())
        print_ndjson(result.to_dict())
    else:
        from .common import stdout

        console = stdout()
        for record in result.records:
            if not record.verdict.ok:
                console.print(f"[dim]line {record.line}:[/] " + _verdict_line(record.verdict))
                for finding_line in _finding_lines(record.verdict):
                    console.print(finding_line)
        for bad in result.unreadable:
            console.print(f"[bold red]line {bad.line}:[/] unreadable: {_esc(bad.problem)}")
        counts = ", ".join(f"{n} {k}" for k, n in result.kinds.most_common()) or "no events"
        colour = "green" if result.ok else "red"
        console.print(f"[{colour}]{len(result.records)} event(s), {result.violations} "
                      f"violation(s)[/] in {_esc(result.source)} ({counts})")
        if result.unreadable:
            console.print(f"[red]{len(result.unreadable)} unreadable line(s)[/]")
    if result.unreadable:
        raise typer.Exit(int(ExitCode.USAGE))
    raise typer.Exit(int(ExitCode.OK if result.ok else ExitCode.FINDINGS))


# -- the session ---------------------------------------------------------------------------


_SETUP_HINTS = {
    "key": "pass --key or set PUSHER_KEY (the key the frontend uses)",
    "audience": "e.g. hotelmate-rt listen --as guest --token T --booking BK-2025-0002",
    "secret": "pass --secret or set HOTELMATE_RT_PUSHER_SECRET (dev servers only)",
    "token": "pass --token or set HOTELMATE_RT_TOKEN",
    "auth": "pass --auth-endpoint URL --token T (or --sign-locally for a dev server)",
}


def probe_settings(args: SessionArgs) -> ProbeSettings:
    """Read the server from the flags over the environment (`hotelmate_rt.settings`) for `args`."""
    from hotelmate_rt.probes import ProbeSettings
    from hotelmate_rt.settings import flag_overrides, load_settings

    pusher = load_settings(overrides=flag_overrides(
        key=args.key, secret=args.secret, host=args.host, port=args.port, cluster=args.cluster,
        tls=args.tls))
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


def run_session(args: SessionArgs, as_json: bool, contract_path: Path | None,
                out: Path | None) -> ExitCode:
    """Run listen/record: stream events to the renderer (and the recording), return the code."""
    from hotelmate_rt.errors import AuthEndpointError, HotelmateRtError
    from hotelmate_rt.probes import RecordWriter

    contract = load(contract_path, json_errors=as_json)
    probe = build_probe(args, contract)
    writer: RecordWriter | None = None
    if out is not None:
        try:
            writer = RecordWriter(out)
        except HotelmateRtError as exc:
            probe.close()
            _error(str(exc), as_json)
    renderer: _Renderer = _JsonRenderer() if as_json else _HumanRenderer(args, probe)
    error: HotelmateRtError | None = None
    interrupted = False
    renderer.begin()
    try:
        for event in probe.events():
            if writer is not None:
                writer.write(event)
            renderer.show(event)
    except HotelmateRtError as exc:
        error = exc
    except KeyboardInterrupt:
        interrupted = True
        probe.summary.stopped = "interrupted"
    finally:
        probe.close()
        summary = probe.summary
        if writer is not None:
            writer.write(summary.to_dict())
            writer.close()
        renderer.end(summary, writer.path if writer else None)
    if error is not None:
        message = probe.redactor(str(error))
        status = error.status if isinstance(error, AuthEndpointError) else None
        _error(message, as_json, status=status)
    if interrupted:
        return ExitCode.OK if summary.ok else ExitCode.FINDINGS
    return ExitCode.OK if summary.ok else ExitCode.FINDINGS


def _error(message: str, as_json: bool, status: int | None = None) -> None:
    """Report a fatal error (as an NDJSON line too with --json) and exit 2."""
    if as_json:
        line: dict[str, Any] = {"type": "error", "message": message}
        if status is not None:
            line["status"] = status
        print_ndjson(line)
    fail(message)


# -- rendering -------------------------------------------------------------------------------


class _Renderer:
    """Show probe events as they come and a summary at the end."""

    def begin(self) -> None:
        """Prepare the output."""

    def show(self, event: ProbeEvent) -> None:
        """Show one event."""

    def end(self, summary: ProbeSummary, recording: str | None) -> None:
        """Show the summary."""


class _JsonRenderer(_Renderer):
    """One NDJSON line per event, then the summary line."""

    def show(self, event: ProbeEvent) -> None:
        """Write the event as one JSON line."""
        print_ndjson(event.to_dict())

    def end(self, summary: ProbeSummary, recording: str | None) -> None:
        """Write the summary as the last JSON line."""
        data = summary.to_dict()
        if recording:
            data["recording"] = recording
        print_ndjson(data)


_KIND_STYLE = {"conforms": "green", "deprecated-name": "yellow", "sensitive-exposed": "magenta"}
MAX_LINES_PER_SECOND = 25


def _esc(text: str) -> str:
    """Escape rich markup in text that came from the network or the user."""
    return text.replace("[", "\\[")


def _verdict_line(verdict: Any, at: float | None = None) -> str:
    """One rich line for an event: time, verdict kinds, channel, event name."""
    kinds = [k.value for k in verdict.kinds]
    styled = " ".join(f"[{_KIND_STYLE.get(k, 'red')}]{k}[/]" for k in kinds)
    mark = "[green]✓[/]" if verdict.ok else "[red]✗[/]"
    stamp = f"[dim]{time.strftime('%H:%M:%S', time.localtime(at))}{f'{at % 1:.3f}'[1:]}[/] " \
        if at is not None else ""
    return f"{stamp}{mark} {_esc(verdict.channel)}  [bold]{_esc(verdict.event)}[/]  {styled}"


def _finding_lines(verdict: Any) -> list[str]:
    """One indented rich line per finding (path and replacement included)."""
    lines = []
    for finding in verdict.findings:
        style = _KIND_STYLE.get(finding.kind.value, "red")
        path = f" {finding.path}" if finding.path and finding.path not in finding.message \
            else ""
        lines.append(f"    [{style}]{finding.kind.value}[/]{_esc(path)}: {_esc(finding.message)}")
    return lines


class _HumanRenderer(_Renderer):
    """Rich lines for people; above MAX_LINES_PER_SECOND, one aggregate line per second."""

    def __init__(self, args: SessionArgs, probe: Probe) -> None:
        """Remember who listens where, for the header and the status line."""
        from .common import stdout

        self.console: Console = stdout()
        self.args = args
        self.probe = probe
        self._window = 0.0
        self._lines = 0
        self._held: Counter[str] = Counter()
        self._held_events = 0
        self._live: Any = None

    def begin(self) -> None:
        """Print who we listen as and start the status line (on a terminal)."""
        who = self.args.audience or "explicit channels"
        channels = ", ".join(c.name for c in self.probe.plan.channels)
        self.console.print(f"[bold]listening as {_esc(who)}[/] on {_esc(channels)}")
        if self.console.is_terminal:
            from rich.live import Live

            self._live = Live(self._status(), console=self.console, refresh_per_second=4,
                              transient=True, get_renderable=self._status)
            self._live.start()

    def _status(self) -> Any:
        """Render the status line: counts so far."""
        from rich.text import Text

        s = self.probe.summary
        return Text(f"… {s.events} event(s), {s.violations} violation(s), {len(s.gaps)} gap(s)",
                    style="dim")

    def _print(self, text: str) -> None:
        """Print one line above the live status."""
        self.console.print(text, highlight=False)

    def _flush_held(self) -> None:
        """Print the aggregate of events not shown one by one."""
        if self._held_events:
            counts = ", ".join(f"{n} {k}" for k, n in self._held.most_common())
            self._print(f"[dim]… {self._held_events} more event(s) in the last second:[/] "
                        f"{counts}")
            self._held.clear()
            self._held_events = 0

    def show(self, event: ProbeEvent) -> None:
        """Print one event line (or fold it into the per-second aggregate)."""
        from hotelmate_rt.probes import Judged

        now = time.monotonic()
        if now - self._window >= 1.0:
            self._flush_held()
            self._window = now
            self._lines = 0
        if isinstance(event, Judged):
            if self._lines >= MAX_LINES_PER_SECOND:
                self._held_events += 1
                for kind in event.kinds:
                    self._held[kind.value] += 1
                return
            self._lines += 1
            self._print(_verdict_line(event.verdict, event.at))
            for line in _finding_lines(event.verdict):
                self._print(line)
            return
        self._print(self._describe(event))

    def _describe(self, event: ProbeEvent) -> str:
        """One rich line for a connection, subscription, error, gap or note event."""
        from hotelmate_rt.probes import (
            Gap,
            Note,
            PusherError,
            StateChanged,
            Subscribed,
            SubscriptionFailed,
        )

        if isinstance(event, StateChanged):
            extra = f" (socket {event.socket_id}, activity timeout {event.activity_timeout:g} s)" \
                if event.state == "connected" and event.activity_timeout else ""
            reason = f": {_esc(event.reason)}" if event.reason and event.state != "stopped" \
                else ""
            return f"[cyan]connection {event.state}[/]{extra}{reason}"
        if isinstance(event, Subscribed):
            again = " again" if event.resubscribed else ""
            return f"[cyan]subscribed{again}[/] {_esc(event.channel)}" \
                   f" [dim]({event.channel_id or 'not in contract'})[/]"
        if isinstance(event, SubscriptionFailed):
            return f"[bold red]subscription refused[/] {_esc(event.channel)} by " \
                   f"{event.source} (status {event.status}): {_esc(event.reason)}; " \
                   f"{_esc(event.meaning)}"
        if isinstance(event, PusherError):
            return f"[red]pusher:error[/] code {event.code}: {_esc(event.message)}"
        if isinstance(event, Gap):
            return f"[bold yellow]gap[/] {event.seconds:.1f} s: disconnected " \
                   f"{time.strftime('%H:%M:%S', time.localtime(event.disconnected_at))}, " \
                   f"back {time.strftime('%H:%M:%S', time.localtime(event.reconnected_at))} " \
                   f"({_esc(event.reason)}); events sent meanwhile may be missing"
        if isinstance(event, Note):
            return f"[dim]note: {_esc(event.message)}[/]"
        return _esc(str(event.to_dict()))

    def end(self, summary: ProbeSummary, recording: str | None) -> None:
        """Stop the status line and print the summary."""
        self._flush_held()
        if self._live is not None:
            self._live.stop()
        colour = "green" if summary.ok else "red"
        counts = ", ".join(f"{n} {k}" for k, n in summary.kinds.most_common()) or "no events"
        stopped = f"; stopped: {_esc(summary.stopped)}" if summary.error is None else ""
        self.console.print(f"[bold {colour}]{summary.events} event(s), {summary.violations} "
                           f"violation(s)[/] ({counts}){stopped}")
        if summary.gaps:
            total = sum(g.seconds for g in summary.gaps)
            self.console.print(f"[yellow]{len(summary.gaps)} gap(s), {total:.1f} s in total: "
                               "events sent during a gap may have been missed[/]")
        if summary.until and not summary.until_seen:
            self.console.print(f"[red]never saw {_esc(summary.until)}[/]")
        if recording:
            self.console.print(f"[dim]recorded to {_esc(recording)}[/]")
