"""Shared CLI plumbing: exit codes, output helpers, contract loading with friendly errors."""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from .output import JsonOption, Sink, escape

if TYPE_CHECKING:
    from rich.console import Console

    from hotelmate_rt.contracts import Contract


class ExitCode(enum.IntEnum):
    """The exit-code interface: 0 all good, 1 findings/violations, 2 usage or load error."""

    OK = 0
    FINDINGS = 1
    USAGE = 2


ContractOption = typer.Option(
    None, "--contract", "-c", envvar="HOTELMATE_RT_CONTRACT",
    help="Contract file [default: ./channels.yaml; env HOTELMATE_RT_CONTRACT].")
__all__ = ["ContractOption", "ExitCode", "JsonOption", "fail", "load", "print_error",
           "print_json", "print_ndjson", "stderr", "stdout", "write_text"]


def stdout() -> Console:
    """Return a rich console on stdout (imported lazily so --help stays fast)."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def stderr() -> Console:
    """Return a rich console on stderr for diagnostics."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def fail(message: str, code: ExitCode = ExitCode.USAGE, hint: str = "") -> NoReturn:
    """Print a one-line error (and a hint) to stderr and exit with a code; never a traceback."""
    print_error(stderr(), message, hint)
    raise typer.Exit(int(code))


def print_error(console: Console, message: str, hint: str = "") -> None:
    """Print the error line (and hint line) every command shows for an expected failure."""
    console.print(f"[bold red]error:[/] {escape(message)}")
    if hint:
        console.print(f"[dim]hint:[/] {escape(hint)}")


def print_json(data: Any) -> None:
    """Write one JSON document to stdout."""
    Sink(sys.stdout).json(data)


def print_ndjson(data: Any) -> None:
    """Write one JSON line to stdout and flush (for streams)."""
    Sink(sys.stdout).ndjson(data)


def load(path: Path | None, json_errors: bool = False) -> Contract:
    """Load the contract or exit 2 with every located problem, one plain sentence each."""
    from hotelmate_rt.contracts import load_contract
    from hotelmate_rt.errors import ContractLoadError

    try:
        return load_contract(path)
    except ContractLoadError as exc:
        if json_errors:
            print_json({"ok": False, "load_errors": [p.to_dict() for p in exc.problems]})  # type: ignore[attr-defined]
        else:
            console = stderr()
            for problem in exc.problems:
                console.print(f"[bold red]error:[/] {escape(str(problem))}")
        raise typer.Exit(int(ExitCode.USAGE)) from None


def write_text(text: str, out: Path | None) -> None:
    """Write a generated file (or stdout); an unwritable file exits 2 with one sentence."""
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")
