"""`replay`: how many dead-lettered events were resent and which still fail."""

from __future__ import annotations

from hotelmate_rt.cli.output import Format, Reporter, Sink, escape
from hotelmate_rt.emitters import ReplayReport


def text(report: ReplayReport, sink: Sink) -> None:
    """A count line, then one line per entry still failing (kept in the file)."""
    console = sink.console()
    console.print(f"resent {len(report.resent)}, still failing {len(report.remaining)} "
                  f"({escape(report.path)})")
    for entry in report.remaining:
        console.print(f"  {escape(entry.event)} {escape(', '.join(entry.channels))}: "
                      f"{escape(entry.error)}")


def as_json(report: ReplayReport, sink: Sink) -> None:
    """The report as one JSON document."""
    sink.json(report.to_dict())


REPORTER: Reporter[ReplayReport] = Reporter({Format.TEXT: text, Format.JSON: as_json})
