"""`emit`: what happened to one event (refused, valid in a dry run, sent, failed)."""

from __future__ import annotations

from typing import Any

from hotelmate_rt.cli.common import print_error
from hotelmate_rt.cli.output import Format, Reporter, Sink, escape

EmitReport = dict[str, Any]
"""The JSON document of one emit: `ok`, `event`, `outcome` and what that outcome carries."""


def text(report: EmitReport, sink: Sink) -> None:
    """The channels it went (or would go) to; a refusal or a failure on stderr with its reason."""
    event, outcome = report["event"], report["outcome"]
    if outcome == "refused":
        console = Sink.stderr().console()
        console.print(f"[bold red]refused:[/] {escape(event)} was not sent")
        for finding in report["findings"]:
            where = f"{finding['path']}: " if finding.get("path") else ""
            console.print(f"  {finding['kind']}: {escape(where + finding['message'])}")
        return
    if outcome == "failed":
        print_error(Sink.stderr().console(), report["error"], f"server: {report['server']}")
        return
    console = sink.console()
    verb = "valid (dry run), would go to" if report.get("dry_run") else \
        f"sent (attempts: {report['attempts']}) to"
    console.print(f"[green]{escape(event)}[/] {verb}:")
    for channel in report["channels"]:
        console.print(f"  {escape(channel)}")


def as_json(report: EmitReport, sink: Sink) -> None:
    """The report as one JSON document."""
    sink.json(report)


REPORTER: Reporter[EmitReport] = Reporter({Format.TEXT: text, Format.JSON: as_json})
