"""`hotelmate-rt contract lint|show`: check and display the contract (or one event of it)."""

from __future__ import annotations

from pathlib import Path

import typer

from .common import ContractOption, ExitCode, fail, load
from .output import Format, JsonOption, choose_format, format_option

app = typer.Typer(help="Lint and show the channels.yaml contract.", no_args_is_help=True,
                  rich_markup_mode=None)

PathArgument = typer.Argument(
    None, metavar="[PATH]", show_default=False,
    help="Contract file (same as --contract) [default: ./channels.yaml; env "
         "HOTELMATE_RT_CONTRACT].")
EventArgument = typer.Argument(
    None, metavar="[EVENT]", show_default=False,
    help="Show this event: its channels, payload schema and an example payload. (A PATH to a "
         ".yaml file is read as the contract, as before.)")
FORMATS = (Format.TEXT, Format.JSON)


def _contract_path(argument: Path | None, option: Path | None) -> Path | None:
    """Take the contract from PATH or --contract (the env variable fills --contract)."""
    if argument is not None and option is not None and argument != option and \
            option != _from_env():
        fail(f"two contracts given: {argument} and --contract {option}",
             hint="give the contract once, as PATH or as --contract")
    return argument or option


def _from_env() -> Path | None:
    """The contract path in HOTELMATE_RT_CONTRACT, if set (typer fills --contract from it)."""
    from hotelmate_rt.settings import tool_variable

    value = tool_variable("CONTRACT")
    return Path(value) if value else None


@app.command("lint")
def lint_command(path: Path | None = PathArgument, contract_path: Path | None = ContractOption,
                 output_format: str = format_option(FORMATS), as_json: bool = JsonOption) -> None:
    """Check the contract against every lint rule; exit 1 on findings, 2 if it cannot load."""
    from hotelmate_rt.contracts import lint

    from .reporters.lint import REPORTER, LintReport

    fmt = choose_format(output_format, as_json, REPORTER.formats)
    contract = load(_contract_path(path, contract_path), json_errors=fmt is Format.JSON)
    report = LintReport(contract, lint(contract))
    REPORTER.write(report, fmt)
    raise typer.Exit(int(ExitCode.OK if report.ok else ExitCode.FINDINGS))


@app.command("show")
def show_command(event: str | None = EventArgument, contract_path: Path | None = ContractOption,
                 output_format: str = format_option(FORMATS), as_json: bool = JsonOption) -> None:
    """Show channels, audiences and events as tables (or JSON); with EVENT, that one event."""
    from .reporters.contract import EVENT_REPORTER, REPORTER, event_view

    if event is not None and (event.endswith((".yaml", ".yml")) or Path(event).is_file()):
        contract_path, event = _contract_path(Path(event), contract_path), None
    fmt = choose_format(output_format, as_json, REPORTER.formats)
    contract = load(contract_path, json_errors=fmt is Format.JSON)
    if event is None:
        REPORTER.write(contract, fmt)
        return
    from hotelmate_rt.contracts import resolve_event

    name = resolve_event(contract, event)
    if name.event is None:
        fail(name.problem or f"event {event!r} is not in the contract",
             hint="`hotelmate-rt contract show` lists every event")
    EVENT_REPORTER.write(event_view(contract, name), fmt)
