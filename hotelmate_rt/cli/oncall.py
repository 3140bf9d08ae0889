"""`hotelmate-rt doctor` and `hotelmate-rt triage booking ID`: on-call checklists, rendered."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from .common import ContractOption, ExitCode, JsonOption, print_json, stderr, stdout

if TYPE_CHECKING:
    from rich.console import Console

    from hotelmate_rt.oncall.model import Check, DoctorReport, TriageReport

_ICONS = {"pass": ("✔", "green"), "warn": ("!", "yellow"), "fail": ("✘", "red"),
          "skip": ("-", "dim")}
_MD_ICONS = {"pass": "✅", "warn": "⚠️", "fail": "❌", "skip": "⏭️"}

MarkdownOption = typer.Option(False, "--markdown", help="Write Markdown to paste into a ticket.")
EnvFileOption = typer.Option(None, "--env-file", help="Backend env file with PUSHER_* "
                             "(added to the process environment).")
AppIdOption = typer.Option(None, "--app-id", help="Override PUSHER_APP_ID.")
KeyOption = typer.Option(None, "--key", help="Override PUSHER_KEY.")
SecretOption = typer.Option(None, "--secret", envvar="HOTELMATE_RT_PUSHER_SECRET",
                            show_envvar=True, help="Override PUSHER_SECRET (prefer the env).")
HostOption = typer.Option(None, "--host", help="Override PUSHER_HOST (soketi).")
PortOption = typer.Option(None, "--port", help="Override PUSHER_PORT.")
ClusterOption = typer.Option(None, "--cluster", help="Override PUSHER_CLUSTER.")
TlsOption = typer.Option(None, "--tls/--no-tls", help="Override PUSHER_TLS.")
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


def _overrides(app_id: str | None, key: str | None, secret: str | None, host: str | None,
               port: int | None, cluster: str | None, tls: bool | None) -> dict[str, str]:
    """Turn override flags into PUSHER_* variables."""
    out = {"PUSHER_APP_ID": app_id, "PUSHER_KEY": key, "PUSHER_SECRET": secret,
           "PUSHER_HOST": host, "PUSHER_PORT": None if port is None else str(port),
           "PUSHER_CLUSTER": cluster,
           "PUSHER_TLS": None if tls is None else ("true" if tls else "false")}
    return {k: v for k, v in out.items() if v}


def doctor_command(
    contract: Path | None = ContractOption,
    env_file: Path | None = EnvFileOption,
    app_id: str | None = AppIdOption,
    key: str | None = KeyOption,
    secret: str | None = SecretOption,
    host: str | None = HostOption,
    port: int | None = PortOption,
    cluster: str | None = ClusterOption,
    tls: bool | None = TlsOption,
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
        None, "--webhook-url", envvar="HOTELMATE_RT_WEBHOOK_URL",
        help="The backend's Pusher webhook URL: checked to accept Pusher and refuse forgeries."),
    as_json: bool = JsonOption,
    markdown: bool = MarkdownOption,
) -> None:
    """Walk the whole realtime path; exit 0 all pass, 1 any fail, 2 could not run."""
    from hotelmate_rt.errors import HotelmateRtError
    from hotelmate_rt.oncall import DoctorOptions, run_doctor

    options = DoctorOptions(
        contract=contract, backend_env_file=env_file,
        overrides=_overrides(app_id, key, secret, host, port, cluster, tls),
        frontend_env=frontend_env, frontend_src=frontend_src, auth_endpoint=auth_endpoint,
        guest_token=guest_token, staff_token=staff_token, booking_id=booking, hotel_slug=hotel,
        room_number=room, origin=origin, budget=budget, step_timeout=min(timeout, budget),
        round_trips=round_trips, webhook_url=webhook_url)
    try:
        report = run_doctor(options)
    except HotelmateRtError as exc:
        _could_not_run(str(exc), as_json)
    _finish(report, as_json, markdown, doctor_markdown, render_doctor)


def triage_booking_command(
    booking_id: str = typer.Argument(..., help="The booking id, e.g. BK-2025-0002."),
    contract: Path | None = ContractOption,
    env_file: Path | None = EnvFileOption,
    app_id: str | None = AppIdOption,
    key: str | None = KeyOption,
    secret: str | None = SecretOption,
    host: str | None = HostOption,
    port: int | None = PortOption,
    cluster: str | None = ClusterOption,
    tls: bool | None = TlsOption,
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
    watch: float | None = typer.Option(
        None, "--watch", min=0.5, help="Listen as guest and staff for this many seconds."),
    expect: list[str] = typer.Option(
        [], "--expect", help="An event (or FROM->TO transition, or action) expected during "
                             "--watch; repeatable."),
    timeout: float = TimeoutOption,
    as_json: bool = JsonOption,
    markdown: bool = MarkdownOption,
) -> None:
    """Why doesn't this guest see the update? A plain verdict first, then the evidence."""
    from hotelmate_rt.errors import HotelmateRtError
    from hotelmate_rt.oncall import TriageOptions, run_triage

    options = TriageOptions(
        booking_id=booking_id, contract=contract, backend_env_file=env_file,
        overrides=_overrides(app_id, key, secret, host, port, cluster, tls), hotel_slug=hotel,
        room_number=room, auth_endpoint=auth_endpoint, guest_token=guest_token,
        staff_token=staff_token, origin=origin, dead_letter=dead_letter, log_file=log_file,
        watch=watch, expect=list(expect), step_timeout=timeout)
    progress = None
    if watch and not as_json and not markdown:
        progress = stderr()
        progress.print(f"[dim]watching {booking_id} for {watch:g} s: perform the staff action "
                       "now...[/]")
    try:
        report = run_triage(options)
    except HotelmateRtError as exc:
        _could_not_run(str(exc), as_json)
    _finish(report, as_json, markdown, triage_markdown, render_triage)


def _finish(report: Any, as_json: bool, markdown: bool, to_markdown: Callable[[Any], str],
            render: Callable[[Any, Console], None]) -> NoReturn:
    """Write a report as JSON, Markdown or the rich view, then exit with its code."""
    if as_json:
        print_json(report.to_dict())
    elif markdown:
        _write(to_markdown(report))
    else:
        render(report, stdout())
    raise typer.Exit(report.exit_code)


def _could_not_run(message: str, as_json: bool) -> None:
    """Report that the command could not run at all and exit 2."""
    from hotelmate_rt.oncall.model import Redactor

    text = Redactor().text(message)
    if as_json:
        print_json({"ok": False, "exit_code": int(ExitCode.USAGE), "could_not_run": text})
    else:
        from rich.markup import escape

        stderr().print(f"[bold red]error:[/] {escape(text)}")
    raise typer.Exit(int(ExitCode.USAGE))


def _write(text: str) -> None:
    """Write plain text to stdout."""
    import sys

    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


# -- rendering -------------------------------------------------------------------------------


def _check_lines(console: Console, checks: list[Check]) -> None:
    """Print checks grouped by section, each with its evidence and next action."""
    from rich.markup import escape

    section = None
    for check in checks:
        if check.section != section:
            section = check.section
            console.print(f"\n[bold]{escape(section.value)}[/]")
        icon, colour = _ICONS[check.status.value]
        flag = " [bold red]\\[security][/]" if check.security and check.status.value == "fail" \
            else ""
        console.print(f"  [{colour}]{icon}[/] {escape(check.title)}: "
                      f"[{colour}]{escape(check.summary)}[/]{flag}")
        if check.status.value in {"fail", "warn"}:
            for line in check.evidence:
                console.print(f"      [dim]{escape(line)}[/]")
        if check.next_action and check.status.value in {"fail", "warn"}:
            console.print(f"      [cyan]→ {escape(check.next_action)}[/]")


def render_doctor(report: DoctorReport, console: Console) -> None:
    """Print the doctor's checklist for people."""
    from rich.markup import escape

    report_data = report.to_dict()  # redacted copy of every text
    checks = _redacted_checks(report)
    console.print(f"[bold]hotelmate-rt doctor[/] [dim]{escape(_target_line(report_data))}[/]")
    _check_lines(console, checks)
    counts = report.counts
    colour = "red" if report.exit_code else "green"
    console.print(f"\n[bold {colour}]{escape(report.redactor.text(report.headline))}[/]")
    console.print(f"[dim]{counts['pass']} passed, {counts['warn']} warning(s), "
                  f"{counts['fail']} failed, {counts['skip']} skipped in "
                  f"{report.duration_s:.2f} s[/]")


def render_doctor_compact(report: DoctorReport, console: Console) -> None:
    """Print one line per section (worst status first), then every failure in full."""
    from rich.markup import escape

    order = ["fail", "warn", "pass", "skip"]
    sections: dict[str, list[Check]] = {}
    for check in _redacted_checks(report):
        sections.setdefault(check.section.value, []).append(check)
    for name, checks in sections.items():
        worst = min((c.status.value for c in checks), key=order.index)
        icon, colour = _ICONS[worst]
        counts = ", ".join(f"{sum(c.status.value == s for c in checks)} {s}" for s in order
                           if any(c.status.value == s for c in checks))
        console.print(f"  [{colour}]{icon}[/] {escape(name)}: {counts}")
        for check in checks:
            if check.status.value == "fail":
                console.print(f"      [red]✘ {escape(check.title)}: {escape(check.summary)}[/]")
    rt = report.get("round-trip")
    p50 = f"; round trip p50 {rt.data['p50_ms']} ms" if rt and "p50_ms" in rt.data else ""
    colour = "red" if report.exit_code else "green"
    console.print(f"  [bold {colour}]{escape(report.redactor.text(report.headline))}[/] "
                  f"[dim]({len(report.checks)} checks in {report.duration_s:.2f} s{p50})[/]")


def demo_doctor(console: Console, soketi: Any, auth_url: str | None = None,
                guest_token: str | None = None, staff_token: str | None = None,
                booking_id: str | None = None, hotel_slug: str | None = None,
                room_number: str | None = None, budget: float = 10.0) -> int:
    """Run a short doctor on the demo's soketi and auth endpoint; print it; return its exit code."""
    from hotelmate_rt.oncall import DoctorOptions, run_doctor

    env = {"PUSHER_APP_ID": str(soketi.app_id), "PUSHER_KEY": soketi.key,
           "PUSHER_SECRET": soketi.secret, "PUSHER_HOST": soketi.host,
           "PUSHER_PORT": str(soketi.port), "PUSHER_TLS": "false"}
    report = run_doctor(DoctorOptions(
        env=env, auth_endpoint=auth_url, guest_token=guest_token, staff_token=staff_token,
        booking_id=booking_id, hotel_slug=hotel_slug, room_number=room_number, budget=budget,
        step_timeout=min(5.0, budget)))
    console.print("[bold]hotelmate-rt doctor[/] [dim](the demo setup, as on call would run "
                  "it)[/]")
    render_doctor_compact(report, console)
    return report.exit_code


def _target_line(data: dict[str, Any]) -> str:
    """Describe the target server in one line."""
    pusher = (data.get("target") or {}).get("pusher") or {}
    return f"app {pusher.get('app_id')} key {pusher.get('key')} at {pusher.get('api_url')}"


def _redacted_checks(report: DoctorReport | TriageReport) -> list[Check]:
    """Return copies of the report's checks with every text redacted."""
    import dataclasses

    r = report.redactor
    return [dataclasses.replace(c, title=r.text(c.title), summary=r.text(c.summary),
                                evidence=[r.text(e) for e in c.evidence],
                                next_action=r.text(c.next_action)) for c in report.checks]


def _md(text: str) -> str:
    """Escape a table cell for Markdown."""
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown_checks(checks: list[Check]) -> list[str]:
    """Render checks as a Markdown table plus details for the ones that need action."""
    lines = ["| | step | result |", "|---|---|---|"]
    for c in checks:
        lines.append(f"| {_MD_ICONS[c.status.value]} | {_md(c.title)} | {_md(c.summary)} |")
    details = [c for c in checks if c.status.value in {"fail", "warn"}]
    if details:
        lines += ["", "### Details"]
        for c in details:
            lines.append(f"- **{_md(c.title)}** ({c.status.value}{', security' if c.security else ''}"
                         f"): {_md(c.summary)}")
            for e in c.evidence:
                lines.append(f"  - `{e.replace('`', chr(39))}`")
            if c.next_action:
                lines.append(f"  - Next: {_md(c.next_action)}")
    return lines


def doctor_markdown(report: DoctorReport) -> str:
    """Render the doctor's report as Markdown for a ticket (redacted)."""
    data = report.to_dict()
    counts = report.counts
    lines = [f"## hotelmate-rt doctor: {'FAIL' if report.exit_code else 'OK'}", "",
             f"**{_md(data['headline'])}**", "",
             f"{_target_line(data)}; {counts['pass']} passed, {counts['warn']} warning(s), "
             f"{counts['fail']} failed, {counts['skip']} skipped in {report.duration_s:.2f} s", ""]
    lines += _markdown_checks(_redacted_checks(report))
    return "\n".join(lines) + "\n"


def render_triage(report: TriageReport, console: Console) -> None:
    """Print the triage for people: the verdict first, then channels, checks and watch."""
    from rich.markup import escape
    from rich.table import Table

    data = report.to_dict()
    colour = "red" if report.exit_code else "green"
    console.print(f"[bold]triage {escape(report.booking_id)}[/]")
    console.print(f"[bold {colour}]{escape(data['verdict'])}[/]")
    if data["channels"]:
        table = Table(title="Channels the guest page should be on", title_justify="left")
        for column in ("channel", "audience", "occupied", "subscribers"):
            table.add_column(column)
        for c in data["channels"]:
            occupied = "?" if c["occupied"] is None else ("yes" if c["occupied"] else "no")
            count = "?" if c["subscription_count"] is None else str(c["subscription_count"])
            table.add_row(escape(c["name"]), c["audience"], occupied, count)
        console.print(table)
    _check_lines(console, _redacted_checks(report))
    console.print(f"\n[dim]{report.duration_s:.2f} s[/]")


def triage_markdown(report: TriageReport) -> str:
    """Render the triage as Markdown for a ticket (redacted)."""
    data = report.to_dict()
    lines = [f"## triage {data['booking_id']}", "", f"**{_md(data['verdict'])}**", ""]
    if data["channels"]:
        lines += ["| channel | audience | occupied | subscribers |", "|---|---|---|---|"]
        for c in data["channels"]:
            lines.append(f"| `{c['name']}` | {c['audience']} | {c['occupied']} | "
                         f"{c['subscription_count']} |")
        lines.append("")
    lines += _markdown_checks(_redacted_checks(report))
    return "\n".join(lines) + "\n"
