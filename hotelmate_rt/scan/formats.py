"""Machine formats of a scan result: SARIF 2.1.0 and JUnit XML (pure data, no printing)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from .model import Finding, ScanResult
from .rules import RULES, Level

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_URI = "https://github.com/hotelmate/hotelmate-rt"


def _version() -> str:
    """Return the installed package version (or 0.0.0 when not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hotelmate-rt")
    except PackageNotFoundError:  # pragma: no cover - the package is installed in tests
        return "0.0.0"


def to_sarif(result: ScanResult, levels: dict[str, Level] | None = None) -> dict[str, Any]:
    """Build a SARIF 2.1.0 log that GitHub code scanning accepts (repo-relative URIs)."""
    levels = levels or {}
    rule_ids = list(RULES)
    rules = []
    for rule_id in rule_ids:
        rule = RULES[rule_id]
        level = levels.get(rule_id, rule.level)
        rules.append({
            "id": rule.id, "name": _camel(rule.id),
            "shortDescription": {"text": rule.title},
            "fullDescription": {"text": rule.help},
            "help": {"text": rule.help},
            "defaultConfiguration": {"level": "none" if level is Level.OFF else level.value,
                                     "enabled": level is not Level.OFF},
        })
    results = []
    for finding in result.findings:
        location = _location(finding.file, finding.line, finding.column)
        message = finding.message + (f" ({finding.fix})" if finding.fix else "")
        results.append({
            "ruleId": finding.rule, "ruleIndex": rule_ids.index(finding.rule),
            "level": finding.level.value, "message": {"text": message},
            "locations": [location],
            "partialFingerprints": {
                "hotelmateRt/v1": f"{finding.rule}:{finding.file}:{finding.message}"},
            **related_locations(finding),
        })
    notifications = [{"level": "warning", "message": {"text": f"skipped: {s.reason}"},
                      "locations": [_location(s.file, 1, 1)]} for s in result.skipped]
    root_uri = Path(result.root).as_uri().rstrip("/") + "/"
    return {
        "$schema": SARIF_SCHEMA, "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "hotelmate-rt", "semanticVersion": _version(),
                                "informationUri": TOOL_URI, "rules": rules}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": root_uri}},
            "invocations": [{"executionSuccessful": True,
                             "toolExecutionNotifications": notifications}],
            "results": results,
            "properties": {"summary": result.summary(),
                           "coverage": result.coverage.to_dict()},
        }],
    }


def related_locations(finding: Finding) -> dict[str, Any]:
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


def _camel(rule_id: str) -> str:
    """Turn `unknown-event` into `UnknownEvent` (SARIF rule names)."""
    return "".join(part.capitalize() for part in rule_id.split("-"))


def to_junit(result: ScanResult, fail_on: str, levels: dict[str, Level] | None = None) -> str:
    """Build JUnit XML: one testcase per rule; findings at or above --fail-on are failures."""
    levels = levels or {}
    threshold = {"never": 99, "warning": Level.WARNING.rank, "error": Level.ERROR.rank}[fail_on]
    suite = ElementTree.Element("testsuite", name="hotelmate-rt scan")
    failures = skipped = 0
    for rule_id, rule in RULES.items():
        case = ElementTree.SubElement(suite, "testcase", classname="hotelmate-rt.scan",
                                      name=rule_id)
        if levels.get(rule_id, rule.level) is Level.OFF:
            ElementTree.SubElement(case, "skipped", message="rule is off")
            skipped += 1
            continue
        found = [f for f in result.findings if f.rule == rule_id]
        failing = [f for f in found if f.level.rank >= threshold]
        if failing:
            failures += 1
            failure = ElementTree.SubElement(
                case, "failure", type=rule_id,
                message=f"{len(failing)} finding(s): {rule.title}")
            failure.text = "\n".join(str(f) for f in failing)
        rest = [f for f in found if f not in failing]
        if rest:
            ElementTree.SubElement(case, "system-out").text = "\n".join(str(f) for f in rest)
    suite.set("tests", str(len(RULES)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    suite.set("time", f"{result.seconds:.3f}")
    root = ElementTree.Element("testsuites", name="hotelmate-rt", tests=str(len(RULES)),
                               failures=str(failures), errors="0", time=f"{result.seconds:.3f}")
    root.append(suite)
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(
        root, encoding="unicode") + "\n"
