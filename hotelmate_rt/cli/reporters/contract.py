"""`contract show`: the contract as tables for people, or as the JSON of `describe`."""

from __future__ import annotations

from typing import Any

from hotelmate_rt.cli.output import Format, Reporter, Sink, escape
from hotelmate_rt.contracts import Contract, describe


def text(contract: Contract, sink: Sink) -> None:
    """Tables of channels, events, event aliases and each status machine."""
    from rich.table import Table

    data = describe(contract)
    console = sink.console()

    def table(title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]],
              fold: bool = True) -> None:
        """Print one table (cells escaped; long cells fold instead of being cut)."""
        shown = Table(title=escape(title))
        for column in columns:
            shown.add_column(column, overflow="fold" if fold else "ellipsis")
        for row in rows:
            shown.add_row(*row)
        console.print(shown)

    table(f"Channels ({contract.path})",
          ("channel", "template", "kind", "audiences", "events", "aliases"),
          [(escape(c["id"]), escape(c["template"]),
            f"[red]{c['kind']}[/]" if c["public_readable"] else c["kind"],
            escape(", ".join(c["audiences"])), str(len(c["events"])),
            escape("\n".join(f"{a['template']} ({a['status']})" for a in c["aliases"])))
           for c in data["channels"]])
    table("Events", ("event", "channels", "sensitive", "description"),
          [(escape(e["name"]), escape(", ".join(e["channels"])), escape(", ".join(e["sensitive"])),
            escape(e["description"])) for e in data["events"]])
    table("Event aliases", ("name", "status", "use instead"),
          [(escape(a["name"]), a["status"], escape(", ".join(a["replaced_by"])))
           for a in data["event_aliases"]], fold=False)
    for machine in data["state_machines"]:
        table(f"Status machine: {machine['name']}", ("from", "to", "emits"),
              [(escape(t["from"]), escape(t["to"]), escape(", ".join(t["emits"])))
               for t in machine["transitions"]], fold=False)


def as_json(contract: Contract, sink: Sink) -> None:
    """Everything `describe` returns."""
    data: dict[str, Any] = describe(contract)
    sink.json(data)


REPORTER: Reporter[Contract] = Reporter({Format.TEXT: text, Format.JSON: as_json})
