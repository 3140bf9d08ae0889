"""Adoption figures of the scan on a fixture app whose ground truth is written as markers.

Markers (see tests/fixtures/scan/holdout/README.md): `truth-send: CHANNELS | EVENTS` on the line
of each backend send, `truth-pii` on sends that put personal data on a public channel,
`truth-handles: NAMES` on frontend lines that handle an event or envelope subtype, and
`truth-drift[ID]` on both sides of each backend/frontend mismatch. Computes, against the targets
of issue 10: backend sends resolved exactly (>= 90%), frontend handled names seen (>= 80%), drift
items named with both sides' locations (>= 10 on a grown app), public-channel personal-data sends
flagged (>= 80%), the inferred contract's lint exit code (0 or 1), and the share of sites left
unresolved by `scan --contract inferred.yaml` (<= 10%).

Usage: `python benchmarks/adoption_metrics.py [FIXTURE_DIR ...] [--json]` (default: the grown,
holdout and holdout_c fixtures).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hotelmate_rt.contracts import lint, load_contract
from hotelmate_rt.errors import ContractLoadError
from hotelmate_rt.scan import ScanResult, ScanRule, parse_config, scan
from hotelmate_rt.scan.infer import infer
from hotelmate_rt.scan.rules import DRIFT_RULES

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "scan"
_SEND = re.compile(r"truth-send:\s*(?P<channels>[^|]+?)\s*\|\s*(?P<events>.+?)\s*(?:#|truth-|$)")
_HANDLES = re.compile(r"truth-handles:\s*(?P<names>.+?)\s*(?:truth-|$)")
_DRIFT = re.compile(r"truth-drift\[([A-Za-z0-9_-]+)\]")
QUIET = {"severity": {"uncovered-backend-event": "off", "uncovered-frontend-event": "off",
                      "transition-never-emitted": "off"}}


@dataclass(slots=True)
class Truth:
    """What the markers of one fixture say."""

    sends: dict[tuple[str, int], tuple[frozenset[str], frozenset[str]]] = field(default_factory=dict)
    pii: set[tuple[str, int]] = field(default_factory=set)
    handles: dict[str, tuple[str, int]] = field(default_factory=dict)
    drift: dict[str, set[tuple[str, int]]] = field(default_factory=dict)


def _split(text: str) -> frozenset[str]:
    """Split a marker's comma-separated list."""
    return frozenset(part.strip() for part in text.split(",") if part.strip())


def read_truth(root: Path) -> Truth:
    """Collect the markers written in a fixture tree."""
    truth = Truth()
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix not in (".py", ".js", ".jsx", ".ts", ".tsx"):
            continue
        rel = path.relative_to(root).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            send = _SEND.search(line)
            if send:
                truth.sends[(rel, number)] = (_split(send["channels"]), _split(send["events"]))
            if "truth-pii" in line:
                truth.pii.add((rel, number))
            handles = _HANDLES.search(line)
            if handles:
                for name in _split(handles["names"]):
                    truth.handles.setdefault(name, (rel, number))
            for item in _DRIFT.findall(line):
                truth.drift.setdefault(item, set()).add((rel, number))
    return truth


def _backend(file: str) -> bool:
    """Tell the side of a file by its language."""
    return file.endswith(".py")


def measure(root: Path) -> dict[str, object]:
    """Scan a fixture without a contract, infer one, rescan with it; compute the figures."""
    truth = read_truth(root)
    result = scan([root], None, parse_config(QUIET), root=root, parallel=False)
    figures: dict[str, object] = {"fixture": root.name, "files": result.files_seen,
                                  "sites": len(result.sites)}
    exact = 0
    misses = []
    for (file, line), (channels, events) in sorted(truth.sends.items()):
        got_channels: set[str] = set()
        got_events: set[str] = set()
        for site in result.sites:
            if site.side.value == "backend" and site.file == file and site.line == line and \
                    site.kind.value in ("trigger", "trigger_batch", "emit") and not site.unresolved:
                got_channels.update(site.to_dict().get("channels", []))
                got_events.update(site.to_dict().get("events", []))
        if got_channels == channels and got_events == events:
            exact += 1
        else:
            misses.append(f"{file}:{line}: got {sorted(got_channels)} | {sorted(got_events)}")
    figures["backend_sends"] = len(truth.sends)
    figures["backend_exact"] = exact
    figures["backend_exact_pct"] = _pct(exact, len(truth.sends))
    figures["backend_misses"] = misses
    seen = _frontend_names(result)
    handled = sorted(truth.handles)
    figures["frontend_names"] = len(handled)
    figures["frontend_seen"] = sum(1 for name in handled if name in seen)
    figures["frontend_seen_pct"] = _pct(figures["frontend_seen"], len(handled))  # type: ignore[arg-type]
    figures["frontend_missed"] = [n for n in handled if n not in seen]
    figures.update(_drift(result, truth))
    flagged = {(f.file, f.line) for f in result.findings
               if f.rule in (ScanRule.PERSONAL_DATA_PUBLIC, ScanRule.PAYLOAD_SENSITIVE_PUBLIC)}
    figures["pii_sends"] = len(truth.pii)
    figures["pii_flagged"] = len(truth.pii & flagged)
    figures["pii_flagged_pct"] = _pct(len(truth.pii & flagged), len(truth.pii))
    figures["pii_missed"] = sorted(f"{f}:{n}" for f, n in truth.pii - flagged)
    figures.update(_inferred(root))
    return figures


def _frontend_names(result: ScanResult) -> set[str]:
    """Every event name and envelope subtype the scan sees the frontend handle."""
    names: set[str] = set()
    for site in result.sites:
        if site.side.value != "frontend":
            continue
        names.update(site.to_dict().get("events", []))
        names.update(route.value for route in site.routes)
    return names


def _drift(result: ScanResult, truth: Truth) -> dict[str, object]:
    """Count the drift items found with both sides' locations (and the one-sided ones)."""
    places = [({(f.file, f.line)} | {(r.file, r.line) for r in f.related})
              for f in result.findings if f.rule in DRIFT_RULES]
    both = one = found_both = found_one = 0
    missed = []
    for item, marks in sorted(truth.drift.items()):
        sides = {_backend(file) for file, _ in marks}
        if len(sides) == 2:
            both += 1
            back = {m for m in marks if _backend(m[0])}
            front = marks - back
            if any(p & back and p & front for p in places):
                found_both += 1
            else:
                missed.append(item)
        else:
            one += 1
            if any(p & marks for p in places):
                found_one += 1
            else:
                missed.append(item)
    return {"drift_two_sided": both, "drift_two_sided_found": found_both, "drift_one_sided": one,
            "drift_one_sided_found": found_one, "drift_missed": missed,
            "drift_findings": len(places)}


def _inferred(root: Path) -> dict[str, object]:
    """Infer a contract, lint it (exit code as the CLI gives it), rescan with it."""
    drafted = infer([root], root=root)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "channels.yaml"
        path.write_text(drafted.text, encoding="utf-8")
        try:
            contract = load_contract(path)
        except ContractLoadError as exc:
            return {"infer_lint_exit": 2, "infer_load_errors": [str(p) for p in exc.problems]}
        findings = lint(contract)
        rescan = scan([root], contract, parse_config(QUIET), root=root, parallel=False)
        summary = rescan.summary()
        uncovered = sorted(drafted.backend_events - set(contract.events))
        return {"infer_lint_exit": 1 if findings else 0, "infer_lint_findings": len(findings),
                "inferred_channels": len(contract.channels),
                "inferred_events": len(contract.events),
                "backend_events_not_in_contract": uncovered,
                "rescan_unresolved_pct": _pct(summary["unresolved_sites"], summary["sites"])}


def _pct(part: int, whole: int) -> float:
    """A percentage with one decimal (100 when there is nothing to count)."""
    return round(100.0 * part / whole, 1) if whole else 100.0


TARGETS = (("backend_exact_pct", ">=", 90.0), ("frontend_seen_pct", ">=", 80.0),
           ("drift_two_sided_found", ">=", 10), ("pii_flagged_pct", ">=", 80.0),
           ("infer_lint_exit", "<=", 1), ("rescan_unresolved_pct", "<=", 10.0))


def main() -> None:
    """Measure each fixture and print the figures against the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("fixtures", nargs="*", type=Path,
                        default=[FIXTURES / "grown", FIXTURES / "holdout",
                                 FIXTURES / "holdout_c"])
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()
    report = [measure(path) for path in args.fixtures]
    if args.json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
        return
    for figures in report:
        print(f"== {figures['fixture']}: {figures['files']} files, {figures['sites']} sites")
        for key, op, target in TARGETS:
            value = figures.get(key)
            if (key.startswith("drift") and not figures["drift_two_sided"]) or \
                    (key.startswith("backend") and not figures["backend_sends"]):
                print(f"  {key:28}      n/a   (no ground-truth markers of this kind)")
                continue
            ok = value is not None and (value >= target if op == ">=" else value <= target)  # type: ignore[operator]
            print(f"  {key:28} {value!s:>8}   target {op} {target}   {'met' if ok else 'NOT met'}")
        print(f"  backend sends {figures['backend_exact']}/{figures['backend_sends']} exact; "
              f"frontend names {figures['frontend_seen']}/{figures['frontend_names']} seen; "
              f"drift {figures['drift_two_sided_found']}/{figures['drift_two_sided']} two-sided, "
              f"{figures['drift_one_sided_found']}/{figures['drift_one_sided']} one-sided; "
              f"pii {figures['pii_flagged']}/{figures['pii_sends']}")
        for key in ("backend_misses", "frontend_missed", "drift_missed", "pii_missed",
                    "backend_events_not_in_contract"):
            if figures.get(key):
                print(f"  {key}: {figures[key]}")


if __name__ == "__main__":
    main()
