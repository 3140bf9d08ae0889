"""Example payloads built from the contract's schemas: small, deterministic and valid.

The one example builder: `contract show EVENT`, `emit --example`, the console's "send test event"
form and the AsyncAPI export all use it. `event_example(contract, event)` builds a payload for an
event (an envelope event gets its first variant, or the one named); `schema_example(schema,
hints=...)` builds a value for any JSON Schema. Only required properties are filled; each value
comes from the first of: `examples` / `example` / `default`, `const`, the first `enum` value, the
first `oneOf` / `anyOf` branch (an `allOf` is merged), the contract parameter's example for a field
named like a parameter or written with its pattern, a fixed value per `format`, a sample of the
`pattern`, the minimum of a number. A test checks every shipped event's example is valid.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .diff.samples import regex_samples
from .diff.schemas import resolve
from .model import Contract, Event
from .templates import linear_regex

__all__ = ["event_example", "schema_example"]

_MAX_DEPTH = 16
_FORMATS = {"date-time": "2025-03-01T10:00:00Z", "date": "2025-03-01", "time": "10:00:00Z",
            "email": "guest@example.com", "uuid": "123e4567-e89b-12d3-a456-426614174000",
            "uri": "https://example.com/", "url": "https://example.com/"}


def event_example(contract: Contract, event: Event | str, variant: str | None = None) -> Any:
    """Build an example payload for a contract event (KeyError for an unknown name or variant)."""
    model = contract.events[event] if isinstance(event, str) else event
    hints = {p.name: p.example for p in contract.parameters.values() if p.example}
    value = schema_example(model.schema, hints=hints)
    envelope = model.envelope
    if envelope is None or not envelope.variants:
        return value
    name = variant if variant is not None else next(iter(envelope.variants))
    extra = schema_example(envelope.variants[name], hints=hints)
    return {**(value if isinstance(value, dict) else {}),
            **(extra if isinstance(extra, dict) else {}), envelope.field: name}


def schema_example(schema: Mapping[str, Any], *, hints: Mapping[str, str] | None = None,
                   root: Mapping[str, Any] | None = None, name: str | None = None,
                   depth: int = 0) -> Any:
    """Build a small value that fits a JSON Schema; `hints` are strings by field name."""
    root = schema if root is None else root
    hints = hints or {}
    node, _ = resolve(root, schema, ())
    if depth > _MAX_DEPTH:
        return None
    for key in ("examples", "example", "default"):
        if key in node:
            value = node[key]
            if key != "examples":
                return value
            if isinstance(value, list) and value:
                return value[0]
    if "const" in node:
        return node["const"]
    if isinstance(node.get("enum"), list) and node["enum"]:
        return node["enum"][0]
    for key in ("oneOf", "anyOf"):
        options = node.get(key)
        if isinstance(options, list) and options and isinstance(options[0], Mapping):
            return schema_example(options[0], hints=hints, root=root, name=name, depth=depth + 1)
    if isinstance(node.get("allOf"), list):
        merged: dict[str, Any] = {}
        for part in node["allOf"]:
            value = schema_example(part, hints=hints, root=root, name=name, depth=depth + 1) \
                if isinstance(part, Mapping) else None
            if isinstance(value, dict):
                merged.update(value)
        return merged
    kinds = node.get("type", "object" if "properties" in node else "string")
    kind = next((k for k in ([kinds] if isinstance(kinds, str) else kinds) if k != "null"), "null")
    if kind == "object":
        properties = node.get("properties") or {}
        return {key: schema_example(properties.get(key) or {}, hints=hints, root=root, name=key,
                                    depth=depth + 1)
                for key in node.get("required") or []}
    if kind == "array":
        items = node.get("items")
        count = int(node.get("minItems") or 0)
        if not isinstance(items, Mapping):
            return []
        return [schema_example(items, hints=hints, root=root, name=name, depth=depth + 1)
                for _ in range(count)]
    if kind in ("integer", "number"):
        return _number(node, kind, hints.get(name or ""))
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return _string(node, name, hints)


def _number(node: Mapping[str, Any], kind: str, hint: str | None) -> int | float:
    """Pick a number: a digit-only parameter example, else the (exclusive) minimum, else 0."""
    if hint is not None and hint.isdigit():
        return int(hint)
    low = node.get("minimum", node.get("exclusiveMinimum", 0))
    value = low + (1 if "exclusiveMinimum" in node else 0)
    return int(value) if kind == "integer" else value


def _string(node: Mapping[str, Any], name: str | None, hints: Mapping[str, str]) -> str:
    """Pick a string: the parameter's example, a format's value, a pattern sample, "example"."""
    pattern = node.get("pattern")
    hint = hints.get(name or "")
    if hint is not None and (not isinstance(pattern, str) or _finds(pattern, hint)):
        return hint
    if isinstance(pattern, str):
        bare = pattern.removeprefix("^").removesuffix("$")
        for text in hints.values():
            if _finds(bare, text, whole=True):
                return text
    if node.get("format") in _FORMATS:
        return _FORMATS[node["format"]]
    if isinstance(pattern, str):
        found = [t for t in regex_samples(pattern) if _finds(pattern, t)]
        if found:
            return found[0]
    text = "example"
    minimum = int(node.get("minLength", 0))
    maximum = int(node.get("maxLength", len(text)))
    return (text * (minimum // len(text) + 1))[:max(minimum, min(maximum, len(text)))]


def _finds(pattern: str, text: str, whole: bool = False) -> bool:
    """Tell whether a contract pattern occurs in (`whole`: is all of) a text, in linear time."""
    try:
        regex = linear_regex(pattern)
    except ValueError:  # RE2 cannot run it: no example string is taken from it
        return False
    return (regex.fullmatch(text) if whole else regex.search(text)) is not None
