"""`contract show`: the contract as tables for people, or as the JSON of `describe`; one event
(`contract show EVENT`) with its channels, schema, an example payload and the command to send it."""

from __future__ import annotations

import json
import shlex
from typing import TYPE_CHECKING, Any

from hotelmate_rt.cli.output import Format, Reporter, Sink, escape
from hotelmate_rt.contracts import Contract, describe

if TYPE_CHECKING:
    from hotelmate_rt.contracts.resolve import EventName


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


def event_view(contract: Contract, name: EventName) -> dict[str, Any]:
    """Describe one event (resolved from the name asked for) as JSON-ready data."""
    from hotelmate_rt.contracts.examples import event_example

    event = name.event
    assert event is not None
    params: dict[str, str] = {}
    channels = []
    for channel_id in event.channels:
        channel = contract.channels[channel_id]
        channels.append({"id": channel.id, "template": channel.template.text,
                         "kind": channel.kind.value, "audiences": list(channel.audiences)})
        for parameter in channel.template.parameters:
            known = contract.parameters.get(parameter)
            params.setdefault(parameter, known.example if known and known.example else "...")
    command = ["hotelmate-rt", "emit", event.name]
    for parameter, example in params.items():
        command += ["-p", f"{parameter}={example}"]
    return {"event": event.name, "asked": name.name, "status": name.status.value,
            "problem": name.problem, "description": event.description, "channels": channels,
            "parameters": list(params), "sensitive": _sensitive_fields(contract, event),
            "envelope": ({"field": event.envelope.field,
                          "variants": list(event.envelope.variants)} if event.envelope else None),
            "schema": event.schema, "example": event_example(contract, event),
            "send": shlex.join([*command, "--example"])}


def _sensitive_fields(contract: Contract, event: Any) -> list[str]:
    """The sensitive field names this event's payload may carry (top level and variants)."""
    schemas = [event.schema, *(event.envelope.variants.values() if event.envelope else ())]
    fields = {name for schema in schemas for name in (schema.get("properties") or {})}
    return sorted(fields & contract.sensitive_for(event))


def event_text(view: dict[str, Any], sink: Sink) -> None:
    """One event for people: what it is, where it goes, its schema, an example, how to send it."""
    console = sink.console()
    console.print(f"[bold]{escape(view['event'])}[/]"
                  + (f": {escape(view['description'])}" if view["description"] else ""))
    if view["problem"]:
        console.print(f"[yellow]{escape(view['problem'])}[/]")
    console.print("\n[bold]channels[/]")
    width = max(len(c["id"]) for c in view["channels"])
    template = max(len(c["template"]) for c in view["channels"])
    for channel in view["channels"]:
        console.print(f"  {escape(channel['id'].ljust(width))}  "
                      f"{escape(channel['template'].ljust(template))}  "
                      f"[dim]{channel['kind']}; {escape(', '.join(channel['audiences']))}[/]")
    if view["sensitive"]:
        console.print(f"\n[bold]sensitive fields[/] {escape(', '.join(view['sensitive']))} "
                      "[dim](never on a public channel)[/]")
    if view["envelope"]:
        console.print(f"\n[bold]envelope[/] {escape(view['envelope']['field'])} selects one of "
                      f"{escape(', '.join(view['envelope']['variants']))}")
    for title, value in (("payload schema", view["schema"]), ("example payload", view["example"])):
        console.print(f"\n[bold]{title}[/]")
        console.print(escape(json.dumps(value, indent=2, ensure_ascii=False, default=str)))
    console.print("\n[bold]send it[/] [dim](the example payload, to a server in PUSHER_URL)[/]")
    console.print(f"  {escape(view['send'])}")


def event_json(view: dict[str, Any], sink: Sink) -> None:
    """One event as JSON (the same keys the text shows)."""
    sink.json(view)


EVENT_REPORTER: Reporter[dict[str, Any]] = Reporter({Format.TEXT: event_text,
                                                      Format.JSON: event_json})
