"""Parse source files so that one syntax error never hides a whole file, and run without a contract.

JS/TS/JSX/TSX: tree-sitter recovers from errors by itself (an ERROR node around the bad spot,
the rest of the tree intact), so the file is scanned and the error becomes a note. Python: `ast`
stops at the first error, so the offending line is neutralised (`pass`, or `if True:` for a
block header) and the file parsed again, a few times at most; code newer than the running
Python (a 3.12 `type X = ...` on 3.11) is scanned the same way.
"""

from __future__ import annotations

import ast
from typing import Any

from hotelmate_rt.contracts import Contract, load_contract_text

from .config import ScanConfig
from .jsresolve import parser_for, syntax_errors
from .rules import Level

Note = tuple[str, int, str]
_MAX_REPAIRS = 8
# Rules that judge names against a contract: off when the scan runs without one.
CONTRACT_RULES = ("unknown-event", "deprecated-event", "unknown-channel", "deprecated-channel",
                  "event-not-on-channel", "payload-unknown-field", "payload-missing-field",
                  "payload-sensitive-public", "unknown-action", "illegal-transition",
                  "uncovered-backend-event", "uncovered-frontend-event",
                  "transition-never-emitted")
_EMPTY = "version: 1\nchannels: {}\nevents: {}\n"


def parse_python(rel: str, data: bytes, notes: list[Note]) -> tuple[ast.Module | None, str]:
    """Parse Python, repairing a few bad lines; return (tree, "") or (None, why it failed)."""
    lines: list[bytes] | None = None
    first: SyntaxError | None = None
    for _ in range(_MAX_REPAIRS + 1):
        text = data if lines is None else b"\n".join(lines)
        try:
            tree = ast.parse(text, filename=rel)
        except SyntaxError as exc:
            first = first or exc
            number = exc.lineno or 0
            if lines is None:
                lines = data.split(b"\n")
            if not 1 <= number <= len(lines) or lines[number - 1].strip() in (b"pass", b"if True:"):
                break
            original = lines[number - 1]
            indent = original[:len(original) - len(original.lstrip())]
            header = original.split(b"#", 1)[0].rstrip().endswith(b":")
            lines[number - 1] = indent + (b"if True:" if header else b"pass")
            continue
        except (ValueError, RecursionError, MemoryError) as exc:
            return None, f"cannot parse: {exc}"
        if first is not None:
            notes.append((rel, first.lineno or 1,
                          f"syntax error at line {first.lineno or 0} ({first.msg}): the line was "
                          "skipped and the rest of the file scanned"))
        return tree, ""
    assert first is not None
    return None, f"syntax error: {first.msg} (line {first.lineno or 0})"


def parse_js(rel: str, lang: str, data: bytes, notes: list[Note]) -> Any:
    """Parse JS/TS with tree-sitter; a syntax error becomes a note, the tree is used anyway."""
    tree = parser_for(lang).parse(data)
    errors = syntax_errors(tree.root_node, limit=1)
    if errors:
        notes.append((rel, errors[0], f"syntax error near line {errors[0]}: the parser "
                      "recovered and the rest of the file was scanned"))
    return tree.root_node


def without_contract(config: ScanConfig) -> tuple[Contract, ScanConfig]:
    """Return an empty contract and the config with contract rules off (drift, privacy stay)."""
    from dataclasses import replace

    contract = load_contract_text(_EMPTY, "")
    severity = {**config.severity, **{rule: Level.OFF for rule in CONTRACT_RULES}}
    return contract, replace(config, severity=severity)
