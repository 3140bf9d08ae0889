"""Channel templates such as `private-booking-{booking_id}`: parse, render and match."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field

from hotelmate_rt.errors import ParameterError

from .limits import channel_name_problem

_FORMATTER = string.Formatter()


@dataclass(frozen=True, slots=True)
class Template:
    """A channel name with `{parameter}` placeholders."""

    text: str
    literals: tuple[str, ...]
    parameters: tuple[str, ...]
    _regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def parse(cls, text: str) -> Template:
        """Split a template into its literal parts and parameter names (ValueError if malformed)."""
        literals: list[str] = []
        parameters: list[str] = []
        for literal, name, spec, conversion in _FORMATTER.parse(text):
            literals.append(literal)
            if name is None:
                continue
            if not name.isidentifier() or spec or conversion:
                raise ValueError(f"placeholder {{{name}}} must be a plain {{name}}")
            parameters.append(name)
        if len(literals) == len(parameters):
            literals.append("")
        return cls(text, tuple(literals), tuple(parameters))

    @property
    def literal_length(self) -> int:
        """Count the fixed characters, used to rank competing matches (more is more specific)."""
        return sum(len(part) for part in self.literals)

    def compile(self, patterns: Mapping[str, str]) -> Template:
        """Return a copy that can match concrete names, using each parameter's regex."""
        parts: list[str] = []
        seen: set[str] = set()
        for index, literal in enumerate(self.literals):
            parts.append(re.escape(literal))
            if index < len(self.parameters):
                name = self.parameters[index]
                pattern = patterns.get(name, r"[A-Za-z0-9_\-=@,.;]+")
                if name in seen:
                    parts.append(f"(?P={name})")
                else:
                    parts.append(f"(?P<{name}>{pattern})")
                    seen.add(name)
        return Template(self.text, self.literals, self.parameters, re.compile("".join(parts)))

    def match(self, name: str) -> dict[str, str] | None:
        """Return the parameters that render this template into `name`, or None."""
        if self._regex is None:
            raise RuntimeError("template was not compiled against its parameter patterns")
        found = self._regex.fullmatch(name)
        return None if found is None else found.groupdict()

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
                if pattern is not None and not re.fullmatch(pattern, value):
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
