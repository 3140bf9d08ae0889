"""`hotelmate-rt contract lint|show`: check and display the contract."""

from __future__ import annotations

from pathlib import Path

import typer

from .common import ExitCode, load
from .output import Format, JsonOption, choose_format, format_option

app = typer.Typer(help="Lint and show the channels.yaml contract.", no_args_is_help=True,
                  rich_markup_mode=None)

PathArgument = typer.Argument(
    None, envvar="HOTELMATE_RT_CONTRACT", show_envvar=True,
    help="Contract file [default: ./channels.yaml].")
FORMATS = (Format.TEXT, Format.JSON)


@app.command("lint")
def lint_command(path: Path | None = PathArgument, output_format: str = format_option(FORMATS),
                 as_json: bool = JsonOption) -> None:
    """Check the contract against every lint rule; exit 1 on findings, 2 if it cannot load."""
    from hotelmate_rt.contracts import lint

    from .reporters.lint import REPORTER, LintReport

    fmt = choose_format(output_format, as_json, REPORTER.formats)
    contract = load(path, json_errors=fmt is Format.JSON)
    report = LintReport(contract, lint(contract))
    REPORTER.write(report, fmt)
    raise typer.Exit(int(ExitCode.OK if report.ok else ExitCode.FINDINGS))


@app.command("show")
def show_command(path: Path | None = PathArgument, output_format: str = format_option(FORMATS),
                 as_json: bool = JsonOption) -> None:
    """Show channels, audiences and events as tables (or JSON)."""
    from .reporters.contract import REPORTER

    fmt = choose_format(output_format, as_json, REPORTER.formats)
    REPORTER.write(load(path, json_errors=fmt is Format.JSON), fmt)
