"""Helpers over one payload schema: local `$ref`s, type sets, canonical form, fields, largest size."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from hotelmate_rt.contracts.payloads import json_type

SchemaPath = tuple[str | int, ...]

_DATE_BYTES = {"date": 12, "time": 24, "date-time": 40, "uuid": 38}  # JSON-quoted, practical
_NUMBER_BYTES = 24  # the longest JSON number a 64-bit float or integer prints as
_MAX_REF_HOPS = 32


def as_schema(value: Any) -> Mapping[str, Any]:
    """Treat `true` as the empty schema and `false` as the schema nothing matches."""
    if value is True or value is None:
        return {}
    if value is False:
        return {"not": {}}
    return value if isinstance(value, Mapping) else {}


def resolve(root: Mapping[str, Any], node: Any, path: SchemaPath) -> tuple[Mapping[str, Any],
                                                                          SchemaPath]:
    """Follow local `$ref`s (keeping sibling keywords); return the node and its path in `root`."""
    node = as_schema(node)
    for _ in range(_MAX_REF_HOPS):
        ref = node.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#"):
            break
        target, target_path = _pointer(root, ref[1:])
        if target is None:
            break
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        node = {**as_schema(target), **siblings} if siblings else as_schema(target)
        path = target_path
    return node, path


def _pointer(root: Any, pointer: str) -> tuple[Any, SchemaPath]:
    """Follow a JSON pointer (`/$defs/status`) inside a schema; None when it leads nowhere."""
    node = root
    path: list[str | int] = []
    for raw in [p for p in pointer.split("/") if p]:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and part in node:
            node = node[part]
            path.append(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
            path.append(int(part))
        else:
            return None, ()
    return node, tuple(path)



def types_of(node: Mapping[str, Any]) -> frozenset[str] | None:
    """Return the JSON types a node accepts (None: any), from `type`, `const` or `enum`."""
    kind = node.get("type")
    if isinstance(kind, str):
        return frozenset({kind})
    if isinstance(kind, list):
        return frozenset(str(k) for k in kind)
    if "const" in node:
        return frozenset({json_type(node["const"])})
    if isinstance(node.get("enum"), list) and node["enum"]:
        return frozenset(json_type(v) for v in node["enum"])
    return None


def accepts(wide: frozenset[str] | None, narrow: frozenset[str] | None) -> bool:
    """Tell whether every value of type set `narrow` is also of type set `wide` (number > integer)."""
    if wide is None:
        return True
    if narrow is None:
        return False
    expanded = wide | ({"integer"} if "number" in wide else set())
    return narrow <= expanded


def show_types(types: frozenset[str] | None) -> str:
    """Say a type set in words: `string`, `string or null`, `any type`."""
    if types is None:
        return "any type"
    return " or ".join(sorted(types, key=lambda t: (t == "null", t)))


def canonical(value: Any) -> str:
    """Render a value as canonical JSON (sorted keys), so order and comments never matter."""
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False,
                      separators=(",", ":"))


def enum_values(node: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return the allowed values (canonical text -> value) of `const` / `enum`, or None."""
    if "const" in node:
        return {canonical(node["const"]): node["const"]}
    values = node.get("enum")
    if isinstance(values, list):
        return {canonical(v): v for v in values}
    return None


def member(parent: str, name: str) -> str:
    """Append a property to an instance path: `$.offer.title`, or `$["odd key"]`."""
    return f"{parent}.{name}" if name.isidentifier() else f"{parent}[{json.dumps(name)}]"


def iter_fields(root: Mapping[str, Any]) -> Iterator[tuple[str, str, SchemaPath]]:
    """Yield (instance path, name, schema path) of every named property at any depth."""
    stack: list[tuple[Any, str, SchemaPath, frozenset[int]]] = [(root, "$", (), frozenset())]
    while stack:
        raw, at, path, seen = stack.pop()
        if id(raw) in seen:
            continue
        seen = seen | {id(raw)}
        node, path = resolve(root, raw, path)
        properties = node.get("properties")
        if isinstance(properties, Mapping):
            for name, sub in properties.items():
                child = member(at, str(name))
                yield child, str(name), (*path, "properties", name)
                stack.append((sub, child, (*path, "properties", name), seen))
        if "items" in node:
            stack.append((node["items"], f"{at}[]", (*path, "items"), seen))
        for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
            for i, sub in enumerate(node.get(key) or []):
                stack.append((sub, at, (*path, key, i), seen))
        if isinstance(node.get("additionalProperties"), Mapping):
            stack.append((node["additionalProperties"], f"{at}.*",
                          (*path, "additionalProperties"), seen))


def max_bytes(root: Mapping[str, Any], raw: Any = None,
              seen: frozenset[int] = frozenset()) -> int | None:
    """Bound the UTF-8 size of any JSON instance of a schema; None when it is unbounded."""
    raw = root if raw is None else raw
    if id(raw) in seen:
        return None
    seen = seen | {id(raw)}
    node, _ = resolve(root, raw, ())
    values = enum_values(node)
    if values is not None:
        return max((len(text.encode("utf-8")) for text in values), default=0)
    bounds: list[int | None] = []
    for key in ("anyOf", "oneOf"):
        if node.get(key):
            bounds.append(_largest([max_bytes(root, s, seen) for s in node[key]]))
    if node.get("allOf"):
        known = [b for b in (max_bytes(root, s, seen) for s in node["allOf"]) if b is not None]
        if known:
            return min(known)
    types = types_of(node)
    if types is None and not bounds:
        types = frozenset({"object"}) if "properties" in node else None
        if types is None:
            return None
    for kind in sorted(types or ()):
        bounds.append(_type_bytes(root, node, kind, seen))
    return _largest(bounds)


def _largest(bounds: list[int | None]) -> int | None:
    """Return the largest bound, or None when any is unbounded."""
    if not bounds or any(b is None for b in bounds):
        return None
    return max(b for b in bounds if b is not None)


def _type_bytes(root: Mapping[str, Any], node: Mapping[str, Any], kind: str,
                seen: frozenset[int]) -> int | None:
    """Bound the size of an instance of one JSON type under a node's keywords."""
    if kind == "null":
        return 4
    if kind == "boolean":
        return 5
    if kind in ("integer", "number"):
        return _NUMBER_BYTES
    if kind == "string":
        if isinstance(node.get("maxLength"), int):
            return 2 + 6 * node["maxLength"]  # worst case: every character escaped as \u00XX
        return _DATE_BYTES.get(str(node.get("format")))
    if kind == "array":
        count = node.get("maxItems")
        if not isinstance(count, int):
            return None
        if count == 0:
            return 2
        item = max_bytes(root, node.get("items", {}), seen)
        return None if item is None else 2 + count * item + (count - 1)
    if kind == "object":
        if node.get("additionalProperties", True) is not False or node.get("patternProperties"):
            return None
        properties = node.get("properties") or {}
        total = 2 + max(len(properties) - 1, 0)
        for name, sub in properties.items():
            size = max_bytes(root, sub, seen)
            if size is None:
                return None
            total += len(json.dumps(str(name), ensure_ascii=False).encode("utf-8")) + 1 + size
        return total
    return None
