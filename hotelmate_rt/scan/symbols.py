"""Symbolic strings: literal text with holes (unknown values) and wrapper parameters."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

MAX_ALTERNATIVES = 16
HOLE_MARK = "\x00"


@dataclass(frozen=True, slots=True)
class Hole:
    """An interpolated value the scan cannot know (`hotel.slug`); it fills one template slot."""

    text: str = ""


@dataclass(frozen=True, slots=True)
class Param:
    """A parameter of the enclosing function: the call sites of that wrapper supply it."""

    name: str


@dataclass(frozen=True, slots=True)
class ParamKeys:
    """The keys of an object/dict passed as a wrapper parameter (a map of event handlers)."""

    name: str


Part = str | Hole | Param | ParamKeys
Sym = tuple[Part, ...]
Guard = frozenset[tuple[int, str]]
"""The (scope id, name) pairs being resolved: a name met again inside itself is a cycle."""
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Value:
    """One resolved alternative of a name, with where it was written (1-based line/column)."""

    sym: Sym
    line: int
    column: int


def norm(parts: Iterable[Part]) -> Sym:
    """Merge adjacent literal parts and drop empty ones."""
    out: list[Part] = []
    for part in parts:
        if isinstance(part, str):
            if not part:
                continue
            if out and isinstance(out[-1], str):
                out[-1] = out[-1] + part
                continue
        out.append(part)
    return tuple(out)


def concat_all(pieces: Sequence[Sequence[Sym]]) -> list[Sym]:
    """Concatenate alternatives piecewise (a cartesian product, capped)."""
    out: list[Sym] = []
    for combo in itertools.islice(itertools.product(*pieces), MAX_ALTERNATIVES):
        out.append(norm(part for sym in combo for part in sym))
    return dedupe(out)


def dedupe(syms: Iterable[Sym]) -> list[Sym]:
    """Drop repeated alternatives, keeping order, capped at MAX_ALTERNATIVES."""
    seen: set[Sym] = set()
    out: list[Sym] = []
    for sym in syms:
        if sym not in seen:
            seen.add(sym)
            out.append(sym)
        if len(out) >= MAX_ALTERNATIVES:
            break
    return out


def assigned(owner: object, name: str, values: Iterable[_T], guard: Guard,
             resolve: Callable[[_T, Guard], list[Sym]]) -> list[Sym]:
    """Resolve every value assigned to `name` in scope `owner`: their alternatives, [] on a cycle."""
    key = (id(owner), name)
    if key in guard:
        return []
    inner = guard | {key}
    return dedupe([sym for value in values for sym in resolve(value, inner)])


def fill_params(returns: Iterable[Sym], params: Sequence[str],
                argument: Callable[[str], list[Sym]]) -> list[Sym]:
    """Put a call's arguments into what its callee returns: each of the callee's parameters is
    replaced by `argument(name)`'s alternatives, or a hole when the call gives nothing for it."""
    out: list[Sym] = []
    for sym in returns:
        pieces: list[list[Sym]] = [
            (argument(p.name) or [(Hole(p.name),)]) if isinstance(p, Param) and
            p.name in params else [(p,)] for p in sym]
        out.extend(concat_all(pieces))
    return dedupe(out)


def literal(sym: Sym) -> str | None:
    """Return the text when the value is fully known, else None."""
    if all(isinstance(p, str) for p in sym):
        return "".join(p for p in sym if isinstance(p, str))
    return None


def has_params(sym: Sym) -> bool:
    """Tell whether the value still depends on a wrapper parameter."""
    return any(isinstance(p, Param | ParamKeys) for p in sym)


def display(sym: Sym) -> str:
    """Show a value as a template: holes become `{*}`, parameters `{name}`."""
    out: list[str] = []
    for part in sym:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, Hole):
            out.append("{*}")
        else:
            out.append("{" + part.name + "}")
    return "".join(out)


def match_text(sym: Sym) -> str:
    """Render a value for template matching: every hole becomes one HOLE_MARK."""
    return "".join(p if isinstance(p, str) else HOLE_MARK for p in sym)


def literal_chars(sym: Sym) -> int:
    """Count the known characters of a value."""
    return sum(len(p) for p in sym if isinstance(p, str))


def leading_literal(sym: Sym) -> str | None:
    """Return the known text before the first hole, or None when the value starts unknown."""
    if not sym or not isinstance(sym[0], str):
        return None
    return sym[0]
