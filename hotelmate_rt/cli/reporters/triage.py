"""The triage report in every format: text (verdict first), JSON, Markdown (for a ticket)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hotelmate_rt.cli.output import Format, Reporter, Sink, escape, md

from .checklist import markdown_checks, print_checks

if TYPE_CHECKING:
    from hotelmate_rt.oncall import ChannelState, TriageReport


def _seen(state: ChannelState) -> tuple[str, str]:
    """Say whether a channel is occupied and by how many ('?' when unknown)."""
    occupied = "?" if state.occupied is None else ("yes" if state.occupied else "no")
    count = "?" if state.subscription_count is None else str(state.subscription_count)
    return occupied, count


def render_text(report: TriageReport, sink: Sink) -> None:
    """Print the triage for people: the verdict first, then channels, checks and time."""
    from rich.table import Table

    console = sink.console()
    colour = "red" if report.exit_code else "green"
    console.print(f"[bold]triage {escape(report.booking_id)}[/]")
    console.print(f"[bold {colour}]{escape(report.verdict)}[/]")
    if report.channels:
        table = Table(title="Channels the guest page should be on", title_justify="left")
        for column in ("channel", "audience", "occupied", "subscribers"):
            table.add_column(column)
        for state in report.channels:
            table.add_row(escape(state.name), state.audience, *_seen(state))
        console.print(table)
    print_checks(console, report.checks)
    console.print(f"\n[dim]{report.duration_s:.2f} s[/]")


def render_json(report: TriageReport, sink: Sink) -> None:
    """Write the whole triage as one JSON document."""
    sink.json(report.to_dict())


def to_markdown(report: TriageReport) -> str:
    """Render the triage as Markdown to paste into a ticket."""
    lines = [f"## triage {report.booking_id}", "", f"**{md(report.verdict)}**", ""]
    if report.channels:
        lines += ["| channel | audience | occupied | subscribers |", "|---|---|---|---|"]
        lines += [f"| `{s.name}` | {s.audience} | {' | '.join(_seen(s))} |"
                  for s in report.channels]
        lines.append("")
    return "\n".join(lines + markdown_checks(report.checks)) + "\n"


def render_markdown(report: TriageReport, sink: Sink) -> None:
    """Write the triage as Markdown."""
    sink.write(to_markdown(report))


REPORTER: Reporter[TriageReport] = Reporter({Format.TEXT: render_text, Format.JSON: render_json,
                                             Format.MARKDOWN: render_markdown})
"""The triage report's formats (text first: the default)."""
