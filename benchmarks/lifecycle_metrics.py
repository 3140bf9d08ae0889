"""Precision and recall of the `lifecycle-*` scan rules on a tree marked with ground truth.

A line carrying `truth[lifecycle-rule]` is a mistake a reviewer would report there; a line
carrying `out-of-scope[lifecycle-rule]` is one the rules deliberately leave alone (a shape the
scan cannot judge) and counts neither way. A finding matches a truth marker by rule, file and
line.
Usage: `python benchmarks/lifecycle_metrics.py [TREE]` (default: the lifecycle holdout).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from hotelmate_rt.scan import parse_config, scan
from hotelmate_rt.scan.rules import LIFECYCLE_RULES

ROOT = Path(__file__).resolve().parents[1]
HOLDOUT = ROOT / "tests" / "fixtures" / "scan" / "lifecycle_holdout"
_TRUTH = re.compile(r"(truth|out-of-scope)\[(lifecycle-[a-z-]+)\]")

Key = tuple[str, str, int]


def markers(root: Path) -> tuple[set[Key], set[Key]]:
    """Return the (rule, file, line) of every truth and out-of-scope marker under a tree."""
    truth: set[Key] = set()
    skipped: set[Key] = set()
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for kind, rule in _TRUTH.findall(line):
                key = (rule, path.relative_to(root).as_posix(), number)
                (truth if kind == "truth" else skipped).add(key)
    return truth, skipped


def measure(root: Path = HOLDOUT) -> dict[str, object]:
    """Scan a tree without a contract and score its lifecycle findings against the markers."""
    result = scan([root], None, parse_config({}), root=root, parallel=False)
    found = {(f.rule.value, f.file, f.line) for f in result.findings if f.rule in LIFECYCLE_RULES}
    truth, skipped = markers(root)
    found -= skipped
    hits = found & truth
    per_rule = {}
    for rule in sorted(r.value for r in LIFECYCLE_RULES):
        t = {k for k in truth if k[0] == rule}
        f = {k for k in found if k[0] == rule}
        per_rule[rule] = (len(f & t), len(f - t), len(t - f))
    return {"found": len(found), "truth": len(truth), "true_positives": len(hits),
            "precision": len(hits) / len(found) if found else 1.0,
            "recall": len(hits) / len(truth) if truth else 1.0,
            "false_positives": sorted(found - truth), "missed": sorted(truth - found),
            "per_rule": per_rule, "out_of_scope": len(skipped)}


def main() -> None:
    """Print the figures for a tree."""
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else HOLDOUT
    figures = measure(root)
    print(f"lifecycle rules on {root.relative_to(ROOT) if root.is_relative_to(ROOT) else root}: "
          f"{figures['true_positives']} of {figures['found']} findings right, "
          f"{figures['true_positives']} of {figures['truth']} mistakes found "
          f"({figures['out_of_scope']} marked out of scope)")
    print(f"precision {figures['precision']:.0%}, recall {figures['recall']:.0%}")
    for rule, (tp, fp, fn) in figures["per_rule"].items():  # type: ignore[attr-defined]
        if tp or fp or fn:
            print(f"  {rule:36} tp {tp}  fp {fp}  fn {fn}")
    for key in figures["false_positives"]:  # type: ignore[attr-defined]
        print("  false positive:", ":".join(map(str, key[1:])), key[0])
    for key in figures["missed"]:  # type: ignore[attr-defined]
        print("  missed:", ":".join(map(str, key[1:])), key[0])


if __name__ == "__main__":
    main()
