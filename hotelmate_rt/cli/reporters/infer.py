"""How a drafted contract is reported: the YAML (stdout or --output) and its findings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hotelmate_rt.cli.output import Format, Reporter, Sink, escape

if TYPE_CHECKING:
    from hotelmate_rt.scan.infer import Inferred


def summary(drafted: Inferred) -> dict[str, Any]:
    """Describe a draft for machines: counts, exposures, proposed aliases."""
    return {"ok": not drafted.exposures, "sites": drafted.sites,
            "channels": len(drafted.channels), "events": len(drafted.events),
            "parameters": len(drafted.parameters),
            "wrong_aliases": {name: item.body["note"] for name, item in drafted.aliases.items()},
            "exposures": [{"event": e.event, "channel": e.channel, "fields": e.fields,
                           "where": e.where} for e in drafted.exposures]}


def _text(drafted: Inferred, sink: Sink) -> None:
    """Write the findings for people (the YAML itself goes to stdout or --output)."""
    console = sink.console()
    for exposure in drafted.exposures:
        console.print(f"[red]exposed[/] {escape(exposure)}")
    for name, item in drafted.aliases.items():
        console.print(f"[yellow]alias[/] `{escape(name)}` proposed as a wrong name: "
                      f"{escape(item.body['note'])}")
    console.print(f"drafted {len(drafted.channels)} channel(s), {len(drafted.events)} event(s), "
                  f"{len(drafted.parameters)} parameter(s) from {drafted.sites} site(s); "
                  f"{len(drafted.exposures)} public exposure(s)")


def _json(drafted: Inferred, sink: Sink) -> None:
    """Write the summary and the YAML as one JSON document."""
    sink.json({**summary(drafted), "contract": drafted.text})


REPORTER: Reporter[Inferred] = Reporter({Format.TEXT: _text, Format.JSON: _json})
