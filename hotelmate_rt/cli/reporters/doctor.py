"""The doctor report in every format: text (a checklist), JSON, Markdown (for a ticket)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hotelmate_rt.cli.output import Format, Reporter, Sink, escape, md

from .checklist import ICONS, markdown_checks, print_checks

if TYPE_CHECKING:
    from rich.console import Console

    from hotelmate_rt.oncall import Check, DoctorReport

_ORDER = ["fail", "warn", "pass", "skip"]


def target_line(data: dict[str, Any]) -> str:
    """Describe the target server in one line."""
    pusher = (data.get("target") or {}).get("pusher") or {}
    app, key = pusher.get("app_id") or "(not set)", pusher.get("key") or "(not set)"
    return f"app {app} key {key} at {pusher.get('api_url')}"


def counts_line(report: DoctorReport) -> str:
    """Count the checks per status and say how long the run took."""
    c = report.counts
    return (f"{c['pass']} passed, {c['warn']} warning(s), {c['fail']} failed, {c['skip']} "
            f"skipped in {report.duration_s:.2f} s")


def render_text(report: DoctorReport, sink: Sink) -> None:
    """Print the checklist for people: target, checks by section, headline, counts."""
    console = sink.console()
    console.print(f"[bold]hotelmate-rt doctor[/] [dim]{escape(target_line(report.to_dict()))}[/]")
    print_checks(console, report.checks)
    colour = "red" if report.exit_code else "green"
    console.print(f"\n[bold {colour}]{escape(report.headline)}[/]")
    console.print(f"[dim]{counts_line(report)}[/]")


def render_json(report: DoctorReport, sink: Sink) -> None:
    """Write the whole report as one JSON document."""
    sink.json(report.to_dict())


def to_markdown(report: DoctorReport) -> str:
    """Render the report as Markdown to paste into a ticket."""
    lines = [f"## hotelmate-rt doctor: {'FAIL' if report.exit_code else 'OK'}", "",
             f"**{md(report.headline)}**", "",
             f"{target_line(report.to_dict())}; {counts_line(report)}", ""]
    return "\n".join(lines + markdown_checks(report.checks)) + "\n"


def render_markdown(report: DoctorReport, sink: Sink) -> None:
    """Write the report as Markdown."""
    sink.write(to_markdown(report))


def render_compact(report: DoctorReport, console: Console) -> None:
    """Print one line per section (worst status first), then every failure in full (the demo)."""
    sections: dict[str, list[Check]] = {}
    for check in report.checks:
        sections.setdefault(check.section.value, []).append(check)
    for name, checks in sections.items():
        worst = min((c.status.value for c in checks), key=_ORDER.index)
        icon, colour = ICONS[worst]
        counts = ", ".join(f"{sum(c.status.value == s for c in checks)} {s}" for s in _ORDER
                           if any(c.status.value == s for c in checks))
        console.print(f"  [{colour}]{icon}[/] {escape(name)}: {counts}")
        for check in checks:
            if check.status.value == "fail":
                console.print(f"      [red]✘ {escape(check.title)}: {escape(check.summary)}[/]")
    rt = report.get("round-trip")
    p50 = f"; round trip p50 {rt.data['p50_ms']} ms" if rt and "p50_ms" in rt.data else ""
    colour = "red" if report.exit_code else "green"
    console.print(f"  [bold {colour}]{escape(report.headline)}[/] "
                  f"[dim]({len(report.checks)} checks in {report.duration_s:.2f} s{p50})[/]")


REPORTER: Reporter[DoctorReport] = Reporter({Format.TEXT: render_text, Format.JSON: render_json,
                                             Format.MARKDOWN: render_markdown})
"""The doctor report's formats (text first: the default)."""
