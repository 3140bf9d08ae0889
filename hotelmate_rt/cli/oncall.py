"""`hotelmate-rt doctor` and `hotelmate-rt triage booking ID`: on-call checklists.

The checks stream as they finish: on a terminal a progress line (stderr) names the running step,
so a long run is never silent; the report is written at the end by its reporter
(`cli/reporters/doctor.py`, `cli/reporters/triage.py`) in the `--format` asked for.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from .common import SHARED, ContractOption, ExitCode, print_error, shared_options, stderr
from .output import Format, JsonOption, MarkdownOption, Reporter, Sink, choose_format, format_option

if TYPE_CHECKING:
    from rich.console import Console

    from hotelmate_rt.oncall import Check

FORMATS = (Format.TEXT, Format.JSON, Format.MARKDOWN)
FormatOption = format_option(FORMATS)
EnvFileOption = typer.Option(None, "--env-file", help="Backend env file with PUSHER_* "
                             "(laid over the process environment).")
AppIdOption = typer.Option(None, "--app-id", help="Override PUSHER_APP_ID.")
KeyOption = typer.Option(None, "--key", help="Override PUSHER_KEY.")
SecretOption = typer.Option(None, "--secret", help="Override PUSHER_SECRET (prefer the env: "
                            "HOTELMATE_RT_PUSHER_SECRET or PUSHER_SECRET).")
HostOption = typer.Option(None, "--host", help="Override PUSHER_HOST (soketi).")
PortOption = typer.Option(None, "--port", help="Override PUSHER_PORT.")
ClusterOption = typer.Option(None, "--cluster", help="Override PUSHER_CLUSTER.")
TlsOption = typer.Option(None, "--tls/--no-tls", help="Override PUSHER_USE_TLS.")
NodeOption = typer.Option(None, "--node", help="A node of a cluster as HOST:PORT (repeat; "
                          "overrides HOTELMATE_RT_PUSHER_NODES): doctor checks each node and "
                          "the round trip between them.")
AuthEndpointOption = typer.Option(None, "--auth-endpoint", help="The backend's Pusher auth URL.")
GuestTokenOption = typer.Option(None, "--guest-token", envvar="HOTELMATE_RT_GUEST_TOKEN",
                                show_envvar=True, help="A guest's bearer token.")
StaffTokenOption = typer.Option(None, "--staff-token", envvar="HOTELMATE_RT_STAFF_TOKEN",
                                show_envvar=True, help="A staff member's bearer token.")
HotelOption = typer.Option(None, "--hotel", help="Hotel slug (public and staff channels).")
RoomOption = typer.Option(None, "--room", help="Room number (room chat channel).")
OriginOption = typer.Option(None, "--origin", help="The frontend origin, for the CORS check.")
BudgetOption = typer.Option(30.0, "--budget", min=1.0, help="Bound on the whole run, seconds.")
TimeoutOption = typer.Option(5.0, "--timeout", min=0.1, help="Timeout of each step, seconds.")


def register(app: typer.Typer) -> None:
    """Attach `doctor` and `triage` to the root app."""
    app.command("doctor")(doctor_command)
    triage = typer.Typer(help="Answer support's questions about one booking.",
                         no_args_is_help=True)
    triage.command("booking")(triage_booking_command)
    app.add_typer(triage, name="triage")


@dataclass(frozen=True, slots=True)
class ServerFlags:
    """What the server flags doctor and triage share say: contract, env file, PUSHER_* overrides."""

    contract: Path | None
    env_file: Path | None
    overrides: dict[str, str]


def server_flags(
    contract: Path | None = ContractOption,
    env_file: Path | None = EnvFileOption,
    app_id: str | None = AppIdOption,
    key: str | None = KeyOption,
    secret: str | None = SecretOption,
    host: str | None = HostOption,
    port: int | None = PortOption,
    cluster: str | None = ClusterOption,
    tls: bool | None = TlsOption,
) -> ServerFlags:
    """Collect the options doctor and triage share (declared once, here)."""
    from hotelmate_rt.settings import flag_overrides

    return ServerFlags(contract, env_file, flag_overrides(
        app_id=app_id, key=key, secret=secret, host=host, port=port, cluster=cluster, tls=tls))


@shared_options(server_flags)
def doctor_command(
    server: ServerFlags = SHARED,
    node: list[str] | None = NodeOption,
    frontend_env: Path | None = typer.Option(
        None, "--frontend-env", help="Frontend env file (REACT_APP_PUSHER_* / VITE_PUSHER_*)."),
    frontend_src: Path | None = typer.Option(
        None, "--frontend-src", help="Frontend source directory to check pusher-js names."),
    auth_endpoint: str | None = AuthEndpointOption,
    guest_token: str | None = GuestTokenOption,
    staff_token: str | None = StaffTokenOption,
    booking: str | None = typer.Option(None, "--booking", help="The guest token's booking id."),
    hotel: str | None = HotelOption,
    room: str | None = RoomOption,
    origin: str | None = OriginOption,
    budget: float = BudgetOption,
    timeout: float = TimeoutOption,
    round_trips: int = typer.Option(3, "--round-trips", min=1, max=20,
                                    help="Diagnostic events to time (p50)."),
    webhook_url: str | None = typer.Option(
        None, "--webhook-url", show_default=False,
        help="The backend's Pusher webhook URL, checked to accept Pusher and refuse forgeries "
             "[env HOTELMATE_RT_WEBHOOK_URL]."),
    output_format: str = FormatOption,
    as_json: bool = JsonOption,
    markdown: bool = MarkdownOption,
) -> None:
    """Walk the whole realtime path; exit 0 all pass, 1 any fail, 2 could not run."""
    from hotelmate_rt.cli.reporters.doctor import REPORTER
    from hotelmate_rt.oncall import DoctorOptions, run_doctor
    from hotelmate_rt.settings import flag_overrides

    fmt = choose_format(output_format, as_json, FORMATS, markdown=markdown)
    options = DoctorOptions(
        contract=server.contract, backend_env_file=server.env_file,
        overrides=server.overrides | flag_overrides(nodes=node),
        frontend_env=frontend_env, frontend_src=frontend_src, auth_endpoint=auth_endpoint,
        guest_token=guest_token, staff_token=staff_token, booking_id=booking, hotel_slug=hotel,
        room_number=room, origin=origin, budget=budget, step_timeout=min(timeout, budget),
        round_trips=round_trips, webhook_url=webhook_url)
    _run_and_report("doctor", run_doctor, options, REPORTER, fmt)


@shared_options(server_flags)
def triage_booking_command(
    booking_id: str = typer.Argument(..., help="The booking id, e.g. BK-2025-0002."),
    server: ServerFlags = SHARED,
    hotel: str | None = HotelOption,
    room: str | None = RoomOption,
    auth_endpoint: str | None = AuthEndpointOption,
    guest_token: str | None = GuestTokenOption,
    staff_token: str | None = StaffTokenOption,
    origin: str | None = OriginOption,
    dead_letter: Path | None = typer.Option(
        None, "--dead-letter", envvar="HOTELMATE_RT_DEAD_LETTER", show_envvar=True,
        help="The emitter's dead-letter JSONL file."),
    log_file: Path | None = typer.Option(
        None, "--log", help="The backend log with the emitter's structured 'emit ...' lines."),
    database: str | None = typer.Option(
        None, "--database", help="Also read this Django database alias: the booking's outbox "
                                 "rows and its channels' webhook history (needs "
                                 "DJANGO_SETTINGS_MODULE)."),
    watch: float | None = typer.Option(
        None, "--watch", min=0.5, help="Listen as guest and staff for this many seconds."),
    expect: list[str] = typer.Option(
        [], "--expect", help="An event (or FROM->TO transition, or action) expected during "
                             "--watch; repeatable."),
    timeout: float = TimeoutOption,
    output_format: str = FormatOption,
    as_json: bool = JsonOption,
    markdown: bool = MarkdownOption,
) -> None:
    """Why doesn't this guest see the update? A plain verdict first, then the evidence."""
    from hotelmate_rt.cli.reporters.triage import REPORTER
    from hotelmate_rt.oncall import TriageOptions, run_triage

    fmt = choose_format(output_format, as_json, FORMATS, markdown=markdown)
    options = TriageOptions(
        booking_id=booking_id, contract=server.contract, backend_env_file=server.env_file,
        overrides=server.overrides,
        hotel_slug=hotel, room_number=room, auth_endpoint=auth_endpoint, guest_token=guest_token,
        staff_token=staff_token, origin=origin, dead_letter=dead_letter, log_file=log_file,
        database=database, watch=watch, expect=list(expect), step_timeout=timeout)
    announce = {"watch": f"[dim]watching {booking_id} for {watch:g} s: perform the staff "
                         "action now...[/]"} if watch and fmt is Format.TEXT else {}
    _run_and_report("triage", run_triage, options, REPORTER, fmt, announce)


@contextlib.contextmanager
def progress(command: str, announce: Mapping[str, str] | None = None
             ) -> Iterator[tuple[Any, Any]]:
    """Show a transient progress line on a terminal (stderr): the running step, the count done.

    Yields the (on_start, on_check) callbacks for the runner. `announce` maps a check id to a
    line printed (on stderr, terminal or not) as that check starts, never before: a run that
    stops at a usage error announces nothing.
    """
    console = stderr()
    announce = announce or {}
    if not console.is_terminal:
        def say(spec: Any) -> None:
            """Print the announcement of the check that starts, if any."""
            if spec.id in announce:
                console.print(announce[spec.id])

        yield say if announce else None, None
        return
    done: list[Check] = []
    with console.status(f"{command}: starting…") as status:

        def on_start(spec: Any) -> None:
            """Name the step that starts (and print its announcement above the line)."""
            if spec.id in announce:
                console.print(announce[spec.id])
            status.update(f"{command}: {spec.title}… [dim]({len(done)} done)[/]")

        def on_check(check: Check) -> None:
            """Count a finished step."""
            done.append(check)

        yield on_start, on_check


def _run_and_report(command: str, run: Callable[..., Any], options: Any,
                    reporter: Reporter[Any], fmt: Format,
                    announce: Mapping[str, str] | None = None) -> NoReturn:
    """Run doctor or triage with a progress line, write the report, exit with its code."""
    from hotelmate_rt.errors import HotelmateRtError

    try:
        with progress(command, announce) as (on_start, on_check):
            report = run(options, on_check=on_check, on_start=on_start)
    except HotelmateRtError as exc:
        _could_not_run(str(exc), fmt)
    reporter.write(report, fmt)
    raise typer.Exit(report.exit_code)


def _could_not_run(message: str, fmt: Format) -> NoReturn:
    """Report that the command could not run at all and exit 2."""
    from hotelmate_rt.redact import redact_text

    text = redact_text(message)
    if fmt is Format.JSON:
        Sink(sys.stdout).json({"ok": False, "exit_code": int(ExitCode.USAGE),
                               "could_not_run": text})
    else:
        print_error(stderr(), text)
    raise typer.Exit(int(ExitCode.USAGE))


def demo_doctor(console: Console, env: Mapping[str, str], auth_url: str | None = None,
                guest_token: str | None = None, staff_token: str | None = None,
                booking_id: str | None = None, hotel_slug: str | None = None,
                room_number: str | None = None, budget: float = 10.0) -> int:
    """Run a short doctor on the demo's PUSHER_* `env` and auth endpoint; print it; return its
    exit code."""
    from hotelmate_rt.cli.reporters.doctor import render_compact
    from hotelmate_rt.oncall import DoctorOptions, run_doctor

    report = run_doctor(DoctorOptions(
        env=env, auth_endpoint=auth_url, guest_token=guest_token,
        staff_token=staff_token, booking_id=booking_id, hotel_slug=hotel_slug,
        room_number=room_number, budget=budget, step_timeout=min(5.0, budget)))
    console.print("[bold]hotelmate-rt doctor[/] [dim](the demo setup, as on call would run "
                  "it)[/]")
    render_compact(report, console)
    return report.exit_code
