"""Pieces both language analyzers share: wrapper templates and parameter substitution."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from .model import Payload, Site
from .symbols import Hole, Param, ParamKeys, Sym, Value, concat_all, has_params, norm

# Resolves a wrapper parameter at a call site: returns alternatives, [] when unknown.
ParamResolver = Callable[[str], list[Value]]
KeysResolver = Callable[[str], list[Value] | None]
PayloadSubstitute = Callable[[Site], "tuple[Payload | None, str | None]"]


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
    cls: str | None = None
    kwargs: str | None = None
    defaults: dict[str, list[Value]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """Name the wrapper for `via` chains and messages."""
        return f"{self.name}() at {self.file}:{self.line}"

    @property
    def origins(self) -> frozenset[str]:
        """The subscribe origins its own bind templates refer to (made distinct per call)."""
        subscribed = {t.origin for t in self.templates if t.origin}
        return frozenset(r for t in self.templates for r in t.receivers if r in subscribed)


@dataclass(slots=True)
class PendingSite:
    """A site found in a module, plus the wrapper function it belongs to (if it has params)."""

    site: Site
    function: str | None = None
    params: tuple[str, ...] = ()
    line: int = 0
    method: bool = False
    cls: str | None = None
    kwargs: str | None = None
    defaults: dict[str, list[Value]] = field(default_factory=dict)


def _bare(sym: Sym) -> bool:
    """Tell whether a value is exactly one parameter (the name comes wholly from the caller)."""
    return len(sym) == 1 and isinstance(sym[0], Param | ParamKeys)


def _harden_values(values: tuple[Value, ...]) -> tuple[Value, ...]:
    """Turn parameters inside a larger template into holes: the template's shape is known."""
    out: list[Value] = []
    for value in values:
        if has_params(value.sym) and not _bare(value.sym):
            sym = norm(Hole(p.name) if isinstance(p, Param | ParamKeys) else p for p in value.sym)
            out.append(Value(sym, value.line, value.column))
        else:
            out.append(value)
    return tuple(out)


def harden(site: Site) -> Site:
    """Return the site as seen without its callers: parameters in templates become holes."""
    payload = site.payload
    if payload is not None and (payload.symbolic or payload.spread_params):
        payload = replace(payload, symbolic=(), spread_params=(),
                          spread=payload.spread or bool(payload.spread_params))
    return replace(site, channels=_harden_values(site.channels),
                   events=_harden_values(site.events), states=_harden_values(site.states),
                   payload=payload)


def bare_params(site: Site) -> list[str]:
    """Name the parameters a site's channel/event/status comes from wholly (cannot harden)."""
    return sorted({str(v.sym[0].name) for v in (*site.channels, *site.events, *site.states)  # type: ignore[union-attr]
                   if _bare(v.sym)})


def site_params(site: Site) -> set[str]:
    """Name every parameter of the enclosing functions that a site's names or payload use."""
    names = {p.name for v in (*site.channels, *site.events, *site.states) for p in v.sym
             if isinstance(p, Param | ParamKeys)}
    if site.payload_param:
        names.add(site.payload_param)
    if site.payload is not None:
        names.update(site.payload.spread_params)
        names.update(p.name for _, sym in site.payload.symbolic for p in sym
                     if isinstance(p, Param))
    return names


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
        out.extend(Value(sym, line, column) for sym in substitute_sym(value.sym, resolve))
    return tuple(out), problems


def substitute_sym(sym: Sym, resolve: ParamResolver) -> list[Sym]:
    """Fill the parameters inside one template from the call site (holes where unknown)."""
    pieces: list[list[Sym]] = []
    for part in sym:
        if isinstance(part, Param):
            alts = [v.sym for v in resolve(part.name)]
            pieces.append(alts or [(Hole(part.name),)])
        elif isinstance(part, ParamKeys):
            pieces.append([(Hole(part.name),)])
        else:
            pieces.append([(part,)])
    return concat_all(pieces)


def instantiate(template: Site, wrapper: Wrapper, file: str, line: int, column: int,
                resolve: ParamResolver, keys: KeysResolver, payload: PayloadSubstitute) -> Site:
    """Build the site a wrapper call produces, substituting the call's arguments."""
    channels, p1 = substitute_values(template.channels, resolve, keys, line, column)
    events, p2 = substitute_values(template.events, resolve, keys, line, column)
    states, p3 = substitute_values(template.states, resolve, keys, line, column)
    new_payload, payload_param = payload(template)
    problems = p1 + p2 + p3
    unresolved = template.unresolved
    if problems and not unresolved:
        unresolved = "could not resolve " + ", ".join(problems)
    suffix = f"@{file}:{line}:{column}"
    own = wrapper.origins
    origin = template.origin + suffix if template.origin in own else template.origin
    receivers = tuple(r + suffix if r in own else r for r in template.receivers)
    return replace(template, file=file, line=line, column=column, channels=channels,
                   events=events, states=states, payload=new_payload,
                   payload_param=payload_param, unresolved=unresolved, origin=origin,
                   receivers=receivers, via=(wrapper.label, *template.via))
