"""A drafted contract (`contract infer`): the YAML for people, or one JSON document, with its findings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hotelmate_rt.cli.output import Format, Reporter, Sink, escape

if TYPE_CHECKING:
    from hotelmate_rt.scan.infer import Inferred


@dataclass(frozen=True, slots=True)
class InferReport:
    """A draft and where its YAML went (None: it is part of this report, on stdout)."""

    drafted: Inferred
    output: Path | None

    @property
    def ok(self) -> bool:
        """Tell whether no personal data travels on a public channel."""
        return not self.drafted.exposures


def text(report: InferReport, sink: Sink) -> None:
    """The YAML on stdout (unless --output took it), then the findings for people on stderr."""
    drafted = report.drafted
    if report.output is None:
        sink.write(drafted.text)
        sink = Sink.stderr()
    console = sink.console()
    for exposure in drafted.exposures:
        console.print(f"[red]exposed[/] {escape(exposure)}")
    for name, item in drafted.aliases.items():
        console.print(f"[yellow]alias[/] `{escape(name)}` proposed as a wrong name: "
                      f"{escape(item.body['note'])}")
    where = f" to {escape(report.output)}" if report.output is not None else ""
    console.print(f"drafted {len(drafted.channels)} channel(s), {len(drafted.events)} event(s), "
                  f"{len(drafted.parameters)} parameter(s) from {drafted.sites} site(s){where}; "
                  f"{len(drafted.exposures)} public exposure(s)")


def as_json(report: InferReport, sink: Sink) -> None:
    """Counts, exposures and proposed aliases, with the YAML text, as one JSON document."""
    drafted = report.drafted
    sink.json({"ok": report.ok, "sites": drafted.sites, "channels": len(drafted.channels),
               "events": len(drafted.events), "parameters": len(drafted.parameters),
               "wrong_aliases": {name: item.body["note"] for name, item in drafted.aliases.items()},
               "exposures": [{"event": e.event, "channel": e.channel, "fields": e.fields,
                              "where": e.where} for e in drafted.exposures],
               "output": str(report.output) if report.output is not None else None,
               "contract": drafted.text})


REPORTER: Reporter[InferReport] = Reporter({Format.TEXT: text, Format.JSON: as_json})
