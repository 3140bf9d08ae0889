"""Write a contract diff: text (grouped, coloured), JSON, JUnit, Markdown (PR comment), GitHub annotations."""

from __future__ import annotations

from itertools import groupby
from xml.etree import ElementTree

from hotelmate_rt.cli.output import Format, Reporter, Sink, escape, md, workflow_escape
from hotelmate_rt.contracts.diff import Area, Change, DiffResult, Level
from hotelmate_rt.contracts.model import Location

_COLOURS = {Level.ERR: "bold red", Level.WARN: "yellow", Level.INFO: "cyan"}
_GITHUB = {Level.ERR: "error", Level.WARN: "warning", Level.INFO: "notice"}
_AREAS = list(Area)


def _at(location: Location | None) -> str:
    """Show a location as file:line:column, or a dash when that side has no such thing."""
    return "-" if location is None else str(location)


def _verdict(result: DiffResult) -> str:
    """Say in a few words whether the diff passes its --fail-on level."""
    failing = len(result.failing)
    if not failing:
        return f"ok (fails on {result.fail_on.value})"
    return f"FAIL: {failing} change(s) at {result.fail_on.value} or above"


def _summary(result: DiffResult) -> str:
    """Count the changes per level, and the accepted ones."""
    counts = result.counts()
    text = ", ".join(f"{counts[level.value]} {level.value}" for level in Level)
    return text + (f" ({counts['accepted']} accepted)" if counts["accepted"] else "")


def _groups(result: DiffResult) -> list[tuple[Area, list[Change]]]:
    """Group the changes by area, in the areas' order."""
    ordered = sorted(result.changes, key=lambda c: _AREAS.index(c.area))
    return [(area, list(items)) for area, items in groupby(ordered, key=lambda c: c.area)]


def render_text(result: DiffResult, sink: Sink) -> None:
    """Print the changes grouped by area, coloured by level, with both locations and notes."""
    console = sink.console()
    console.print(f"[bold]Contract diff[/] {escape(result.old)} -> {escape(result.new)}")
    if not result.changes:
        console.print("[green]no changes[/] (the contracts are equivalent)")
    for area, changes in _groups(result):
        console.print(f"\n[bold underline]{escape(area.value)}[/]")
        for change in changes:
            style = "dim" if change.accepted else _COLOURS[change.level]
            console.print(f"  [{style}]{change.level.value:<4}[/] [dim]{change.check.value}[/]  "
                          f"{escape(change.message)}")
            console.print(f"        [dim]old {escape(_at(change.old))}  new "
                          f"{escape(_at(change.new))}[/]")
            for note in change.notes:
                console.print(f"        [cyan]note:[/] {escape(note)}")
            if change.accepted:
                console.print(f"        [green]accepted:[/] {escape(change.accepted)}")
    for entry in result.unused_acceptances:
        console.print(f"[yellow]accepted change matches nothing or has expired:[/] {escape(entry)}")
    colour = "green" if result.ok else "red"
    console.print(f"\n[bold]{_summary(result)}[/] - [{colour}]{escape(_verdict(result))}[/]")


def render_json(result: DiffResult, sink: Sink) -> None:
    """Write the whole result as one JSON document."""
    sink.json(result.to_dict())


def render_markdown(result: DiffResult, sink: Sink) -> None:
    """Write a PR comment: verdict, counts, a table of what fails, the rest folded away."""
    status = "FAIL" if not result.ok else "PASS"
    lines = [f"## Contract diff: **{status}**", "",
             f"`{md(result.old)}` → `{md(result.new)}` · {md(_summary(result))} · "
             f"{md(_verdict(result))}", ""]
    if not result.changes:
        lines.append("No changes: the contracts are equivalent.")
    failing_ids = {id(c) for c in result.failing}
    failing = [c for c in result.changes if id(c) in failing_ids]
    rest = [c for c in result.changes if id(c) not in failing_ids]
    if failing:
        lines += ["### Changes that fail the check", "", *_table(failing), ""]
    if rest:
        lines += [f"<details><summary>{len(rest)} other change(s)</summary>", "",
                  *_table(rest), "", "</details>", ""]
    if result.unused_acceptances:
        lines += ["Accepted changes that match nothing or have expired: "
                  + ", ".join(f"`{md(e)}`" for e in result.unused_acceptances), ""]
    sink.write("\n".join(lines).rstrip() + "\n")


def _table(changes: list[Change]) -> list[str]:
    """Render changes as a Markdown table."""
    rows = ["| Level | Check | Change | Old | New |", "| --- | --- | --- | --- | --- |"]
    for change in changes:
        text = md(change.message)
        for note in change.notes:
            text += f"<br>*note:* {md(note)}"
        if change.accepted:
            text += f"<br>*accepted:* {md(change.accepted)}"
        rows.append(f"| {change.level.value} | `{change.check.value}` | {text} | "
                    f"{md(_at(change.old))} | {md(_at(change.new))} |")
    return rows


def render_junit(result: DiffResult, sink: Sink) -> None:
    """Write JUnit XML: one suite per area, one case per change, failures at --fail-on."""
    failing = {id(c) for c in result.failing}
    root = ElementTree.Element("testsuites", name="hotelmate-rt contract diff",
                               tests=str(len(result.changes)), failures=str(len(failing)))
    for area, changes in _groups(result):
        suite = ElementTree.SubElement(
            root, "testsuite", name=area.value, tests=str(len(changes)),
            failures=str(sum(1 for c in changes if id(c) in failing)),
            skipped=str(sum(1 for c in changes if c.accepted)))
        for change in changes:
            case = ElementTree.SubElement(suite, "testcase", name=f"{change.check.value}: "
                                          f"{change.subject}", classname=f"contract-diff.{area.name.lower()}")
            detail = f"{change.message}\nold: {_at(change.old)}\nnew: {_at(change.new)}"
            detail += "".join(f"\nnote: {n}" for n in change.notes)
            if change.accepted:
                ElementTree.SubElement(case, "skipped", message=f"accepted: {change.accepted}")
            elif id(change) in failing:
                failure = ElementTree.SubElement(case, "failure", type=change.level.value,
                                                 message=change.message)
                failure.text = detail
            else:
                ElementTree.SubElement(case, "system-out").text = f"{change.level.value} {detail}"
    ElementTree.indent(root)
    sink.write('<?xml version="1.0" encoding="UTF-8"?>\n'
               + ElementTree.tostring(root, encoding="unicode"))


def render_github(result: DiffResult, sink: Sink) -> None:
    """Write GitHub workflow commands: one annotation per change that is not accepted."""
    for change in result.changes:
        if change.accepted:
            continue
        title = workflow_escape(f"{change.level.value} {change.check.value}", prop=True)
        properties = [f"title={title}"]
        anchor = change.anchor
        if result.new_path and anchor is not None and anchor.line > 0:
            properties = [f"file={workflow_escape(result.new_path, prop=True)}", f"line={anchor.line}",
                          f"col={anchor.column}", *properties]
        text = change.message + "".join(f"\nnote: {n}" for n in change.notes)
        sink.write(f"::{_GITHUB[change.level]} {','.join(properties)}::{workflow_escape(text)}")
    verdict = workflow_escape(f"{_summary(result)} - {_verdict(result)}")
    sink.write(f"::notice title=contract diff::{verdict}")


DIFF_REPORTER: Reporter[DiffResult] = Reporter({
    Format.TEXT: render_text,
    Format.JSON: render_json,
    Format.JUNIT: render_junit,
    Format.MARKDOWN: render_markdown,
    Format.GITHUB: render_github,
})
