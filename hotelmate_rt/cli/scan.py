"""`hotelmate-rt scan PATH...`: check backend and frontend code against the contract."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from .common import ContractOption, ExitCode, _escape, fail, load, print_json, stderr, stdout

if TYPE_CHECKING:
    from hotelmate_rt.scan import ScanConfig, ScanResult

FORMATS = ("text", "json", "sarif", "junit")
FAIL_ON = ("error", "warning", "never")


def register(app: typer.Typer) -> None:
    """Attach the `scan` command to the root app."""
    app.command("scan")(scan_command)


def scan_command(
    paths: list[Path] | None = typer.Argument(
        None, help="Files or directories to scan [default: `include` from pyproject, else .]."),
    contract_path: Path | None = ContractOption,
    output_format: str = typer.Option(
        "text", "--format", "-f", help="text (for people), json, sarif or junit."),
    fail_on: str = typer.Option(
        "error", "--fail-on", help="Exit 1 on findings at or above: error, warning or never."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the report to this file instead of stdout."),
    config_path: Path | None = typer.Option(
        None, "--config", help="pyproject.toml with [tool.hotelmate-rt] [default: nearest one]."),
    root: Path | None = typer.Option(
        None, "--root", help="Repository root for relative paths [default: the pyproject.toml's "
        "directory, else the current directory]."),
    as_json: bool = typer.Option(False, "--json", help="Same as --format json."),
    frontend: list[Path] | None = typer.Option(
        None, "--frontend", help="Also scan this frontend tree (drift is compared across sides)."),
    backend: list[Path] | None = typer.Option(
        None, "--backend", help="Also scan this backend tree (drift is compared across sides)."),
) -> None:
    """Scan Python and JS/TS code for Pusher channel/event names and check them (exit 0/1/2)."""
    from hotelmate_rt.scan import ConfigError, find_pyproject, load_config

    if as_json:
        output_format = "json"
    if output_format not in FORMATS:
        fail(f"unknown --format {output_format!r}", hint=f"use one of: {', '.join(FORMATS)}")
    if fail_on not in FAIL_ON:
        fail(f"unknown --fail-on {fail_on!r}", hint=f"use one of: {', '.join(FAIL_ON)}")
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
    contract = _contract_or_none(contract_path, output_format)
    result = _run(targets, contract, config, base)
    _render(result, config, output_format, fail_on, output)
    raise typer.Exit(int(ExitCode.FINDINGS if result.fails(fail_on) else ExitCode.OK))


def _contract_or_none(path: Path | None, output_format: str) -> object:
    """Load the contract; without one (none given, no ./channels.yaml) scan for drift and privacy."""
    from hotelmate_rt.contracts import default_contract_path

    if path is None and not default_contract_path().exists():
        stderr().print("[dim]no contract found: checking drift between the sides, personal data "
                       "on public channels and unresolved sites only[/]")
        return None
    return load(path, json_errors=output_format == "json")


def _run(targets: list[Path], contract: object, config: ScanConfig, base: Path) -> ScanResult:
    """Run the scan with a progress bar on an interactive terminal (never in CI)."""
    from hotelmate_rt.scan import scan

    interactive = sys.stderr.isatty() and not os.environ.get("CI")
    try:
        if not interactive:
            return scan(targets, contract, config, root=base)  # type: ignore[arg-type]
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        with Progress(TextColumn("scanning"), BarColumn(), MofNCompleteColumn(),
                      console=stderr(), transient=True) as bar:
            task = bar.add_task("scan", total=None)

            def progress(done: int, total: int) -> None:
                """Advance the progress bar."""
                bar.update(task, completed=done, total=total)

            return scan(targets, contract, config, root=base,  # type: ignore[arg-type]
                        progress=progress)
    except (OSError, RecursionError, ValueError) as exc:
        fail(f"scan failed: {exc}")


def _render(result: ScanResult, config: ScanConfig, output_format: str, fail_on: str,
            output: Path | None) -> None:
    """Write the report in the chosen format to stdout or --output."""
    import json

    from hotelmate_rt.scan.formats import to_junit, to_sarif

    levels = {rule: config.level(rule) for rule in config.severity}
    text: str | None = None
    if output_format == "json":
        data = {"ok": not result.fails(fail_on), "fail_on": fail_on, **result.to_dict()}
        if output is None:
            print_json(data)
            return
        text = json.dumps(data, indent=2) + "\n"
    elif output_format == "sarif":
        text = json.dumps(to_sarif(result, levels), indent=2) + "\n"
    elif output_format == "junit":
        text = to_junit(result, fail_on, levels)
    if text is not None:
        if output is None:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            try:
                output.write_text(text, encoding="utf-8")
            except OSError as exc:
                fail(f"cannot write {output}: {exc.strerror or exc}")
        return
    _human(result, fail_on, output)


def _human(result: ScanResult, fail_on: str, output: Path | None) -> None:
    """Print findings grouped by file, then skipped files, unresolved sites and a summary."""
    from rich.console import Console

    handle = open(output, "w", encoding="utf-8") if output is not None else None  # noqa: SIM115
    try:
        console = Console(file=handle, highlight=False, soft_wrap=True) if handle else stdout()
        current = None
        for finding in result.findings:
            if finding.file != current:
                current = finding.file
                console.print(f"\n[bold underline]{_escape(finding.file)}[/]")
            colour = "red" if finding.level.value == "error" else "yellow"
            console.print(f"  {finding.line}:{finding.column}  [{colour}]{finding.level.value:7}"
                          f"[/] [dim]{finding.rule}[/]  {_escape(finding.message)}")
            if finding.fix:
                console.print(f"      [cyan]fix:[/] {_escape(finding.fix)}")
        if result.skipped:
            console.print(f"\n[bold]Skipped {len(result.skipped)} file(s)[/]")
            for skip in result.skipped:
                console.print(f"  {_escape(skip.file)}: {_escape(skip.reason)}")
        summary = result.summary()
        console.print(
            f"\n[bold]{summary['errors']} error(s), {summary['warnings']} warning(s)[/] in "
            f"{summary['files_seen']} file(s) ({summary['files_parsed']} parsed) - "
            f"{summary['sites']} site(s), {summary['unresolved_sites']} unresolved, "
            f"{summary['suppressed']} suppressed, {summary['skipped_files']} skipped, "
            f"{summary['seconds']:.2f}s")
        verdict = "[red]FAIL[/]" if result.fails(fail_on) else "[green]ok[/]"
        console.print(f"{verdict} (--fail-on {fail_on})")
    finally:
        if handle is not None:
            handle.close()
