"""`hotelmate-rt contract infer PATH...`: draft a channels.yaml from backend and frontend code."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from .common import ExitCode, fail, stderr
from .output import JsonOption, Sink


def register(group: typer.Typer) -> None:
    """Attach `infer` to the `contract` command group."""
    group.command("infer")(infer_command)


def infer_command(
    paths: list[Path] = typer.Argument(..., help="Backend and frontend source trees to read."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the contract here instead of stdout."),
    merge: Path | None = typer.Option(
        None, "--merge", help="Existing contract: keep every item of it, add what is missing."),
    as_json: bool = JsonOption,
) -> None:
    """Draft a contract from what the code sends and binds (exit 1 if personal data is public)."""
    from hotelmate_rt.errors import ContractLoadError, HotelmateRtError
    from hotelmate_rt.scan.infer import infer

    from .output import Format
    from .reporters.infer import REPORTER

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        fail(f"no such file or directory: {', '.join(missing)}")
    if merge is not None and not merge.is_file():
        fail(f"--merge {merge} is not a file")
    try:
        drafted = infer(paths, root=Path.cwd(), merge=merge)
    except ContractLoadError as exc:
        for problem in exc.problems:
            stderr().print(f"[bold red]error:[/] {problem}", markup=False)
        raise typer.Exit(int(ExitCode.USAGE)) from None
    except (HotelmateRtError, OSError, RecursionError) as exc:
        fail(f"infer failed: {exc}")
    if as_json:
        REPORTER.write(drafted, Format.JSON, None)
    else:
        if output is None:
            sys.stdout.write(drafted.text)
            sys.stdout.flush()
        REPORTER.renderers[Format.TEXT](drafted, Sink(sys.stderr))
    if output is not None:
        try:
            output.write_text(drafted.text, encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror or exc}")
    raise typer.Exit(int(ExitCode.FINDINGS if drafted.exposures else ExitCode.OK))
