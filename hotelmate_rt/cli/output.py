"""How every command chooses and writes its output: one format option, one escape, one writer.

Each result type (scan result, lint findings, doctor report, diff, probe stream, ...) has one
reporter module under `cli/reporters/`, which declares a `Reporter` mapping each `Format` it
supports to a render function. Commands never branch on the format themselves:

    fmt = choose_format(output_format, as_json, REPORTER.formats)
    REPORTER.write(result, fmt, output)

Streams (the probe's events) declare a `StreamReporter` instead: one renderer class per format,
whose `begin` / `show` / `end` run as the stream goes.

Adding an output format means adding a `Format` member (if new) and one render function in the
reporter of each result type that supports it.
"""

from __future__ import annotations

import difflib
import enum
import json
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Generic, TypeVar

import typer

if TYPE_CHECKING:
    from rich.console import Console

R = TypeVar("R")
T = TypeVar("T")


class Format(enum.StrEnum):
    """Every output format a command may offer (the value is what `--format` takes)."""

    TEXT = "text"
    JSON = "json"
    NDJSON = "ndjson"
    MARKDOWN = "markdown"
    SARIF = "sarif"
    JUNIT = "junit"
    GITHUB = "github"


def format_option(formats: Iterable[Format], default: Format = Format.TEXT) -> Any:
    """Return the `--format/-f` typer option listing the formats a command offers."""
    names = ", ".join(f.value for f in formats)
    return typer.Option(default.value, "--format", "-f", help=f"Output format: {names}.")


JsonOption = typer.Option(False, "--json", help="Same as --format json (NDJSON for streams).")
MarkdownOption = typer.Option(False, "--markdown", help="Same as --format markdown.")


def choose_format(value: str | None, as_json: bool, formats: Iterable[Format], *,
                  markdown: bool = False) -> Format:
    """Resolve `--format` (and its `--json` / `--markdown` aliases) or exit 2 with a hint."""
    offered = list(formats)
    if as_json:
        value = Format.NDJSON.value if Format.JSON not in offered else Format.JSON.value
    elif markdown:
        value = Format.MARKDOWN.value
    chosen = choose_value(value or offered[0].value, [f.value for f in offered], "--format")
    return next(fmt for fmt in offered if fmt.value == chosen)


def choose_value(value: str, choices: Iterable[str], option: str) -> str:
    """Return the choice `value` names (case-insensitively), or exit 2 with "did you mean".

    The one check of an option's value against a fixed list (`--format`, `--fail-on`, `--as`):
    `unknown --fail-on 'eror'` and the hint `did you mean 'error'? use one of: ...`.
    """
    from .common import fail

    names = list(choices)
    for name in names:
        if name.lower() == value.lower():
            return name
    close = difflib.get_close_matches(value.lower(), [n.lower() for n in names], n=1,
                                      cutoff=0.5)
    guess = next((n for n in names if close and n.lower() == close[0]), None)
    hint = f"did you mean {guess!r}? " if guess else ""
    fail(f"unknown {option} {value!r}", hint=f"{hint}use one of: {', '.join(names)}")


def escape(text: object) -> str:
    """Escape rich markup in user-controlled text (the only escape for terminal output)."""
    from rich.markup import escape as rich_escape

    return rich_escape(str(text))


def md(text: object) -> str:
    """Escape text for one Markdown table cell or line."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def workflow_escape(text: object, *, prop: bool = False) -> str:
    """Escape text for a GitHub workflow command: its message, or (`prop`) a property value."""
    out = str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return out.replace(":", "%3A").replace(",", "%2C") if prop else out


@dataclass(slots=True)
class Sink:
    """Where a report goes: stdout or a file, as text and, for people, as a rich console."""

    stream: IO[str]
    to_file: bool = False

    def write(self, text: str) -> None:
        """Write text (a newline is added when missing) and flush."""
        self.stream.write(text if text.endswith("\n") else text + "\n")
        self.stream.flush()

    def json(self, data: Any) -> None:
        """Write one indented JSON document."""
        self.write(json.dumps(data, indent=2, default=str, ensure_ascii=False))

    def ndjson(self, data: Any) -> None:
        """Write one compact JSON line (streams)."""
        self.write(json.dumps(data, separators=(",", ":"), default=str, ensure_ascii=False))

    def console(self) -> Console:
        """Return a rich console on this sink (no colour when writing to a file)."""
        from rich.console import Console

        if self.to_file:
            return Console(file=self.stream, highlight=False, soft_wrap=True, no_color=True,
                           width=120)
        return Console(file=self.stream, highlight=False, soft_wrap=True)

    @staticmethod
    def stderr() -> Sink:
        """Return a sink on stderr, for what people read as a diagnostic (a refusal)."""
        return Sink(sys.stderr)


Render = Callable[[R, Sink], None]


class Reporter(Generic[R]):
    """The render functions of one result type, one per format it supports."""

    def __init__(self, renderers: Mapping[Format, Render[R]]) -> None:
        """Declare the renderers; the first one is the default format."""
        self.renderers = dict(renderers)

    @property
    def formats(self) -> list[Format]:
        """The formats this result type can be written in (default first)."""
        return list(self.renderers)

    def write(self, result: R, fmt: Format, output: Path | None = None) -> None:
        """Render `result` to stdout, or to `output` (exit 2 with one sentence if unwritable)."""
        from .common import fail

        render = self.renderers[fmt]
        if output is None:
            render(result, Sink(sys.stdout))
            return
        try:
            with open(output, "w", encoding="utf-8") as handle:
                render(result, Sink(handle, to_file=True))
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror or exc}")


class StreamReporter(Generic[T]):
    """The renderers of one stream type, one class per format: each shows items as they come."""

    def __init__(self, renderers: Mapping[Format, Callable[[Sink], T]]) -> None:
        """Declare the renderer factories; the first one is the default format."""
        self.renderers = dict(renderers)

    @property
    def formats(self) -> list[Format]:
        """The formats this stream can be written in (default first)."""
        return list(self.renderers)

    def open(self, fmt: Format) -> T:
        """Return the renderer of `fmt`, writing to stdout."""
        return self.renderers[fmt](Sink(sys.stdout))
