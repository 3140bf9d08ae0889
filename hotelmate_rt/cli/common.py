"""Shared CLI plumbing: exit codes, output helpers, contract loading with friendly errors."""

from __future__ import annotations

import enum
import functools
import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

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
__all__ = ["SHARED", "ContractOption", "ExitCode", "JsonOption", "fail", "load", "load_failed",
           "print_error",
           "print_json", "print_ndjson", "shared_options", "stderr", "stdout", "write_text"]

SHARED: Any = object()
"""The default of the parameter that receives what `shared_options`' collector returns."""
_R = TypeVar("_R")


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
        load_failed(exc.problems, json_errors)


def load_failed(problems: Any, json_errors: bool = False, **context: Any) -> NoReturn:
    """Report every located problem of a contract that did not load and exit 2.

    As one JSON document (`context` keys before `load_errors`), else one error line each.
    """
    if json_errors:
        print_json({"ok": False, **context, "load_errors": [p.to_dict() for p in problems]})
    else:
        console = stderr()
        for problem in problems:
            print_error(console, str(problem))
    raise typer.Exit(int(ExitCode.USAGE))


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


def shared_options(collect: Callable[..., Any]
                   ) -> Callable[[Callable[..., _R]], Callable[..., _R]]:
    """Declare options once for several commands: `collect`'s parameters are typer options.

    The decorated command's parameter whose default is `SHARED` and whose type is what `collect`
    returns receives `collect(**options)` (so several collectors can serve one command);
    the signature typer reads has `collect`'s parameters in its place (so `--help` lists them
    there).
    """
    shared = list(inspect.signature(collect, eval_str=True).parameters.values())

    def decorate(command: Callable[..., _R]) -> Callable[..., _R]:
        """Splice the shared options into `command`'s signature."""
        own = inspect.signature(command, eval_str=True)
        params = list(own.parameters.values())
        kind = inspect.signature(collect, eval_str=True).return_annotation
        (slot,) = [p for p in params if p.default is SHARED and p.annotation == kind]
        at = params.index(slot)

        @functools.wraps(command)
        def run(**kwargs: Any) -> _R:
            """Collect the shared options, then run the command."""
            kwargs[slot.name] = collect(**{p.name: kwargs.pop(p.name) for p in shared})
            return command(**kwargs)

        merged = [*params[:at], *shared, *params[at + 1:]]
        run.__signature__ = own.replace(parameters=merged)  # type: ignore[attr-defined]
        run.__annotations__ = {**{p.name: p.annotation for p in merged},
                               "return": own.return_annotation}
        return run

    return decorate
