"""Payload schemas: compile once with jsonschema-rs, validate, find sensitive fields.

Schemas stay inside the contract: a `$ref` that is not `#...` is refused at load, and the
validator never fetches anything (its retriever refuses every URI, http and file alike).
Schema `pattern`s run on the linear-time regex engine (no lookaround, no backreferences).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema_rs


@dataclass(frozen=True, slots=True)
class Violation:
    """One way a payload breaks its schema, located by JSON path (`$.offer.id`)."""

    path: str
    message: str


def json_type(value: Any) -> str:
    """Name the JSON type of a value (for const and enum values)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def json_path(parts: list[str | int] | tuple[str | int, ...]) -> str:
    """Render a list of keys and indexes as a JSON path such as `$.offer.tags[0]`."""
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


_REF_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")


def _refuse_retrieval(uri: str) -> Any:
    """Refuse to fetch any schema resource: references must stay inside the contract."""
    raise ValueError(f"{uri} is outside the contract; schema references are never fetched")


def _compile(schema: Any) -> Any:
    """Compile one schema without network or file access and with linear-time patterns."""
    return jsonschema_rs.validator_for(_plain(schema), retriever=_refuse_retrieval,
                                       pattern_options=jsonschema_rs.RegexOptions())


def foreign_refs(schema: Any) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Yield (key path, value) of every `$ref` that points outside the schema (not `#...`)."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(schema, ())]
    while stack:  # isinstance of dict, not Mapping: this walks every loaded schema
        node, path = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key in _REF_KEYWORDS and isinstance(value, str):
                    if not value.startswith("#"):
                        yield (*path, key), value
                elif isinstance(value, dict | list):
                    stack.append((value, (*path, key)))
        elif isinstance(node, list):
            stack.extend((item, (*path, i)) for i, item in enumerate(node)
                         if isinstance(item, dict | list))


def compiled_or_problem(schema: Mapping[str, Any]) -> tuple[Any, str | None]:
    """Compile a JSON Schema once: (validator, None), or (None, why it does not compile)."""
    try:
        return _compile(schema), None
    except (jsonschema_rs.ValidationError, ValueError, TypeError) as exc:
        return None, str(exc).splitlines()[0]


def schema_problem(schema: Mapping[str, Any]) -> str | None:
    """Say why a JSON Schema does not compile, or None when it does."""
    return compiled_or_problem(schema)[1]


class PayloadValidator:
    """A compiled payload schema (and envelope variants) for one event."""

    __slots__ = ("_envelope_field", "_main", "_variants")

    def __init__(self, schema: Mapping[str, Any], envelope_field: str | None = None,
                 variants: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        """Compile the schema and the envelope's variant schemas."""
        self._main = _compile(schema)
        self._envelope_field = envelope_field
        self._variants = {k: _compile(v) for k, v in (variants or {}).items()}

    @classmethod
    def of_compiled(cls, main: Any, envelope_field: str | None = None,
                    variants: Mapping[str, Any] | None = None) -> PayloadValidator:
        """Wrap validators already compiled (by `compiled_or_problem`), not compiling again."""
        self = cls.__new__(cls)
        self._main, self._envelope_field, self._variants = main, envelope_field, dict(variants or {})
        return self

    def is_valid(self, data: Any) -> bool:
        """Answer quickly whether a payload conforms (the hot path)."""
        if not self._main.is_valid(data):
            return False
        if self._envelope_field is None:
            return True
        if not isinstance(data, dict):
            return False
        variant = self._variants.get(str(data.get(self._envelope_field)))
        return variant is not None and variant.is_valid(data)

    def violations(self, data: Any) -> list[Violation]:
        """Return every violation of the schema, each with its JSON path."""
        found = [Violation(json_path(e.instance_path), e.message) for e in self._main.iter_errors(data)]
        if self._envelope_field is not None and isinstance(data, dict):
            kind = data.get(self._envelope_field)
            variant = self._variants.get(str(kind))
            if variant is None:
                known = ", ".join(sorted(self._variants))
                found.append(Violation(json_path([self._envelope_field]),
                                       f"unknown {self._envelope_field} {kind!r}; known: {known}"))
            else:
                found.extend(Violation(json_path(e.instance_path), e.message)
                             for e in variant.iter_errors(data))
        return found


def sensitive_paths(data: Any, names: frozenset[str]) -> list[str]:
    """Return the JSON path of every key, at any depth, whose name is in `names`."""
    if not names:
        return []
    found: list[str] = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key in names:
                    found.append(json_path((*path, key)))
                if isinstance(value, dict | list):
                    stack.append((value, (*path, key)))
        elif isinstance(node, list):
            stack.extend((item, (*path, i)) for i, item in enumerate(node)
                         if isinstance(item, dict | list))
    return sorted(found)


def _plain(value: Any) -> Any:
    """Deep-copy YAML-loaded containers into plain dicts and lists for the Rust validator."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
