"""`hotelmate-rt contract infer PATH...`: draft a channels.yaml from backend and frontend code."""

from __future__ import annotations

from pathlib import Path

import typer

from .common import ExitCode, fail, load_failed, write_text
from .output import Format, JsonOption, choose_format, format_option

FORMATS = (Format.TEXT, Format.JSON)


def register(group: typer.Typer) -> None:
    """Attach `infer` to the `contract` command group."""
    group.command("infer")(infer_command)


def infer_command(
    paths: list[Path] = typer.Argument(..., help="Backend and frontend source trees to read."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the contract here instead of stdout."),
    merge: Path | None = typer.Option(
        None, "--merge", help="Existing contract: keep every item of it, add what is missing."),
    output_format: str = format_option(FORMATS),
    as_json: bool = JsonOption,
) -> None:
    """Draft a contract from what the code sends and binds (exit 1 if personal data is public)."""
    from hotelmate_rt.errors import ContractLoadError, HotelmateRtError
    from hotelmate_rt.scan.infer import infer

    from .reporters.infer import REPORTER, InferReport

    fmt = choose_format(output_format, as_json, REPORTER.formats)
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        fail(f"no such file or directory: {', '.join(missing)}")
    if merge is not None and not merge.is_file():
        fail(f"--merge {merge} is not a file")
    try:
        drafted = infer(paths, root=Path.cwd(), merge=merge)
    except ContractLoadError as exc:
        load_failed(exc.problems)
    except (HotelmateRtError, OSError, RecursionError) as exc:
        fail(f"infer failed: {exc}")
    if output is not None:
        write_text(drafted.text, output)
    report = InferReport(drafted, output)
    REPORTER.write(report, fmt)
    raise typer.Exit(int(ExitCode.OK if report.ok else ExitCode.FINDINGS))
