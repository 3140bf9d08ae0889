"""Rendering shared by the doctor and triage reporters: a checklist of `Check`s."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hotelmate_rt.cli.output import escape, md

if TYPE_CHECKING:
    from rich.console import Console

    from hotelmate_rt.oncall import Check

ICONS = {"pass": ("✔", "green"), "warn": ("!", "yellow"), "fail": ("✘", "red"),
         "skip": ("-", "dim")}
MD_ICONS = {"pass": "✅", "warn": "⚠️", "fail": "❌", "skip": "⏭️"}
_NEEDS_ACTION = {"fail", "warn"}


def check_line(check: Check) -> str:
    """One rich line for a check: icon, title, summary (and the security flag)."""
    icon, colour = ICONS[check.status.value]
    flag = " [bold red]\\[security][/]" if check.security and check.status.value == "fail" else ""
    return f"  [{colour}]{icon}[/] {escape(check.title)}: [{colour}]{escape(check.summary)}[/]{flag}"


def print_checks(console: Console, checks: list[Check]) -> None:
    """Print checks grouped by section, with evidence and next action for the ones that need it."""
    section = None
    for check in checks:
        if check.section != section:
            section = check.section
            console.print(f"\n[bold]{escape(section.value)}[/]")
        console.print(check_line(check))
        if check.status.value in _NEEDS_ACTION:
            for line in check.evidence:
                console.print(f"      [dim]{escape(line)}[/]")
            if check.next_action:
                console.print(f"      [cyan]→ {escape(check.next_action)}[/]")


def markdown_checks(checks: list[Check]) -> list[str]:
    """Render checks as a Markdown table plus details for the ones that need action."""
    lines = ["| | step | result |", "|---|---|---|"]
    lines += [f"| {MD_ICONS[c.status.value]} | {md(c.title)} | {md(c.summary)} |" for c in checks]
    details = [c for c in checks if c.status.value in _NEEDS_ACTION]
    if details:
        lines += ["", "### Details"]
        for c in details:
            lines.append(f"- **{md(c.title)}** ({c.status.value}"
                         f"{', security' if c.security else ''}): {md(c.summary)}")
            lines += [f"  - `{e.replace('`', chr(39))}`" for e in c.evidence]
            if c.next_action:
                lines.append(f"  - Next: {md(c.next_action)}")
    return lines
