"""Sample strings for a regex and example payloads for a schema (deterministic, small, bounded).

`regex_samples` walks Python's parsed form of a pattern and returns a handful of strings that
exercise every alternative and the shortest and longest repetitions; the diff uses them to tell
whether a parameter pattern was narrowed or widened, the AsyncAPI export to build examples.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from typing import Any

from hotelmate_rt.contracts.templates import linear_regex

from .schemas import resolve

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


_FORMAT_EXAMPLES = {"date-time": "2025-03-01T10:00:00Z", "date": "2025-03-01",
                    "time": "10:00:00Z", "email": "guest@example.com",
                    "uuid": "123e4567-e89b-12d3-a456-426614174000", "uri": "https://example.com/"}


def example_payload(schema: Mapping[str, Any], root: Mapping[str, Any] | None = None,
                    depth: int = 0, hints: Mapping[str, str] | None = None) -> Any:
    """Build a small instance of a schema: required fields only, first enum value, sample strings.

    `hints` gives preferred string values by field name (e.g. the contract's parameter examples).
    """
    root = schema if root is None else root
    hints = hints or {}
    node, _ = resolve(root, schema, ())
    if depth > 16:
        return None
    if "const" in node:
        return node["const"]
    if node.get("enum"):
        return node["enum"][0]
    for key in ("oneOf", "anyOf"):
        if node.get(key):
            return example_payload(node[key][0], root, depth + 1, hints)
    if node.get("allOf"):
        merged: dict[str, Any] = {}
        for part in node["allOf"]:
            value = example_payload(part, root, depth + 1, hints)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    kinds = node.get("type", "object" if "properties" in node else "string")
    kind = next((k for k in ([kinds] if isinstance(kinds, str) else kinds) if k != "null"), "null")
    if kind == "object":
        properties = node.get("properties") or {}
        out = {}
        for name in node.get("required", []):
            sub, _ = resolve(root, properties.get(name, {}), ())
            hint = hints.get(name)
            if hint is not None and _fits(sub, hint):
                out[name] = hint
            else:
                out[name] = example_payload(sub, root, depth + 1, hints)
        return out
    if kind == "array":
        if not node.get("minItems") and "items" not in node:
            return []
        return [example_payload(node.get("items") or {}, root, depth + 1, hints)]
    if kind in ("integer", "number"):
        low = node.get("minimum", node.get("exclusiveMinimum", 0))
        return int(low) + (1 if "exclusiveMinimum" in node else 0) if kind == "integer" else low
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _example_string(node)


def _fits(node: Mapping[str, Any], text: str) -> bool:
    """Tell whether a hinted string suits a field's schema (type, enum, pattern)."""
    kinds = node.get("type", "string")
    if "string" not in ([kinds] if isinstance(kinds, str) else kinds) or "enum" in node:
        return False
    pattern = node.get("pattern")
    return not isinstance(pattern, str) or _found(pattern, text)


def _found(pattern: str, text: str) -> bool:
    """Tell whether a schema pattern occurs in a text (linear time; False if RE2 cannot run it)."""
    try:
        return linear_regex(pattern).search(text) is not None
    except ValueError:
        return False


def _example_string(node: Mapping[str, Any]) -> str:
    """Pick an example string honouring format, pattern and minLength."""
    if node.get("format") in _FORMAT_EXAMPLES:
        return _FORMAT_EXAMPLES[node["format"]]
    pattern = node.get("pattern")
    if isinstance(pattern, str):
        found = [t for t in regex_samples(pattern) if _found(pattern, t)]
        if found:
            return found[0]
    text = "example"
    minimum = int(node.get("minLength", 0))
    maximum = int(node.get("maxLength", len(text)))
    return (text * (minimum // len(text) + 1))[:max(minimum, min(maximum, len(text)))]
