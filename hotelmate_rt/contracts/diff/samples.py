"""Sample strings for a regex (deterministic, small, bounded).

`regex_samples` walks Python's parsed form of a pattern and returns a handful of strings that
exercise every alternative and the shortest and longest repetitions; the diff uses them to tell
whether a parameter pattern was narrowed or widened, `contracts/examples.py` to fill a string
field that has a pattern.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

from hotelmate_rt.contracts.templates import linear_regex

# Python's own parser of its regex dialect (private, but the only one; stable since 3.11).
sre_parse: Any = importlib.import_module("re._parser")

_UNBOUNDED_EXTRA = 16  # how many repetitions past the minimum an open-ended repeat is sampled at
_MAX_REPEAT = 64
_ALPHABET = [chr(c) for c in range(32, 127)]


class _Unsupported(Exception):
    """A regex construct the sampler does not model (the caller then cannot tell)."""


def regex_samples(pattern: str, limit: int = 16) -> list[str]:
    """Return up to `limit` distinct strings that fully match `pattern` (empty if unsure)."""
    try:
        parsed = sre_parse.parse(pattern)
        candidates = _sequence(list(parsed))
        compiled = linear_regex(pattern)  # never Python's re: contract patterns run on RE2
    except (_Unsupported, re.error, ValueError, RecursionError):
        return []
    out: list[str] = []
    for text in candidates:
        if text not in out and compiled.fullmatch(text):
            out.append(text)
        if len(out) >= limit:
            break
    return out


def _sequence(items: list[tuple[Any, Any]]) -> list[str]:
    """Sample a sequence: every option of every item appears in at least one sample."""
    result = [""]
    for op, arg in items:
        options = _item(op, arg)
        width = max(len(result), len(options))
        result = [result[k % len(result)] + options[k % len(options)] for k in range(width)]
    return result


def _item(op: Any, arg: Any) -> list[str]:
    """Sample one parsed regex item."""
    name = str(op)
    if name == "LITERAL":
        return [chr(arg)]
    if name == "NOT_LITERAL":
        return ["a" if chr(arg) != "a" else "b"]
    if name == "ANY":
        return ["x"]
    if name == "IN":
        chars = [c for c in _ALPHABET if _in_class(c, arg)]
        if not chars:
            raise _Unsupported("empty class")
        return list(dict.fromkeys([chars[0], chars[-1], chars[len(chars) // 2]]))
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        low, high, sub = arg
        subs = _sequence(list(sub))
        top = low + _UNBOUNDED_EXTRA if high is sre_parse.MAXREPEAT else high
        counts = sorted({low, min(low + 1, top), min(top, _MAX_REPEAT)})
        return ["".join(subs[k % len(subs)] for k in range(n)) for n in counts]
    if name in ("SUBPATTERN", "ATOMIC_GROUP"):
        return _sequence(list(arg[-1] if name == "SUBPATTERN" else arg))
    if name == "BRANCH":
        return [text for alternative in arg[1] for text in _sequence(list(alternative))]
    if name in ("AT", "ASSERT", "ASSERT_NOT"):
        return [""]
    raise _Unsupported(name)


def _in_class(char: str, items: list[tuple[Any, Any]]) -> bool:
    """Tell whether a character belongs to a parsed character class."""
    negate = False
    found = False
    for op, arg in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            found = found or ord(char) == arg
        elif name == "RANGE":
            found = found or arg[0] <= ord(char) <= arg[1]
        elif name == "CATEGORY":
            found = found or _category(char, str(arg))
        else:
            raise _Unsupported(name)
    return found != negate


def _category(char: str, category: str) -> bool:
    """Tell whether a character is in a class such as \\d, \\w or \\s (or their negations)."""
    tests = {"DIGIT": char.isdigit(), "WORD": char.isalnum() or char == "_",
             "SPACE": char.isspace()}
    for key, value in tests.items():
        if category.endswith(f"NOT_{key}"):
            return not value
        if category.endswith(key):
            return value
    raise _Unsupported(category)
