"""`contract lint` findings: a line per finding for people, or one JSON document."""

from __future__ import annotations

from dataclasses import dataclass

from hotelmate_rt.cli.output import Format, Reporter, Sink, escape
from hotelmate_rt.contracts import Contract, LintFinding
from hotelmate_rt.rules import Level


@dataclass(frozen=True, slots=True)
class LintReport:
    """The lint findings of one contract."""

    contract: Contract
    findings: list[LintFinding]

    @property
    def ok(self) -> bool:
        """Tell whether the contract has no finding at all."""
        return not self.findings


def text(report: LintReport, sink: Sink) -> None:
    """One coloured line per finding (file:line:col first), then a count or an ok line."""
    console = sink.console()
    contract = report.contract
    for finding in report.findings:
        colour = "red" if finding.severity is Level.ERROR else "yellow"
        console.print(f"[{colour}]{escape(finding)}[/]")
    if report.findings:
        console.print(f"[bold]{len(report.findings)} finding(s)[/] in {escape(contract.path)}")
    else:
        console.print(f"[green]ok[/] {escape(contract.path)}: {len(contract.channels)} channels, "
                      f"{len(contract.events)} events, no findings")


def as_json(report: LintReport, sink: Sink) -> None:
    """The verdict, the contract path and every finding."""
    sink.json({"ok": report.ok, "path": report.contract.path,
               "findings": [f.to_dict() for f in report.findings]})


REPORTER: Reporter[LintReport] = Reporter({Format.TEXT: text, Format.JSON: as_json})
