"""Compare two payload schemas structurally, judging each difference as an old client would.

Payloads flow from the backend to clients, so a new schema that accepts something the old one did
not (a widened type, a new enum value, a dropped constraint) can reach a client that never handled
it, while one that accepts less can make existing backend code fail validation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .context import Comparison, KeyPath
from .model import Area, DiffCheck
from .schemas import (
    accepts,
    as_schema,
    canonical,
    enum_values,
    member,
    resolve,
    show_types,
    types_of,
)

_CONSTRAINTS = ("pattern", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum",
                "exclusiveMaximum", "multipleOf", "minItems", "maxItems", "uniqueItems",
                "minProperties", "maxProperties")
_HANDLED = frozenset({
    "type", "enum", "const", "format", "properties", "required", "additionalProperties", "items",
    "prefixItems", "anyOf", "oneOf", "allOf", "$ref", "$defs", "definitions", "description",
    "title", "examples", "default", "$comment", "$schema", "$id", "deprecated", "readOnly",
    "writeOnly", *_CONSTRAINTS})
_MAX_DEPTH = 48


@dataclass(slots=True)
class SchemaSide:
    """One side's schema root and where that root sits in its contract's YAML."""

    root: Mapping[str, Any]
    base: KeyPath


class PayloadWalker:
    """Walks an old and a new schema of one event together and records every difference."""

    def __init__(self, diff: Comparison, event: str, old: SchemaSide, new: SchemaSide,
                 needed_values: frozenset[str] = frozenset()) -> None:
        """Prepare to compare one event's schemas; `needed_values` are statuses still sent."""
        self.diff = diff
        self.event = event
        self.old = old
        self.new = new
        self.needed = needed_values
        self._active: set[tuple[int, int]] = set()

    def run(self, at: str = "$") -> None:
        """Compare the two roots."""
        self.walk(self.old.root, self.new.root, at, (), (), 0)

    def add(self, check: DiffCheck, at: str, message: str, opath: KeyPath | None,
            npath: KeyPath | None, before: Any = None, after: Any = None) -> None:
        """Record a payload change of this event at an instance path."""
        self.diff.add(check, Area.PAYLOADS, f"{self.event} {at}", f"{self.event}: {message}",
                      old=None if opath is None else (*self.old.base, *opath),
                      new=None if npath is None else (*self.new.base, *npath),
                      before=before, after=after, event=self.event)

    def walk(self, old_raw: Any, new_raw: Any, at: str, opath: KeyPath, npath: KeyPath,
             depth: int) -> None:
        """Compare two schema nodes (after following their `$ref`s) and everything below them."""
        key = (id(old_raw), id(new_raw))
        if key in self._active or depth > _MAX_DEPTH:
            return
        self._active.add(key)
        try:
            old, opath = resolve(self.old.root, old_raw, opath)
            new, npath = resolve(self.new.root, new_raw, npath)
            if canonical(old) == canonical(new):
                return
            retyped = self._types(old, new, at, opath, npath)
            if not retyped:
                self._enums(old, new, at, opath, npath)
            self._format(old, new, at, opath, npath)
            self._constraints(old, new, at, opath, npath)
            self._object(old, new, at, opath, npath, depth)
            self._array(old, new, at, opath, npath, depth)
            for keyword in ("anyOf", "oneOf", "allOf"):
                self._composition(keyword, old, new, at, opath, npath, depth)
            self._others(old, new, at, opath, npath)
        finally:
            self._active.discard(key)

    def _types(self, old: Mapping[str, Any], new: Mapping[str, Any], at: str, opath: KeyPath,
               npath: KeyPath) -> bool:
        """Judge a type change; return True when the types differ (enums then say no more)."""
        before, after = types_of(old), types_of(new)
        widened = not accepts(before, after)
        narrowed = not accepts(after, before)
        if not widened and not narrowed:
            return False
        said = f"`{at}` type changed from {show_types(before)} to {show_types(after)}"
        if widened and narrowed:
            check = DiffCheck.TYPE_CHANGED
        elif widened:
            check, said = DiffCheck.TYPE_WIDENED, said.replace("changed", "widened", 1)
        else:
            check, said = DiffCheck.TYPE_NARROWED, said.replace("changed", "narrowed", 1)
        self.add(check, at, said, (*opath, "type"), (*npath, "type"), show_types(before),
                 show_types(after))
        return widened

    def _enums(self, old: Mapping[str, Any], new: Mapping[str, Any], at: str, opath: KeyPath,
               npath: KeyPath) -> None:
        """Judge added and removed enum (or const) values."""
        before, after = enum_values(old), enum_values(new)
        okey = (*opath, "enum" if "enum" in old else "const")
        nkey = (*npath, "enum" if "enum" in new else "const")
        if before is None and after is None:
            return
        if before is None:
            self.add(DiffCheck.ENUM_INTRODUCED, at, f"`{at}` is now limited to "
                     f"{_values(after)} (was any value)", opath, nkey, None, list(after or {}))
            return
        if after is None:
            self.add(DiffCheck.ENUM_DROPPED, at, f"`{at}` is no longer limited to "
                     f"{_values(before)} (now any value)", okey, npath, list(before), None)
            return
        added = [v for k, v in after.items() if k not in before]
        removed = [v for k, v in before.items() if k not in after]
        if added:
            extensible = new.get("x-extensible") is True
            check = DiffCheck.EXTENSIBLE_ENUM_VALUE_ADDED if extensible else DiffCheck.ENUM_VALUE_ADDED
            self.add(check, at, f"`{at}` gained {_values(added)} (was {_values(before)})",
                     okey, nkey, list(before.values()), list(after.values()))
        still = [v for v in removed if str(v) in self.needed]
        gone = [v for v in removed if str(v) not in self.needed]
        if still:
            self.add(DiffCheck.ENUM_VALUE_STILL_EMITTED, at,
                     f"`{at}` lost {_values(still)} (now {_values(after)}) but a status "
                     f"transition that emits {self.event} still needs it", okey, nkey,
                     list(before.values()), list(after.values()))
        if gone:
            self.add(DiffCheck.ENUM_VALUE_REMOVED, at,
                     f"`{at}` lost {_values(gone)} (now {_values(after)})", okey, nkey,
                     list(before.values()), list(after.values()))

    def _format(self, old: Mapping[str, Any], new: Mapping[str, Any], at: str, opath: KeyPath,
                npath: KeyPath) -> None:
        """Judge a changed, added or removed string format."""
        before, after = old.get("format"), new.get("format")
        if before == after:
            return
        if before is None:
            check, said = DiffCheck.FORMAT_ADDED, f"`{at}` now has format {after} (had none)"
        elif after is None:
            check, said = DiffCheck.FORMAT_REMOVED, f"`{at}` lost its format {before}"
        else:
            check, said = DiffCheck.FORMAT_CHANGED, f"`{at}` format changed from {before} to {after}"
        self.add(check, at, said, (*opath, "format"), (*npath, "format"), before, after)

    def _constraints(self, old: Mapping[str, Any], new: Mapping[str, Any], at: str,
                     opath: KeyPath, npath: KeyPath) -> None:
        """Judge changed patterns, lengths, ranges and item counts."""
        for keyword in _CONSTRAINTS:
            before, after = old.get(keyword), new.get(keyword)
            if before != after:
                self.add(DiffCheck.CONSTRAINT_CHANGED, f"{at} {keyword}",
                         f"`{at}` {keyword} changed from {_show(before)} to {_show(after)}",
                         (*opath, keyword), (*npath, keyword), before, after)

    def _object(self, old: Mapping[str, Any], new: Mapping[str, Any], at: str, opath: KeyPath,
                npath: KeyPath, depth: int) -> None:
        """Judge properties removed, added, made optional or required, and extra fields."""
        if not any(k in side for side in (old, new)
                   for k in ("properties", "required", "additionalProperties")):
            return
        oprops = old.get("properties") or {}
        nprops = new.get("properties") or {}
        oreq = set(old.get("required") or ())
        nreq = set(new.get("required") or ())
        names = list(dict.fromkeys([*oprops, *sorted(oreq - set(oprops)), *nprops,
                                    *sorted(nreq - set(nprops))]))
        for name in names:
            child = member(at, name)
            ochild = (*opath, "properties", name) if name in oprops else (*opath, "required")
            nchild = (*npath, "properties", name) if name in nprops else (*npath, "required")
            had, has = name in oprops or name in oreq, name in nprops or name in nreq
            otype = show_types(types_of(resolve(self.old.root, oprops.get(name), ())[0]))
            if had and not has:
                required = name in oreq
                check = DiffCheck.FIELD_REMOVED if required else DiffCheck.OPTIONAL_FIELD_REMOVED
                kind = "required" if required else "optional"
                self.add(check, child, f"{kind} field `{child}` ({otype}) was removed",
                         ochild, None, otype, None)
                continue
            ntype = show_types(types_of(resolve(self.new.root, nprops.get(name), ())[0]))
            if has and not had:
                required = name in nreq
                check = DiffCheck.REQUIRED_FIELD_ADDED if required else DiffCheck.OPTIONAL_FIELD_ADDED
                kind = "required" if required else "optional"
                self.add(check, child, f"new {kind} field `{child}` ({ntype}) (was absent)",
                         None, nchild, None, ntype)
                continue
            if name in oreq and name not in nreq:
                self.add(DiffCheck.FIELD_MADE_OPTIONAL, child,
                         f"`{child}` changed from required to optional", (*opath, "required"),
                         nchild, "required", "optional")
            elif name in nreq and name not in oreq:
                self.add(DiffCheck.FIELD_MADE_REQUIRED, child,
                         f"`{child}` changed from optional to required", ochild,
                         (*npath, "required"), "optional", "required")
            self.walk(oprops.get(name, {}), nprops.get(name, {}), child, ochild, nchild, depth + 1)
        self._extra(old, new, at, opath, npath, depth)

    def _extra(self, old: Mapping[str, Any], new: Mapping[str, Any], at: str, opath: KeyPath,
               npath: KeyPath, depth: int) -> None:
        """Judge `additionalProperties`: closed, opened, or its schema changed."""
        before = old.get("additionalProperties", True)
        after = new.get("additionalProperties", True)
        okey, nkey = (*opath, "additionalProperties"), (*npath, "additionalProperties")
        if before is False and after is not False:
            self.add(DiffCheck.OPENED, at, f"`{at}` now allows fields it does not list "
                     "(additionalProperties was false)", okey, nkey, False, after)
        elif after is False and before is not False:
            self.add(DiffCheck.CLOSED, at, f"`{at}` no longer allows fields it does not list "
                     "(additionalProperties is now false)", okey, nkey, before, False)
        elif isinstance(before, Mapping) or isinstance(after, Mapping):
            self.walk(as_schema(before), as_schema(after), f"{at}.*", okey, nkey, depth + 1)

    def _array(self, old: Mapping[str, Any], new: Mapping[str, Any], at: str, opath: KeyPath,
               npath: KeyPath, depth: int) -> None:
        """Compare array items (and tuple items position by position)."""
        if "items" in old or "items" in new:
            self.walk(old.get("items", {}), new.get("items", {}), f"{at}[]", (*opath, "items"),
                      (*npath, "items"), depth + 1)
        oitems, nitems = old.get("prefixItems") or [], new.get("prefixItems") or []
        for i in range(max(len(oitems), len(nitems))):
            self.walk(oitems[i] if i < len(oitems) else {}, nitems[i] if i < len(nitems) else {},
                      f"{at}[{i}]", (*opath, "prefixItems", i), (*npath, "prefixItems", i),
                      depth + 1)

    def _composition(self, keyword: str, old: Mapping[str, Any], new: Mapping[str, Any], at: str,
                     opath: KeyPath, npath: KeyPath, depth: int) -> None:
        """Match `anyOf`/`oneOf`/`allOf` branches; compare the unmatched ones pairwise or judge them."""
        obranches, nbranches = list(old.get(keyword) or []), list(new.get(keyword) or [])
        if not obranches and not nbranches:
            return
        okey, nkey = (*opath, keyword), (*npath, keyword)
        ocanon = [canonical(resolve(self.old.root, b, ())[0]) for b in obranches]
        ncanon = [canonical(resolve(self.new.root, b, ())[0]) for b in nbranches]
        left = [i for i, c in enumerate(ocanon) if c not in ncanon]
        right = [i for i, c in enumerate(ncanon) if c not in ocanon]
        if len(left) == len(right):
            for i, j in zip(left, right, strict=True):
                self.walk(obranches[i], nbranches[j], f"{at}({keyword} {j + 1})", (*okey, i),
                          (*nkey, j), depth + 1)
            return
        if keyword == "allOf":
            self.add(DiffCheck.KEYWORD_CHANGED, f"{at} allOf", f"`{at}` allOf changed from "
                     f"{len(obranches)} to {len(nbranches)} parts", okey, nkey)
            return
        for j in right:
            self.add(DiffCheck.VARIANT_ADDED, f"{at} {keyword} {_digest(ncanon[j])}",
                     f"`{at}` accepts a new {keyword} variant {_brief(nbranches[j])}",
                     okey, (*nkey, j), None, nbranches[j])
        for i in left:
            self.add(DiffCheck.VARIANT_REMOVED, f"{at} {keyword} {_digest(ocanon[i])}",
                     f"`{at}` lost the {keyword} variant {_brief(obranches[i])}",
                     (*okey, i), nkey, obranches[i], None)

    def _others(self, old: Mapping[str, Any], new: Mapping[str, Any], at: str, opath: KeyPath,
                npath: KeyPath) -> None:
        """Report any other keyword that differs (the diff cannot tell what it means)."""
        for keyword in dict.fromkeys([*old, *new]):
            if keyword in _HANDLED or str(keyword).startswith("x-"):
                continue
            before, after = old.get(keyword), new.get(keyword)
            if canonical(before) != canonical(after):
                self.add(DiffCheck.KEYWORD_CHANGED, f"{at} {keyword}",
                         f"`{at}` keyword {keyword} changed from {_brief(before)} to "
                         f"{_brief(after)}", (*opath, keyword), (*npath, keyword), before, after)


def _digest(text: str) -> str:
    """Name a schema fragment by a short stable digest (for the change's subject)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]


def _values(values: Any) -> str:
    """List enum values for a sentence: `A, B, C`."""
    items = list(values.values()) if isinstance(values, Mapping) else list(values or ())
    return ", ".join(str(v) for v in items) or "nothing"


def _show(value: Any) -> str:
    """Show a constraint value, saying `none` when absent."""
    return "none" if value is None else str(value)


def _brief(value: Any, width: int = 60) -> str:
    """Show a schema fragment compactly, cut to `width` characters."""
    text = "none" if value is None else canonical(value)
    return text if len(text) <= width else text[:width - 3] + "..."
