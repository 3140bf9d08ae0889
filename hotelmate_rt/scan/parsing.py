"""Parse source files so that one syntax error never hides a whole file.

JS/TS/JSX/TSX: tree-sitter recovers from errors by itself (an ERROR node around the bad spot,
the rest of the tree intact), so the file is scanned and the error becomes a note. Python: `ast`
stops at the first error, so the offending line is neutralised (`pass`, or `if True:` for a
block header) and the file parsed again, a few times at most; code newer than the running
Python (a 3.12 `type X = ...` on 3.11) is scanned the same way.
"""

from __future__ import annotations

import ast
from typing import Any

from .jsparse import parser_for, syntax_errors

Note = tuple[str, int, str]
_MAX_REPAIRS = 8


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

