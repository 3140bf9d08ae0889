"""`hotelmate-rt scan PATH...`: check backend and frontend code against the contract."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from .common import ContractOption, ExitCode, fail, load, stderr
from .output import Format, JsonOption, choose_format, choose_value, escape, format_option

if TYPE_CHECKING:
    from hotelmate_rt.contracts import Contract
    from hotelmate_rt.scan import ScanConfig, ScanResult

FORMATS = (Format.TEXT, Format.JSON, Format.SARIF, Format.JUNIT, Format.GITHUB)
FAIL_ON = ("error", "warning", "never")


def register(app: typer.Typer) -> None:
    """Attach the `scan` command to the root app."""
    app.command("scan")(scan_command)


def scan_command(
    paths: list[Path] | None = typer.Argument(
        None, help="Files or directories to scan [default: `include` from pyproject, else .]."),
    contract_path: Path | None = ContractOption,
    output_format: str = format_option(FORMATS),
    fail_on: str = typer.Option(
        "error", "--fail-on", help="Exit 1 on findings at or above: error, warning or never."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the report to this file instead of stdout."),
    config_path: Path | None = typer.Option(
        None, "--config", help="pyproject.toml with [tool.hotelmate-rt] [default: nearest one]."),
    root: Path | None = typer.Option(
        None, "--root", help="Repository root for relative paths [default: the pyproject.toml's "
        "directory, else the current directory]."),
    as_json: bool = JsonOption,
    frontend: list[Path] | None = typer.Option(
        None, "--frontend", help="Also scan this frontend tree (drift is compared across sides)."),
    backend: list[Path] | None = typer.Option(
        None, "--backend", help="Also scan this backend tree (drift is compared across sides)."),
) -> None:
    """Scan Python and JS/TS code for Pusher channel/event names and check them (exit 0/1/2)."""
    from hotelmate_rt.scan import ConfigError, find_pyproject, load_config

    from .reporters.scan import REPORTER, ScanReport

    fmt = choose_format(output_format, as_json, REPORTER.formats)
    fail_on = choose_value(fail_on, FAIL_ON, "--fail-on")
    start = paths[0] if paths else Path.cwd()
    if config_path is not None and not config_path.is_file():
        fail(f"config file {config_path} does not exist")
    pyproject = config_path or find_pyproject(start if start.exists() else Path.cwd())
    try:
        config = load_config(pyproject)
    except ConfigError as exc:
        fail(str(exc))
    base = root or (pyproject.parent if pyproject is not None else Path.cwd())
    if not base.is_dir():
        fail(f"--root {base} is not a directory")
    targets = list(paths) if paths else [base / p for p in config.include] or [Path.cwd()]
    if frontend or backend:
        targets = [*(paths or []), *(frontend or []), *(backend or [])]
    missing = [str(p) for p in targets if not p.exists() and not p.is_symlink()]
    if missing:
        fail(f"no such file or directory: {', '.join(missing)}")
    if contract_path is None and config.contract:
        contract_path = (pyproject.parent if pyproject else base) / config.contract
    contract = _contract_or_none(contract_path, fmt)
    report = ScanReport(_run(targets, contract, config, base), config, fail_on)
    REPORTER.write(report, fmt, output)
    if output is not None:  # the report went to a file: say so in one line
        summary = report.result.summary()
        stderr().print(
            f"{'ok' if report.ok else 'FAIL'}: {summary['errors']} error(s), "
            f"{summary['warnings']} warning(s) in {summary['files_seen']} file(s); "
            f"{fmt.value} report written to {escape(str(output))} (--fail-on {fail_on})",
            highlight=False)
    raise typer.Exit(int(ExitCode.OK if report.ok else ExitCode.FINDINGS))


def _contract_or_none(path: Path | None, fmt: Format) -> Contract | None:
    """Load the contract; without one (none given, no ./channels.yaml) scan for drift and privacy."""
    from hotelmate_rt.contracts import default_contract_path

    if path is None and not default_contract_path().exists():
        stderr().print("[dim]no contract found: checking drift between the sides, personal data "
                       "on public channels and unresolved sites only[/]")
        return None
    return load(path, json_errors=fmt is Format.JSON)


def _run(targets: list[Path], contract: Contract | None, config: ScanConfig,
         base: Path) -> ScanResult:
    """Run the scan with a progress bar on an interactive terminal (never in CI)."""
    from hotelmate_rt.errors import ConfigError
    from hotelmate_rt.scan import scan

    interactive = sys.stderr.isatty() and not os.environ.get("CI")
    try:
        if not interactive:
            return scan(targets, contract, config, root=base)
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        with Progress(TextColumn("scanning"), BarColumn(), MofNCompleteColumn(),
                      console=stderr(), transient=True) as bar:
            task = bar.add_task("scan", total=None)

            def progress(done: int, total: int) -> None:
                """Advance the progress bar."""
                bar.update(task, completed=done, total=total)

            return scan(targets, contract, config, root=base, progress=progress)
    except ConfigError as exc:
        fail(str(exc))
    except (OSError, RecursionError, ValueError) as exc:
        fail(f"scan failed: {exc}")
