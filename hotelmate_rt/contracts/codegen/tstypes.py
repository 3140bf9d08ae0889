"""Turn a payload JSON Schema into a TypeScript type expression (the subset contracts use).

Objects list only their declared fields (no index signature, even when the schema is open): a
client that reads a field the contract does not declare must fail to compile.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from hotelmate_rt.contracts.diff.schemas import as_schema, resolve

_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_MAX_DEPTH = 24


def pascal(name: str) -> str:
    """Turn `new-staff-message` or `booking_created` into `NewStaffMessage` / `BookingCreated`."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", name) if w]
    text = "".join(w[:1].upper() + w[1:] for w in words) or "Unnamed"
    return f"_{text}" if text[0].isdigit() else text


def camel(name: str) -> str:
    """Turn `guest-booking` into `guestBooking`."""
    text = pascal(name)
    return text[:1].lower() + text[1:]


def literal(value: Any) -> str:
    """Render a JSON value as a TypeScript literal type."""
    return json.dumps(value, ensure_ascii=False)


def key(name: str) -> str:
    """Render a property name, quoted when it is not an identifier."""
    return name if _IDENTIFIER.match(name) else json.dumps(name)


def doc(text: str, indent: str = "") -> str:
    """Render a one-line JSDoc comment (empty when there is no text)."""
    clean = " ".join(text.replace("*/", "* /").split())
    return f"{indent}/** {clean} */\n" if clean else ""


class TypeWriter:
    """Writes the TypeScript type of schemas rooted at one event schema (for local `$ref`s)."""

    def __init__(self, root: Mapping[str, Any],
                 named_enums: Mapping[frozenset[str], str] | None = None) -> None:
        """Remember the root that `$ref`s resolve against, and enums that have a type name."""
        self.root = root
        self.named_enums = named_enums or {}
        self._active: set[int] = set()

    def type_of(self, raw: Any, indent: str = "", depth: int = 0) -> str:
        """Return the TypeScript type of a schema node."""
        if id(raw) in self._active or depth > _MAX_DEPTH:
            return "unknown"  # a recursive schema: the recursion is not spelled out
        self._active.add(id(raw))
        try:
            node, _ = resolve(self.root, raw, ())
            return self._node(as_schema(node), indent, depth)
        finally:
            self._active.discard(id(raw))

    def _node(self, node: Mapping[str, Any], indent: str, depth: int) -> str:
        """Type one resolved node."""
        if "const" in node:
            return literal(node["const"])
        if isinstance(node.get("enum"), list):
            values = frozenset(json.dumps(v) for v in node["enum"])
            if values in self.named_enums and node.get("x-extensible") is not True:
                return self.named_enums[values]
            union = " | ".join(literal(v) for v in node["enum"]) or "never"
            return f"{union} | (string & {{}})" if node.get("x-extensible") is True else union
        for keyword in ("oneOf", "anyOf"):
            if node.get(keyword):
                return _join([self.type_of(s, indent, depth + 1) for s in node[keyword]], " | ")
        if node.get("allOf"):
            return _join([self.type_of(s, indent, depth + 1) for s in node["allOf"]], " & ")
        kinds = node.get("type")
        if kinds is None:
            kinds = "object" if "properties" in node else None
        if kinds is None:
            return "unknown"
        if isinstance(kinds, list):
            return _join([self._kind(str(k), node, indent, depth) for k in kinds], " | ")
        return self._kind(str(kinds), node, indent, depth)

    def _kind(self, kind: str, node: Mapping[str, Any], indent: str, depth: int) -> str:
        """Type a node for one JSON type."""
        if kind in ("integer", "number"):
            return "number"
        if kind in ("string", "boolean", "null"):
            return kind
        if kind == "array":
            items = node.get("items")
            inner = self.type_of(items, indent, depth + 1) if items is not None else "unknown"
            return f"Array<{inner}>"
        if kind == "object":
            return self.object_body(node, indent, depth)
        return "unknown"

    def object_body(self, node: Mapping[str, Any], indent: str = "", depth: int = 0) -> str:
        """Type an object as `{ field: T; optional?: T }` with one field per line."""
        properties = node.get("properties") or {}
        required = set(node.get("required") or ())
        names = [*properties, *[r for r in node.get("required") or () if r not in properties]]
        if not names:
            return "Record<string, unknown>"
        inner = indent + "  "
        lines = ["{"]
        for name in names:
            sub = properties.get(name, {})
            described = as_schema(resolve(self.root, sub, ())[0])
            note = " ".join(str(x) for x in (described.get("description"), described.get("format"))
                            if x)
            if note:
                lines.append(doc(note, inner).rstrip("\n"))
            mark = "" if name in required else "?"
            lines.append(f"{inner}{key(str(name))}{mark}: {self.type_of(sub, inner, depth + 1)};")
        lines.append(f"{indent}}}")
        return "\n".join(line for line in lines if line)


def _join(parts: list[str], separator: str) -> str:
    """Join types, parenthesising compound ones and dropping duplicates."""
    unique = list(dict.fromkeys(parts))
    if len(unique) == 1:
        return unique[0]
    return separator.join(f"({p})" if (" | " in p or " & " in p) and "\n" not in p else p
                          for p in unique)
