"""What the page's forms are built from: the contract described, and an example payload per event.

`page_contract(contract)` is `contracts.describe` plus, for every event, the channel parameters
its channels need and an example payload built from its schema (`example_payload`): `examples`
or `example` when the schema has them, else `const`, the first `enum` value, the parameter's
example for a field named like a parameter (or matching its pattern), now for `date-time`, the
minimum for numbers. Only required properties are filled, so the example is small and valid for
the shipped contract (a test checks every event).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from hotelmate_rt.contracts import Contract, describe

__all__ = ["example_payload", "page_contract"]

_MAX_DEPTH = 8


def _resolve(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow a local `$ref` (`#/$defs/name`) to the schema it names."""
    seen = 0
    while isinstance(schema.get("$ref"), str) and schema["$ref"].startswith("#/") and seen < 16:
        node: Any = root
        for part in schema["$ref"][2:].split("/"):
            node = node.get(part) if isinstance(node, Mapping) else None
        if not isinstance(node, Mapping):
            return {}
        schema = node
        seen += 1
    return schema


def _string(schema: Mapping[str, Any], name: str | None, contract: Contract) -> str:
    """Pick a string that fits a string schema (parameter examples, date-time, pattern)."""
    parameters = contract.parameters
    if name in parameters:
        return parameters[name].example
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        bare = pattern.removeprefix("^").removesuffix("$")
        for parameter in parameters.values():
            if parameter.pattern == bare and parameter.example:
                return parameter.example
    fmt = schema.get("format")
    now = datetime.now(UTC).replace(microsecond=0)
    if fmt == "date-time":
        return now.isoformat().replace("+00:00", "Z")
    if fmt == "date":
        return now.date().isoformat()
    if fmt == "email":
        return "guest@example.com"
    if fmt in ("uri", "url"):
        return "https://example.com/"
    if isinstance(pattern, str) and re.fullmatch(r"\^?\[A-Z\]\{(\d+)\}\$?", pattern):
        return "A" * int(re.findall(r"\d+", pattern)[0])
    return "example"


def example_payload(schema: Mapping[str, Any], contract: Contract, *, name: str | None = None,
                    root: Mapping[str, Any] | None = None, depth: int = 0) -> Any:
    """Build a small example value for a JSON Schema (required properties only)."""
    root = schema if root is None else root
    schema = _resolve(schema, root)
    for key in ("examples", "example", "default"):
        if key in schema:
            value = schema[key]
            if key == "examples":
                if isinstance(value, list) and value:
                    return value[0]
                continue
            return value
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("oneOf", "anyOf", "allOf"):
        options = schema.get(key)
        if isinstance(options, list) and options and isinstance(options[0], Mapping):
            return example_payload(options[0], contract, name=name, root=root, depth=depth)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None and "properties" in schema:
        kind = "object"
    if depth >= _MAX_DEPTH:
        return None
    if kind == "object":
        properties = schema.get("properties") or {}
        return {key: example_payload(properties.get(key) or {}, contract, name=key, root=root,
                                     depth=depth + 1)
                for key in schema.get("required") or []}
    if kind == "array":
        items = schema.get("items")
        count = int(schema.get("minItems") or 0)
        if isinstance(items, Mapping) and count:
            return [example_payload(items, contract, name=name, root=root, depth=depth + 1)
                    for _ in range(count)]
        return []
    if kind == "string":
        return _string(schema, name, contract)
    if kind in ("integer", "number"):
        minimum = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        value = minimum + (1 if "exclusiveMinimum" in schema else 0)
        if name in contract.parameters and contract.parameters[name].example.isdigit():
            value = int(contract.parameters[name].example)
        return int(value) if kind == "integer" else value
    if kind == "boolean":
        return False
    return None


def page_contract(contract: Contract) -> dict[str, Any]:
    """Describe the contract for the page: `describe()` plus each event's params and example."""
    data = describe(contract)
    for event in data["events"]:
        model = contract.events[event["name"]]
        params: list[str] = []
        for channel_id in model.channels:
            for parameter in contract.channels[channel_id].template.parameters:
                if parameter not in params:
                    params.append(parameter)
        schema: Mapping[str, Any] = model.schema
        if model.envelope is not None and model.envelope.variants:
            kind, variant = next(iter(model.envelope.variants.items()))
            merged = {**dict(schema), "required": [*schema.get("required", []),
                                                   *variant.get("required", [])]}
            merged["properties"] = {**dict(schema.get("properties", {})),
                                    **dict(variant.get("properties", {})),
                                    model.envelope.field: {"const": kind}}
            schema = merged
        event["params"] = params
        event["example"] = example_payload(schema, contract)
        event.pop("schema", None)
    return data
