"""`check`: a recording judged offline, grouped by problem for people, or NDJSON per event.

For people: one block per distinct problem (finding kind, channel template, event, JSON path)
with its count, first and last line and a few example messages, then the unreadable lines, what
the recorded session reported (refusals, gaps, errors) and the totals. For machines: one line
per judged event, unreadable line and session note as they come, then the summary (with the
same problems).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hotelmate_rt.cli.output import Format, Sink, StreamReporter, escape
from hotelmate_rt.contracts import VerdictKind

from .probe import style

if TYPE_CHECKING:
    from hotelmate_rt.probes.recording import CheckItem, CheckResult


def _kind_style(kind: str) -> str:
    """The colour of a finding kind (as in listen's lines)."""
    try:
        return style(VerdictKind(kind))
    except ValueError:
        return "red"


class TextRenderer:
    """The grouped report, written once the whole recording was judged."""

    def __init__(self, sink: Sink) -> None:
        """Write to `sink`."""
        self.sink = sink

    def show(self, item: CheckItem) -> None:
        """Nothing per event: people read the problems grouped at the end."""

    def end(self, result: CheckResult) -> None:
        """Print each distinct problem, unreadable lines, session notes, then the totals."""
        console = self.sink.console()
        for problem in result.ordered_problems():
            lines = f"line {problem.first_line}" if problem.count == 1 else \
                f"lines {problem.first_line}-{problem.last_line}"
            path = f" {escape(problem.path)}" if problem.path else ""
            console.print(f"[{_kind_style(problem.kind)}]{problem.kind}[/] "
                          f"{escape(problem.template)} [bold]{escape(problem.event)}[/]{path}: "
                          f"{problem.count} event(s), {lines}")
            for message, line, channel in problem.samples:
                console.print(f"    {escape(message)} [dim](line {line}, {escape(channel)})[/]")
        if result.other_problems:
            console.print(f"[red]… {result.other_problems} more finding(s) of other problems "
                          "(only the first distinct problems are kept)[/]")
        for bad in result.unreadable:
            console.print(f"[bold red]line {bad.line}:[/] unreadable: {escape(bad.problem)}")
        if result.unreadable_count > len(result.unreadable):
            console.print(f"[red]… {result.unreadable_count - len(result.unreadable)} more "
                          "unreadable line(s)[/]")
        for note in result.session:
            console.print(f"[bold red]line {note.line}:[/] session {note.kind}: "
                          f"{escape(note.message)}")
        hidden = sum(result.session_counts.values()) - len(result.session)
        if hidden > 0:
            console.print(f"[red]… {hidden} more session line(s)[/]")
        counts = ", ".join(f"{n} {k}" for k, n in result.kinds.most_common()) or "no events"
        colour = "green" if result.ok else "red"
        console.print(f"[{colour}]{result.events} event(s), {result.violations} "
                      f"violation(s)[/] in {escape(result.source)} ({counts})")
        if result.empty and not result.allow_empty:
            console.print("[red]the recording holds no event (pass --allow-empty if that is "
                          "expected)[/]")
        if result.unreadable_count:
            console.print(f"[red]{result.unreadable_count} unreadable line(s)[/]")


class NdjsonRenderer:
    """One JSON line per judged event, unreadable line and session note, then the summary."""

    def __init__(self, sink: Sink) -> None:
        """Write to `sink`."""
        self.sink = sink

    def show(self, item: CheckItem) -> None:
        """Write one result as one JSON line."""
        self.sink.ndjson(item.to_dict())

    def end(self, result: CheckResult) -> None:
        """Write the summary line."""
        self.sink.ndjson(result.to_dict())


REPORTER: StreamReporter[TextRenderer | NdjsonRenderer] = StreamReporter({
    Format.TEXT: TextRenderer, Format.NDJSON: NdjsonRenderer})
