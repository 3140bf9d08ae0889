"""`replay`: how many dead events were resent (from a file or the outbox's dead rows), which fail.

A file replay also names the stranded claims it picked up (`FILE.replaying-PID` of a replay that
died) and the lines it set aside in `FILE.rejected`; a database replay (`--database ALIAS`) names
each row still dead by its `outbox:ID`.
"""

from __future__ import annotations

from hotelmate_rt.cli.output import Format, Reporter, Sink, escape
from hotelmate_rt.emitters import ReplayReport

DATABASE = "database:"
"""How a database replay's `path` starts (`database:ALIAS`)."""


def text(report: ReplayReport, sink: Sink) -> None:
    """A count line, then the picked-up claims, each entry still failing and each bad line."""
    console = sink.console()
    where = f"outbox rows in database {report.path.removeprefix(DATABASE)!r}" \
        if report.path.startswith(DATABASE) else report.path
    aside = f", lines set aside {len(report.rejected)}" if report.rejected else ""
    console.print(f"resent {len(report.resent)}, still failing {len(report.remaining)}{aside} "
                  f"({escape(where)})")
    for claim in report.recovered:
        console.print(f"  picked up an interrupted replay: {escape(claim)}")
    for entry in report.remaining:
        ref = f"{entry.ref} " if entry.ref else ""
        console.print(f"  {escape(ref + entry.event)} {escape(', '.join(entry.channels))}: "
                      f"{escape(entry.error)}")
    for bad in report.rejected:
        console.print(f"  line {bad.line} is not an entry ({escape(bad.reason)}): kept in "
                      f"{escape(report.path)}.rejected")


def as_json(report: ReplayReport, sink: Sink) -> None:
    """The report as one JSON document."""
    sink.json(report.to_dict())


REPORTER: Reporter[ReplayReport] = Reporter({Format.TEXT: text, Format.JSON: as_json})
