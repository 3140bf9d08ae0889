"""Print mutmut's kill rate per module, re-checking each survivor in a fresh process first.

Run by `make mutation` after `mutmut run`. A survivor is re-run on its own (a new interpreter with
MUTANT_UNDER_TEST set, the [tool.mutmut] test selection) so that no state from earlier tests can
hide a kill. Mutants listed in scripts/mutation_equivalent.txt (`name  # why`) change no
behaviour; the behaviour rate leaves them out. Exit 1 when a module is under --min (percent).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"
EQUIVALENT = ROOT / "scripts" / "mutation_equivalent.txt"
KILLED = {1, 3, 24, -24, 36, 152, 255}
"""mutmut exit codes that mean the tests noticed the mutant (a failure or a timeout)."""


def equivalent_mutants() -> set[str]:
    """Read the names of mutants judged equivalent (one per line, `# reason` after it)."""
    if not EQUIVALENT.exists():
        return set()
    lines = (line.split("#", 1)[0].strip() for line in EQUIVALENT.read_text().splitlines())
    return {line for line in lines if line}


def recheck(name: str, tests: list[str]) -> bool:
    """Run the test selection against one mutant in a fresh interpreter; True if it is killed."""
    env = {**os.environ, "MUTANT_UNDER_TEST": name}
    result = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                             "-p", "no:randomly", *tests], cwd=MUTANTS, env=env,
                            capture_output=True, text=True, timeout=600)
    return result.returncode != 0


def main() -> int:
    """Print one line per module and the survivors that still change behaviour."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--min", type=float, default=95.0, help="required behaviour kill rate")
    parser.add_argument("--no-recheck", action="store_true", help="trust mutmut's first verdicts")
    args = parser.parse_args()
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    tests = config["pytest_add_cli_args_test_selection"]
    equivalent = equivalent_mutants()
    metas = sorted(MUTANTS.rglob("*.py.meta"))
    if not metas:
        print("no mutmut results under mutants/: run `mutmut run` first", file=sys.stderr)
        return 2
    failing = False
    for meta in metas:
        module = str(meta.relative_to(MUTANTS)).removesuffix(".meta")
        codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
        counts: Counter[str] = Counter()
        alive: list[str] = []
        for name, code in sorted(codes.items()):
            if code in KILLED:
                counts["killed"] += 1
            elif code == 0 and not args.no_recheck and recheck(name, tests):
                counts["killed"] += 1
                counts["rechecked"] += 1
            elif code == 0:
                counts["equivalent" if name in equivalent else "survived"] += 1
                if name not in equivalent:
                    alive.append(name)
            else:
                counts["not run"] += 1
        total = counts["killed"] + counts["survived"] + counts["equivalent"]
        raw = 100.0 * counts["killed"] / total if total else 100.0
        behaviour = 100.0 * counts["killed"] / (total - counts["equivalent"]) if total else 100.0
        failing |= behaviour < args.min
        print(f"{module}: {behaviour:.1f}% of behaviour-changing mutants killed "
              f"({counts['killed']}/{total - counts['equivalent']}; raw {raw:.1f}% of {total}, "
              f"{counts['equivalent']} equivalent, {counts['rechecked']} killed on fresh re-check, "
              f"{counts['not run']} not run)")
        for name in alive:
            print(f"  survived: {name}")
    return 1 if failing else 0


if __name__ == "__main__":
    raise SystemExit(main())
