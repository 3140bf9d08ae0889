"""`hotelmate-rt contract diff|export asyncapi|codegen typescript`: the contract as it evolves.

Registered into the existing `contract` group by `register(app)` (see cli/app.py).
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from .common import ExitCode, fail, load_failed, stderr, write_text
from .output import (
    Format,
    JsonOption,
    MarkdownOption,
    choose_format,
    choose_value,
    escape,
    format_option,
)

if TYPE_CHECKING:
    from hotelmate_rt.contracts.diff import DiffPolicy, Side

DIFF_FORMATS = (Format.TEXT, Format.JSON, Format.JUNIT, Format.MARKDOWN, Format.GITHUB)

OldArgument = typer.Argument(..., metavar="OLD",
                             help="Old contract: a file, REV:PATH (main:channels.yaml) or a "
                                  "revision (HEAD~1, then REV:<contract path>).")
NewArgument = typer.Argument(None, metavar="[NEW]",
                             help="New contract, same forms [default: the contract file].")
ContractArgument = typer.Argument(None, envvar="HOTELMATE_RT_CONTRACT", show_envvar=True,
                                  help="Contract file [default: ./channels.yaml].")


def register(app: typer.Typer) -> None:
    """Attach `diff`, `export asyncapi` and `codegen typescript` to the `contract` group."""
    from . import contract

    contract.app.command("diff")(diff_command)
    _group(contract.app, "export", "Export the contract for other tools.").command(
        "asyncapi")(export_asyncapi_command)
    _group(contract.app, "codegen", "Generate code from the contract.").command(
        "typescript")(codegen_typescript_command)


def _group(parent: typer.Typer, name: str, help_text: str) -> typer.Typer:
    """Return the sub-group `name` of `parent`, creating it when nobody has yet."""
    for info in parent.registered_groups:
        if info.name == name and info.typer_instance is not None:
            return info.typer_instance
    group = typer.Typer(help=help_text, no_args_is_help=True, rich_markup_mode=None)
    parent.add_typer(group, name=name)
    return group


def diff_command(
    old: str = OldArgument,
    new: str | None = NewArgument,
    output_format: str = format_option(DIFF_FORMATS),
    as_json: bool = JsonOption,
    markdown: bool = MarkdownOption,
    fail_on: str | None = typer.Option(None, "--fail-on", metavar="ERR|WARN|INFO",
                                       help="Exit 1 on changes at this level or above "
                                            "[default: ERR, or fail-on in pyproject]."),
    scan_paths: list[Path] = typer.Option([], "--scan", metavar="PATH",
                                          help="Backend code to scan for the send sites a new "
                                               "required field affects (repeatable)."),
    config_path: Path | None = typer.Option(None, "--config", metavar="PYPROJECT",
                                            help="pyproject.toml with [tool.hotelmate-rt.diff] "
                                                 "[default: the nearest one]."),
    today: str | None = typer.Option(None, "--today", metavar="YYYY-MM-DD",
                                     help="Judge alias sunset dates as of this day."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the report here."),
) -> None:
    """Judge every change from OLD to NEW by what existing builds would do; exit 1 on failures."""
    from hotelmate_rt.contracts import default_contract_path
    from hotelmate_rt.contracts.diff import Level, apply_policy, attach_send_sites, diff_contracts
    from hotelmate_rt.errors import ConfigError

    from .reporters.diff import DIFF_REPORTER

    fmt = choose_format(output_format, as_json, DIFF_REPORTER.formats, markdown=markdown)
    day = _day(today)
    try:
        policy = _policy(config_path)
        if fail_on is not None:
            policy.fail_on = Level(choose_value(fail_on.strip(), [lv.value for lv in Level],
                                                "--fail-on"))
    except ValueError as exc:
        fail(f"--fail-on: {exc}")
    except ConfigError as exc:
        fail(str(exc))
    default = default_contract_path()
    before = _side(old, default, fmt)
    after = _side(new if new is not None else str(default), default, fmt)
    result = diff_contracts(before.contract, after.contract, day, before.label, after.label)
    result.new_path = after.path
    apply_policy(result, policy, day)
    attach_send_sites(result, _send_sites(scan_paths, after) if scan_paths else None)
    DIFF_REPORTER.write(result, fmt, output)
    raise typer.Exit(int(ExitCode.OK if result.ok else ExitCode.FINDINGS))


def _day(text: str | None) -> datetime.date:
    """Parse --today (default: today)."""
    if text is None:
        return datetime.date.today()
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        fail(f"--today {text!r} is not a date", hint="write it as YYYY-MM-DD")


def _policy(config_path: Path | None) -> DiffPolicy:
    """Read `[tool.hotelmate-rt.diff]` from the given or nearest pyproject.toml."""
    from hotelmate_rt.contracts.diff import DiffPolicy, parse_policy
    from hotelmate_rt.scan.config import find_pyproject, load_tool_table

    path = config_path if config_path is not None else find_pyproject(Path.cwd())
    if path is None:
        return DiffPolicy()
    return parse_policy(load_tool_table(path, "diff"), str(path), path.parent)


def _side(spec: str, default: Path, fmt: Format) -> Side:
    """Load one side of the diff or exit 2 listing every located problem."""
    from hotelmate_rt.contracts.diff import load_side
    from hotelmate_rt.errors import ContractLoadError

    try:
        return load_side(spec, default)
    except ContractLoadError as exc:
        load_failed(exc.problems, fmt is Format.JSON, side=spec)


def _send_sites(paths: list[Path], side: Side) -> dict[str, list[str]]:
    """Scan backend code with the new contract and map each event to the sites that send it."""
    from hotelmate_rt.errors import ConfigError
    from hotelmate_rt.scan import find_pyproject, load_config, scan

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        fail(f"--scan: no such path: {', '.join(missing)}")
    try:
        config = load_config(find_pyproject(paths[0]))
    except ConfigError as exc:
        fail(str(exc))
    result = scan(paths, side.contract, config=config, root=Path.cwd())
    return result.coverage.emitted


def export_asyncapi_command(
    path: Path | None = ContractArgument,
    out: Path | None = typer.Option(None, "--out", "-o", help="Write the document here."),
    as_json: bool = typer.Option(False, "--json", help="Write JSON instead of YAML."),
    auth_endpoint: str = typer.Option("/pusher/auth/", "--auth-endpoint",
                                      help="The backend's Pusher auth endpoint (x-pusher-auth)."),
) -> None:
    """Write the contract as an AsyncAPI 3.0 document (channels, messages, operations)."""
    import json

    import yaml

    from hotelmate_rt.contracts.asyncapi import to_asyncapi

    from .common import load

    document = to_asyncapi(load(path, json_errors=as_json), auth_endpoint=auth_endpoint)
    text = (json.dumps(document, indent=2, ensure_ascii=False) + "\n" if as_json
            else yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100))
    write_text(text, out)


def codegen_typescript_command(
    path: Path | None = ContractArgument,
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Write the module here, and one entry point per audience "
                                  "beside it (FILE stem + .guest.ts ...)."),
) -> None:
    """Generate the typed pusher-js module for the frontend (and per-audience entry points)."""
    from hotelmate_rt.contracts.codegen import typescript_modules

    from .common import load

    modules = typescript_modules(load(path), stem=out.stem if out is not None else "contract")
    main, *entries = modules
    if out is None:
        write_text(main.text, None)
        stderr().print("[dim]per-audience entry points are written only with --out FILE[/]")
        return
    for module in modules:
        write_text(module.text, out.with_name(module.filename))
    stderr().print(f"wrote {escape(out)} and {len(entries)} entry point(s): "
                   + ", ".join(escape(m.filename) for m in entries))

