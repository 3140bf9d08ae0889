"""The scan result in every format: text for people, JSON, SARIF 2.1.0, JUnit XML, GitHub."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from hotelmate_rt.cli.output import Format, Reporter, Sink, escape, workflow_escape
from hotelmate_rt.scan import Finding, Level, ScanConfig, ScanResult, ScanRule

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_URI = "https://github.com/hotelmate/hotelmate-rt"
FAIL_ON = ("error", "warning", "never")
_COLOURS = {Level.ERROR: "red", Level.WARNING: "yellow", Level.NOTE: "blue"}


@dataclass(frozen=True, slots=True)
class ScanReport:
    """A scan result with what decides its verdict: the configured levels and --fail-on."""

    result: ScanResult
    config: ScanConfig
    fail_on: str

    @property
    def ok(self) -> bool:
        """Tell whether no finding reaches --fail-on."""
        return not self.result.fails(self.fail_on)


def text(report: ScanReport, sink: Sink) -> None:
    """Findings grouped by file, then skipped files and a summary line."""
    result = report.result
    console = sink.console()
    current = None
    for finding in result.findings:
        if finding.file != current:
            current = finding.file
            console.print(f"\n[bold underline]{escape(finding.file)}[/]")
        colour = _COLOURS.get(finding.level, "yellow")
        console.print(f"  {finding.line}:{finding.column}  [{colour}]{finding.level.value:7}"
                      f"[/] [dim]{finding.rule.value}[/]  {escape(finding.message)}")
        if finding.fix:
            console.print(f"      [cyan]fix:[/] {escape(finding.fix)}")
        for where in related(finding):
            console.print(f"      [dim]see:[/] {escape(where)}")
    if result.skipped:
        console.print(f"\n[bold]Skipped {len(result.skipped)} file(s)[/]")
        for skip in result.skipped:
            console.print(f"  {escape(skip.file)}: {escape(skip.reason)}")
    summary = result.summary()
    console.print(
        f"\n[bold]{summary['errors']} error(s), {summary['warnings']} warning(s)[/]"
        f"{f', {n} note(s)' if (n := summary['notes']) else ''} in "
        f"{summary['files_seen']} file(s) ({summary['files_parsed']} parsed) - "
        f"{summary['sites']} site(s), {summary['unresolved_sites']} unresolved, "
        f"{summary['suppressed']} suppressed, {summary['skipped_files']} skipped, "
        f"{summary['seconds']:.2f}s")
    verdict = "[green]ok[/]" if report.ok else "[red]FAIL[/]"
    console.print(f"{verdict} (--fail-on {report.fail_on})")


def as_json(report: ScanReport, sink: Sink) -> None:
    """The whole result as one JSON document, with the verdict."""
    sink.json({"ok": report.ok, "fail_on": report.fail_on, **report.result.to_dict()})


def related(finding: Finding) -> list[str]:
    """The finding's other locations (the other side of a drift item), one `file:line:col: why` each."""
    return [f"{r.file}:{r.line}:{r.column}" + (f": {r.message}" if r.message else "")
            for r in finding.related]


def _line(finding: Finding) -> str:
    """The finding on one line, with its other locations (JUnit bodies)."""
    see = "; ".join(related(finding))
    return f"{finding}" + (f" [see: {see}]" if see else "")


_GITHUB = {Level.ERROR: "error", Level.WARNING: "warning", Level.NOTE: "notice"}


def github(report: ScanReport, sink: Sink) -> None:
    """One GitHub Actions workflow command per finding (annotations on the pull request)."""
    for f in report.result.findings:
        see = "; ".join(related(f))
        message = f.message + (f" ({f.fix})" if f.fix else "") + (f"\nsee: {see}" if see else "")
        command = _GITHUB.get(f.level, "warning")
        where = f"file={workflow_escape(f.file, prop=True)},line={f.line},col={f.column}"
        sink.write(f"::{command} {where},title={workflow_escape(f.rule.value, prop=True)}::"
                   f"{workflow_escape(message)}")


def sarif(report: ScanReport, sink: Sink) -> None:
    """A SARIF 2.1.0 log that GitHub code scanning accepts (repo-relative URIs)."""
    sink.json(sarif_log(report))


def sarif_log(report: ScanReport) -> dict[str, Any]:
    """Build the SARIF log: every rule with its configured level, one result per finding."""
    from hotelmate_rt import __version__

    result = report.result
    rules = list(ScanRule)
    descriptors = []
    for rule in rules:
        level = report.config.level(rule)
        descriptors.append({
            "id": rule.value, "name": "".join(p.capitalize() for p in rule.value.split("-")),
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": rule.help},
            "help": {"text": rule.help},
            "defaultConfiguration": {"level": "none" if level is Level.OFF else level.value,
                                     "enabled": level is not Level.OFF},
        })
    results = []
    for finding in result.findings:
        message = finding.message + (f" ({finding.fix})" if finding.fix else "")
        results.append({
            "ruleId": finding.rule.value, "ruleIndex": rules.index(finding.rule),
            "level": finding.level.value, "message": {"text": message},
            "locations": [_location(finding.file, finding.line, finding.column)],
            "partialFingerprints": {
                "hotelmateRt/v1": f"{finding.rule.value}:{finding.file}:{finding.message}"},
            **_related_locations(finding),
        })
    notifications = [{"level": "warning", "message": {"text": f"skipped: {s.reason}"},
                      "locations": [_location(s.file, 1, 1)]} for s in result.skipped]
    return {
        "$schema": SARIF_SCHEMA, "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "hotelmate-rt", "semanticVersion": __version__,
                                "informationUri": TOOL_URI, "rules": descriptors}},
            "originalUriBaseIds": {
                "%SRCROOT%": {"uri": Path(result.root).as_uri().rstrip("/") + "/"}},
            "invocations": [{"executionSuccessful": True,
                             "toolExecutionNotifications": notifications}],
            "results": results,
            "properties": {"summary": result.summary(), "coverage": result.coverage.to_dict()},
        }],
    }


def _related_locations(finding: Finding) -> dict[str, Any]:
    """SARIF `relatedLocations` of a finding (the other side of a drift item), if any."""
    if not finding.related:
        return {}
    return {"relatedLocations": [{"id": index, "message": {"text": r.message},
                                  **_location(r.file, r.line, r.column)}
                                 for index, r in enumerate(finding.related, 1)]}


def _location(file: str, line: int, column: int) -> dict[str, Any]:
    """Build a SARIF physicalLocation for a repo-relative (or absolute) path."""
    if os.path.isabs(file):
        artifact = {"uri": Path(file).as_uri()}
    else:
        artifact = {"uri": file, "uriBaseId": "%SRCROOT%"}
    return {"physicalLocation": {"artifactLocation": artifact,
                                 "region": {"startLine": max(line, 1),
                                            "startColumn": max(column, 1)}}}


def junit(report: ScanReport, sink: Sink) -> None:
    """JUnit XML: one testcase per rule; findings at or above --fail-on are failures."""
    result = report.result
    threshold = {"never": 99, "warning": Level.WARNING.rank,
                 "error": Level.ERROR.rank}[report.fail_on]
    suite = ElementTree.Element("testsuite", name="hotelmate-rt scan")
    failures = skipped = 0
    for rule in ScanRule:
        case = ElementTree.SubElement(suite, "testcase", classname="hotelmate-rt.scan",
                                      name=rule.value)
        if report.config.level(rule) is Level.OFF:
            ElementTree.SubElement(case, "skipped", message="rule is off")
            skipped += 1
            continue
        found = [f for f in result.findings if f.rule is rule]
        failing = [f for f in found if f.level.rank >= threshold]
        if failing:
            failures += 1
            failure = ElementTree.SubElement(
                case, "failure", type=rule.value,
                message=f"{len(failing)} finding(s): {rule.summary}")
            failure.text = "\n".join(_line(f) for f in failing)
        rest = [f for f in found if f not in failing]
        if rest:
            ElementTree.SubElement(case, "system-out").text = "\n".join(_line(f) for f in rest)
    total, seconds = str(len(ScanRule)), f"{result.seconds:.3f}"
    suite.attrib.update(tests=total, failures=str(failures), errors="0", skipped=str(skipped),
                        time=seconds)
    root = ElementTree.Element("testsuites", name="hotelmate-rt", tests=total,
                               failures=str(failures), errors="0", time=seconds)
    root.append(suite)
    ElementTree.indent(root)
    sink.write('<?xml version="1.0" encoding="UTF-8"?>\n'
               + ElementTree.tostring(root, encoding="unicode"))


REPORTER: Reporter[ScanReport] = Reporter({
    Format.TEXT: text, Format.JSON: as_json, Format.SARIF: sarif, Format.JUNIT: junit,
    Format.GITHUB: github,
})
