"""`hotelmate-rt contract lint|show`: check and display the contract."""

from __future__ import annotations

from pathlib import Path

import typer

from .common import ExitCode, JsonOption, load, print_json, stdout

app = typer.Typer(help="Lint and show the channels.yaml contract.", no_args_is_help=True,
                  rich_markup_mode=None)

PathArgument = typer.Argument(
    None, envvar="HOTELMATE_RT_CONTRACT", show_envvar=True,
    help="Contract file [default: ./channels.yaml].")


@app.command("lint")
def lint_command(path: Path | None = PathArgument, as_json: bool = JsonOption) -> None:
    """Check the contract against every lint rule; exit 1 on findings, 2 if it cannot load."""
    from hotelmate_rt.contracts import lint

    contract = load(path, json_errors=as_json)
    findings = lint(contract)
    if as_json:
        print_json({"ok": not findings, "path": contract.path,
                    "findings": [f.to_dict() for f in findings]})
    else:
        from rich.text import Text

        console = stdout()
        for finding in findings:
            colour = "red" if finding.severity == "error" else "yellow"
            console.print(Text(str(finding), style=colour))
        if findings:
            console.print(f"[bold]{len(findings)} finding(s)[/] in {contract.path}")
        else:
            console.print(f"[green]ok[/] {contract.path}: {len(contract.channels)} channels, "
                          f"{len(contract.events)} events, no findings")
    raise typer.Exit(int(ExitCode.FINDINGS if findings else ExitCode.OK))


@app.command("show")
def show_command(path: Path | None = PathArgument, as_json: bool = JsonOption) -> None:
    """Show channels, audiences and events as a table (or JSON)."""
    from hotelmate_rt.contracts import describe

    contract = load(path, json_errors=as_json)
    data = describe(contract)
    if as_json:
        print_json(data)
        return
    from rich.table import Table

    console = stdout()
    channels = Table(title=f"Channels ({contract.path})", show_lines=False)
    for column in ("channel", "template", "kind", "audiences", "events", "aliases"):
        channels.add_column(column, overflow="fold")
    for c in data["channels"]:
        aliases = "\n".join(f"{a['template']} ({a['status']})" for a in c["aliases"])
        kind = f"[red]{c['kind']}[/]" if c["public_readable"] else c["kind"]
        channels.add_row(c["id"], c["template"], kind, ", ".join(c["audiences"]),
                         str(len(c["events"])), aliases)
    console.print(channels)
    events = Table(title="Events")
    for column in ("event", "channels", "sensitive", "description"):
        events.add_column(column, overflow="fold")
    for e in data["events"]:
        events.add_row(e["name"], ", ".join(e["channels"]), ", ".join(e["sensitive"]),
                       e["description"])
    console.print(events)
    renamed = Table(title="Event aliases")
    for column in ("name", "status", "use instead"):
        renamed.add_column(column)
    for a in data["event_aliases"]:
        renamed.add_row(a["name"], a["status"], ", ".join(a["replaced_by"]))
    console.print(renamed)
    for machine in data["state_machines"]:
        table = Table(title=f"Status machine: {machine['name']}")
        for column in ("from", "to", "emits"):
            table.add_column(column)
        for t in machine["transitions"]:
            table.add_row(t["from"], t["to"], ", ".join(t["emits"]))
        console.print(table)
