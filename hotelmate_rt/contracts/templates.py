"""Channel templates such as `private-booking-{booking_id}`: parse, render and match.

Parameter patterns run on RE2 (google-re2), a linear-time engine: no pattern a contract can hold
makes matching a crafted channel name slow. RE2 has no backreferences or lookaround, so a
parameter used twice in one template is matched twice and the two values compared afterwards.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import re2

from hotelmate_rt.errors import ParameterError

from .limits import MAX_CHANNEL_NAME, channel_name_problem

_FORMATTER = string.Formatter()
DEFAULT_PATTERN = r"[A-Za-z0-9_\-=@,.;]+"
"""The pattern of a parameter the contract does not declare: any Pusher channel characters."""

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would otherwise write every refused pattern to stderr


@functools.lru_cache(maxsize=1024)
def linear_regex(text: str) -> Any:
    """Compile any regex from a contract with RE2 (linear time); ValueError if RE2 cannot run it."""
    try:
        return re2.compile(text, _OPTIONS)
    except re2.error as exc:
        raise ValueError(_reason(exc)) from None


def _reason(exc: Exception) -> str:
    """RE2's reason for refusing a pattern, as text (the binding gives it as bytes)."""
    reason = exc.args[0] if exc.args else ""
    return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)


@functools.lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> Any:
    """Compile a parameter pattern with RE2; ValueError with a plain reason if it cannot be used.

    The pattern must compile alone and inside a group: `a)|(b` would otherwise close its group in
    a template and let a name match without the literal parts, and `\\Q` without `\\E` swallow them.
    """
    try:
        regex = re2.compile(pattern, _OPTIONS)
        re2.compile(f"(?:{pattern})", _OPTIONS)
    except re2.error as exc:
        raise ValueError(f"{_reason(exc)}; patterns use RE2 syntax, without backreferences or "
                         "lookaround") from None
    if regex.groupindex:
        raise ValueError("named groups are not allowed in a parameter pattern; use (?:...)")
    return regex


def pattern_matches(pattern: str, value: str) -> bool:
    """Tell whether `value` is entirely matched by a parameter pattern (linear time)."""
    return compile_pattern(pattern).fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class Template:
    """A channel name with `{parameter}` placeholders."""

    text: str
    literals: tuple[str, ...]
    parameters: tuple[str, ...]
    _regex: Any = field(default=None, compare=False, repr=False)
    _groups: tuple[int, ...] = field(default=(), compare=False, repr=False)

    @classmethod
    def parse(cls, text: str) -> Template:
        """Split a template into its literal parts and parameter names (ValueError if malformed)."""
        literals: list[str] = []
        parameters: list[str] = []
        pending = ""  # `{{` / `}}` split one literal into several chunks
        for literal, name, spec, conversion in _FORMATTER.parse(text):
            pending += literal
            if name is None:
                continue
            if not name.isidentifier() or spec or conversion:
                raise ValueError(f"placeholder {{{name}}} must be a plain {{name}}")
            literals.append(pending)
            parameters.append(name)
            pending = ""
        literals.append(pending)
        return cls(text, tuple(literals), tuple(parameters))

    @property
    def literal_length(self) -> int:
        """Count the fixed characters, used to rank competing matches (more is more specific)."""
        return sum(len(part) for part in self.literals)

    def compile(self, patterns: Mapping[str, str]) -> Template:
        """Return a copy that can match concrete names (ValueError if a pattern cannot be used)."""
        parts: list[str] = []
        for index, literal in enumerate(self.literals):
            parts.append(re2.escape(literal))
            if index < len(self.parameters):
                pattern = patterns.get(self.parameters[index], DEFAULT_PATTERN)
                compile_pattern(pattern)
                parts.append(f"(?P<p{index}>{pattern})")
        try:
            regex = re2.compile("".join(parts), _OPTIONS)
        except re2.error:
            raise ValueError("its parameter patterns together are too large to match") from None
        groups = regex.groupindex
        return Template(self.text, self.literals, self.parameters, regex,
                        tuple(groups[f"p{index}"] for index in range(len(self.parameters))))

    def match(self, name: str) -> dict[str, str] | None:
        """Return the parameters that render this template into `name`, or None."""
        if self._regex is None:
            raise RuntimeError("template was not compiled against its parameter patterns")
        if len(name) > MAX_CHANNEL_NAME or not name.startswith(self.literals[0]) \
                or not name.endswith(self.literals[-1]):
            return None
        # Channel names are ASCII: as bytes, RE2's spans are already character offsets.
        found = self._regex.fullmatch(name.encode() if name.isascii() else name)
        if found is None:
            return None
        params: dict[str, str] = {}
        for parameter, group in zip(self.parameters, self._groups, strict=True):
            start, end = found.span(group)
            value = name[start:end]
            if params.setdefault(parameter, value) != value:
                return None
        return params

    def render(self, values: Mapping[str, object], patterns: Mapping[str, str]) -> str:
        """Build the concrete channel name, checking every parameter against its pattern."""
        missing = [p for p in self.parameters if values.get(p) in (None, "")]
        if missing:
            raise ParameterError(
                f"channel {self.text!r} needs {', '.join(missing)}; pass "
                + ", ".join(f"{p}=..." for p in missing)
            )
        out: list[str] = []
        for index, literal in enumerate(self.literals):
            out.append(literal)
            if index < len(self.parameters):
                name = self.parameters[index]
                value = str(values[name])
                pattern = patterns.get(name)
                if pattern is not None and not pattern_matches(pattern, value):
                    raise ParameterError(
                        f"{name}={value!r} does not look like a {name} (pattern {pattern})"
                    )
                out.append(value)
        rendered = "".join(out)
        problem = channel_name_problem(rendered)
        if problem:
            raise ParameterError(f"{rendered!r}: {problem}")
        return rendered

    def fill(self, values: Mapping[str, object]) -> str:
        """Substitute known values without checking them, leaving unknown ones as `{name}`."""
        out: list[str] = []
        for index, literal in enumerate(self.literals):
            out.append(literal)
            if index < len(self.parameters):
                name = self.parameters[index]
                out.append(str(values[name]) if name in values else "{" + name + "}")
        return "".join(out)

    def wildcard(self) -> str:
        """Show the template with every parameter as `{*}`, the shape scans compare."""
        out: list[str] = []
        for index, literal in enumerate(self.literals):
            out.append(literal)
            if index < len(self.parameters):
                out.append("{*}")
        return "".join(out)
