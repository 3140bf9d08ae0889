"""Pieces both language analyzers share: wrapper templates and parameter substitution."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from .model import Payload, Site
from .symbols import Hole, Param, ParamKeys, Sym, Value, concat_all, has_params, norm

# Resolves a wrapper parameter at a call site: returns alternatives, [] when unknown.
ParamResolver = Callable[[str], list[Value]]
KeysResolver = Callable[[str], list[Value] | None]
PayloadResolver = Callable[[str], "Payload | str | None"]


@dataclass(slots=True)
class Wrapper:
    """A function whose parameters flow into trigger/subscribe/bind: its call sites are sites."""

    file: str
    name: str
    params: tuple[str, ...]
    line: int
    method: bool = False
    templates: list[Site] = field(default_factory=list)
    called: bool = False

    @property
    def label(self) -> str:
        """Name the wrapper for `via` chains and messages."""
        return f"{self.name}() at {self.file}:{self.line}"


@dataclass(slots=True)
class PendingSite:
    """A site found in a module, plus the wrapper function it belongs to (if it has params)."""

    site: Site
    function: str | None = None
    params: tuple[str, ...] = ()
    line: int = 0
    method: bool = False


def _bare(sym: Sym) -> bool:
    """Tell whether a value is exactly one parameter (the name comes wholly from the caller)."""
    return len(sym) == 1 and isinstance(sym[0], Param | ParamKeys)


def _harden(values: tuple[Value, ...]) -> tuple[Value, ...]:
    """Turn parameters inside a larger template into holes: the template's shape is known."""
    out: list[Value] = []
    for value in values:
        if has_params(value.sym) and not _bare(value.sym):
            sym = norm(Hole(p.name) if isinstance(p, Param | ParamKeys) else p for p in value.sym)
            out.append(Value(sym, value.line, value.column))
        else:
            out.append(value)
    return tuple(out)


def site_has_params(site: Site) -> bool:
    """Tell whether a site's channel or event comes wholly from the enclosing function's params.

    Parameters interpolated into a larger template become holes in place (the site stays a
    site); only a name passed through whole makes the function a wrapper.
    """
    site.channels = _harden(site.channels)
    site.events = _harden(site.events)
    site.states = _harden(site.states)
    return any(_bare(v.sym) for v in (*site.channels, *site.events, *site.states))


def substitute_values(values: tuple[Value, ...], resolve: ParamResolver, keys: KeysResolver,
                      line: int, column: int) -> tuple[tuple[Value, ...], list[str]]:
    """Replace wrapper parameters with what the call site passes; return values and problems."""
    out: list[Value] = []
    problems: list[str] = []
    for value in values:
        if not has_params(value.sym):
            out.append(Value(value.sym, line, column))
            continue
        if len(value.sym) == 1 and isinstance(value.sym[0], ParamKeys):
            found = keys(value.sym[0].name)
            if found is None:
                problems.append(f"the handler map passed as `{value.sym[0].name}`")
            else:
                out.extend(found)
            continue
        if len(value.sym) == 1 and isinstance(value.sym[0], Param):
            found_values = resolve(value.sym[0].name)
            if not found_values:
                problems.append(f"the argument passed as `{value.sym[0].name}`")
            out.extend(found_values)
            continue
        pieces: list[list[Sym]] = []
        for part in value.sym:
            if isinstance(part, Param):
                alts = [v.sym for v in resolve(part.name)]
                pieces.append(alts or [(Hole(part.name),)])
            elif isinstance(part, ParamKeys):
                pieces.append([(Hole(part.name),)])
            else:
                pieces.append([(part,)])
        out.extend(Value(sym, line, column) for sym in concat_all(pieces))
    return tuple(out), problems


def instantiate(template: Site, file: str, line: int, column: int, via: str,
                resolve: ParamResolver, keys: KeysResolver,
                payload: PayloadResolver) -> Site:
    """Build the site a wrapper call produces, substituting the call's arguments."""
    channels, p1 = substitute_values(template.channels, resolve, keys, line, column)
    events, p2 = substitute_values(template.events, resolve, keys, line, column)
    states, p3 = substitute_values(template.states, resolve, keys, line, column)
    new_payload = template.payload
    payload_param = None
    if template.payload_param is not None:
        got = payload(template.payload_param)
        if isinstance(got, str):
            payload_param = got
        else:
            new_payload = got
    problems = p1 + p2 + p3
    unresolved = template.unresolved
    if problems and not unresolved:
        unresolved = "could not resolve " + ", ".join(problems)
    return replace(template, file=file, line=line, column=column, channels=channels,
                   events=events, states=states, payload=new_payload,
                   payload_param=payload_param, unresolved=unresolved,
                   via=(via, *template.via))
