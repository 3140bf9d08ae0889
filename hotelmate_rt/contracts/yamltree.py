"""Read contract YAML into plain values from its event stream, remembering where each key was.

The stream comes from libyaml when PyYAML has it (about 7x faster than composing nodes in
Python). Reading is bounded against hostile files: nesting past `MAX_DEPTH`, aliases expanding
past `MAX_EXPANDED` values or nesting past `MAX_DEPTH` once expanded, alias cycles, explicit tags,
merge keys and complex keys are located problems, never a traceback, a hang or a memory blow-up.
Unquoted dates stay text. Aliases share the value of their anchor (nothing is copied), so the
bounds protect what later walks the values (schemas, exports), not only the reading itself.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import yaml

from .model import Location

Path_ = tuple[str | int, ...]

MAX_DEPTH = 64
"""Deepest nesting a contract may have, aliases expanded (the shipped one needs 9)."""
MAX_EXPANDED = 100_000
"""Most values aliases may add once expanded (the shipped contract's add about 60)."""

_TAG = "tag:yaml.org,2002:"
_STR_TAG = _TAG + "str"
_PLAIN_TAGS = frozenset(_TAG + t for t in ("str", "int", "float", "bool", "null", "seq", "map"))
_BASE: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ProblemKind(enum.StrEnum):
    """What kind of load problem was found (stable, for machines)."""

    NOT_FOUND = "not-found"
    YAML_SYNTAX = "yaml-syntax"
    DUPLICATE_KEY = "duplicate-key"
    UNKNOWN_KEY = "unknown-key"
    MISSING_KEY = "missing-key"
    WRONG_TYPE = "wrong-type"
    BAD_VALUE = "bad-value"
    BAD_PATTERN = "bad-pattern"
    BAD_TEMPLATE = "bad-template"
    BAD_SCHEMA = "bad-schema"
    TOO_LARGE = "too-large"
    UNSUPPORTED_YAML = "unsupported-yaml"


@dataclass(frozen=True, slots=True)
class ContractProblem:
    """A located load problem with a plain sentence and, where possible, a fix."""

    kind: ProblemKind
    message: str
    where: Location
    fix: str = ""

    def __str__(self) -> str:
        at = f" (at {self.where.path})" if self.where.path else ""
        fix = f" {self.fix}" if self.fix else ""
        return f"{self.where}: {self.message}{at}.{fix}"

    def to_dict(self) -> dict[str, Any]:
        """Describe the problem for JSON output."""
        return {"kind": self.kind.value, "message": self.message, "file": self.where.file,
                "line": self.where.line, "column": self.where.column, "path": self.where.path,
                "fix": self.fix}


class Abandon(Exception):
    """Reading stopped on a problem that makes the rest of the file meaningless."""

    def __init__(self, problem: ContractProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class _Parser(_BASE):
    """PyYAML's safe event parser, reading dates as text (a contract has no date values)."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _TAG + "timestamp"]
        for first, resolvers in _BASE.yaml_implicit_resolvers.items()}


EMPTY = object()
"""What `Tree.read` returns for a file without any document."""


class Tree:
    """Turns the YAML event stream into plain values, remembering where each key was."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.marks: dict[Path_, tuple[int, int]] = {}
        self.problems: list[ContractProblem] = []
        self._constructor = yaml.SafeLoader("")
        self._tags: dict[str, str] = {}
        self._anchors: dict[str, tuple[Any, int, int]] = {}  # value, values in it, levels in it
        self._open: dict[str, Any] = {}  # anchors of the collections being read: their marks
        self._count = 0  # values read so far, aliases expanded
        self._expanded = 0  # of which aliases added
        self._depth = 0  # collections the reader is inside
        self._deepest = 0  # deepest level reached (since the innermost open anchor)

    def read(self, text: str) -> Any:
        """Parse one YAML document into dicts, lists and scalars (`EMPTY` when there is none)."""
        parser = _Parser(text)
        try:
            parser.get_event()  # StreamStart
            if parser.check_event(yaml.StreamEndEvent):
                return EMPTY
            parser.get_event()  # DocumentStart
            data = self._value(parser, ())
            parser.get_event()  # DocumentEnd
            if not parser.check_event(yaml.StreamEndEvent):
                event = parser.get_event()
                raise yaml.composer.ComposerError(
                    "expected a single document in the stream", None,
                    "but found another document", event.start_mark)
            return data
        finally:
            parser.dispose()

    def _value(self, parser: Any, path: Path_, mark_it: bool = True) -> Any:
        """Read the value starting at the next event, recording its mark under `path`."""
        event = parser.get_event()
        kind = type(event)
        start = event.start_mark
        if mark_it:
            self.marks[path] = (start.line + 1, start.column + 1)
        self._count += 1
        if kind is yaml.ScalarEvent:
            scalar = self._scalar(parser, event, path)
            if event.anchor:
                self._open.pop(event.anchor, None)  # redefined: no longer the enclosing one
                self._anchors[event.anchor] = (scalar, 1, 0)
            return scalar
        if kind is yaml.AliasEvent:
            return self._alias(event, path)
        depth = self._depth = self._depth + 1
        if depth > MAX_DEPTH:
            raise Abandon(self.located(
                ProblemKind.TOO_LARGE, f"nesting is deeper than {MAX_DEPTH} levels", path,
                "A contract needs a few levels; flatten this part."))
        if depth > self._deepest:
            self._deepest = depth
        anchor = event.anchor
        if anchor:
            self._open[anchor] = start
            count, deepest, self._deepest = self._count, self._deepest, depth
        if kind is yaml.MappingStartEvent:
            value: Any = self._mapping(parser, path)
        else:
            value = []
            while type(parser.peek_event()) is not yaml.SequenceEndEvent:
                value.append(self._value(parser, (*path, len(value))))
            parser.get_event()
        self._depth = depth - 1
        if event.tag is not None and event.tag not in _PLAIN_TAGS:
            self._refuse_tag(event.tag, path)
            value = None
        if anchor:
            if self._open.pop(anchor, None) is not None:  # else redefined inside: that one counts
                self._anchors[anchor] = (value, self._count - count + 1, self._deepest - depth + 1)
            self._deepest = max(deepest, self._deepest)
        return value

    def _alias(self, event: Any, path: Path_) -> Any:
        """Return an anchor's value, counting what it expands to against the bounds."""
        name = event.anchor
        if name in self._open:
            mark = self._open[name]
            raise Abandon(ContractProblem(
                ProblemKind.UNSUPPORTED_YAML, "an alias refers to a collection that contains it "
                "(a cycle)", Location(self.file, mark.line + 1, mark.column + 1, _dotted(path)),
                "Point aliases only at anchors outside themselves."))
        if name not in self._anchors:
            raise yaml.composer.ComposerError(
                None, None, f"found undefined alias {name!r}", event.start_mark)
        value, size, levels = self._anchors[name]
        self._count += size - 1
        self._expanded += size
        if self._expanded > MAX_EXPANDED:
            raise Abandon(self.located(
                ProblemKind.TOO_LARGE, f"the contract expands to more than {MAX_EXPANDED:,} "
                "values through its aliases (an alias repeated inside aliases?)", path,
                "Use aliases for small shared parts only, never nested in each other."))
        reach = self._depth + levels
        if reach > MAX_DEPTH:
            raise Abandon(self.located(
                ProblemKind.TOO_LARGE, f"aliases nest deeper than {MAX_DEPTH} levels", path,
                "Flatten the aliased parts."))
        if reach > self._deepest:
            self._deepest = reach
        return value

    def _mapping(self, parser: Any, path: Path_) -> dict[str, Any]:
        """Read a mapping's entries; each key's mark is recorded as the location of its entry."""
        value: dict[str, Any] = {}
        marks = self.marks
        while True:
            event = parser.peek_event()
            kind = type(event)
            if kind is yaml.MappingEndEvent:
                parser.get_event()
                return value
            mark = event.start_mark
            here = (mark.line + 1, mark.column + 1)
            if kind is yaml.ScalarEvent and not event.anchor and event.tag is None:
                parser.get_event()  # the usual plain key: no recursion
                if event.value == "<<" and event.implicit[0]:
                    marks[(*path, "<<")] = here
                    self.problem(ProblemKind.UNSUPPORTED_YAML, "YAML merge keys (<<) are not "
                                 "supported", (*path, "<<"),
                                 "Write the keys out, or alias the whole mapping instead.")
                    self._value(parser, (*path, "<<"), mark_it=False)
                    continue
                key = str(self._scalar(parser, event, path))
            else:
                unusual = self._key(parser, path, here)
                if unusual is None:
                    self._value(parser, (*path, "?"), mark_it=False)
                    continue
                key = unusual
            entry = (*path, key)
            marks[entry] = here
            if key in value:
                self.problem(ProblemKind.DUPLICATE_KEY, f"key {key!r} appears twice", entry,
                             "Keep one of them; YAML would silently drop the first.")
            value[key] = self._value(parser, entry, mark_it=False)

    def _key(self, parser: Any, path: Path_, here: tuple[int, int]) -> str | None:
        """Read an unusual key (anchored, aliased, tagged or a collection); None if refused."""
        spot = (*path, "?")
        self.marks[spot] = here
        problems = len(self.problems)
        key = self._value(parser, spot, mark_it=False)
        if len(self.problems) > problems:
            return None
        if isinstance(key, dict | list):
            self.problem(ProblemKind.UNSUPPORTED_YAML, "a mapping key must be plain text", spot,
                         "Write the key as a plain word.")
            return None
        return str(key)

    def _scalar(self, parser: Any, event: Any, path: Path_) -> Any:
        """Resolve and construct one scalar as yaml.safe_load would (dates stay text)."""
        tag = event.tag
        if tag is None or tag == "!":
            if not event.implicit[0]:  # quoted or block scalar: a string
                return event.value
            tag = self._tags.get(event.value)
            if tag is None:  # plain scalars repeat a lot (string, object, true...): resolve once
                tag = self._tags[event.value] = parser.resolve(yaml.ScalarNode, event.value,
                                                               event.implicit)
            if tag not in _PLAIN_TAGS:  # `<<` or `=` as a value: text
                return event.value
        elif tag not in _PLAIN_TAGS:
            self._refuse_tag(tag, path)
            return None
        if tag == _STR_TAG:
            return event.value
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return self._constructor.construct_object(node, deep=True)
        except (ValueError, TypeError, OverflowError, yaml.YAMLError):  # `!!int abc`, 5,000 digits
            self.problem(ProblemKind.BAD_VALUE, f"cannot read {event.value[:40]!r} as "
                         f"{tag.replace(_TAG, '')}", path, "Quote it to keep it as text.")
            return None

    def _refuse_tag(self, tag: str, path: Path_) -> None:
        """Record an explicit YAML tag a contract does not use (`!foo`, `!!timestamp`...)."""
        self.problem(ProblemKind.UNSUPPORTED_YAML,
                     f"YAML tag {tag.replace(_TAG, '!!')[:40]!r} is not supported", path,
                     "Remove the tag; a contract holds plain text, numbers, lists and mappings.")

    def where(self, path: Path_) -> Location:
        """Return the location of a path, falling back to its nearest located parent."""
        probe = path
        while probe not in self.marks and probe:
            probe = probe[:-1]
        line, column = self.marks.get(probe, (0, 0))
        return Location(self.file, line, column, _dotted(path))

    def located(self, kind: ProblemKind, message: str, path: Path_, fix: str = "") -> ContractProblem:
        """Build a problem located at a path."""
        return ContractProblem(kind, message, self.where(path), fix)

    def problem(self, kind: ProblemKind, message: str, path: Path_, fix: str = "") -> None:
        """Record a load problem at a path."""
        self.problems.append(self.located(kind, message, path, fix))


def _dotted(path: Path_) -> str:
    """Render a key path as `channels.guest-booking.template` or `steps[0]`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
