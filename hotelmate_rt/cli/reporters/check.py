"""`check`: a recording judged offline, as lines for people or NDJSON for machines."""

from __future__ import annotations

from hotelmate_rt.cli.output import Format, Reporter, Sink, escape
from hotelmate_rt.probes import CheckResult

from .probe import finding_lines, verdict_line


def text(result: CheckResult, sink: Sink) -> None:
    """Each event that does not conform with its findings, unreadable lines, then the totals."""
    console = sink.console()
    for record in result.records:
        if not record.verdict.ok:
            console.print(f"[dim]line {record.line}:[/] " + verdict_line(record.verdict))
            for line in finding_lines(record.verdict):
                console.print(line)
    for bad in result.unreadable:
        console.print(f"[bold red]line {bad.line}:[/] unreadable: {escape(bad.problem)}")
    counts = ", ".join(f"{n} {k}" for k, n in result.kinds.most_common()) or "no events"
    colour = "green" if result.ok else "red"
    console.print(f"[{colour}]{len(result.records)} event(s), {result.violations} "
                  f"violation(s)[/] in {escape(result.source)} ({counts})")
    if result.unreadable:
        console.print(f"[red]{len(result.unreadable)} unreadable line(s)[/]")


def ndjson(result: CheckResult, sink: Sink) -> None:
    """One line per judged event, one per unreadable line, then the summary line."""
    for record in result.records:
        sink.ndjson(record.to_dict())
    for bad in result.unreadable:
        sink.ndjson(bad.to_dict())
    sink.ndjson(result.to_dict())


REPORTER: Reporter[CheckResult] = Reporter({Format.TEXT: text, Format.NDJSON: ndjson})
