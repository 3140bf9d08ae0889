"""Cross-side drift: compare what the backend sends with what the frontend listens to, directly.

Works with or without a contract. Channels are compared as templates (`hotel-{*}` fits
`hotel-paradise`); a frontend channel no backend code sends on gets the nearest backend spelling
(same parameters with other separators or prefix, else a close spelling). Events bound on a
channel (directly, through handler maps, or as routes of an envelope) are compared with the events
the backend sends on the linked channels (hyphen vs underscore, contract aliases, edit distance).
Every finding names both sides' locations (`related`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from hotelmate_rt.contracts import Contract, NameStatus, Template, resolve_event
from hotelmate_rt.contracts.templates import linear_regex

from .model import Related, Route, Side, Site, SiteKind
from .rules import ScanRule
from .symbols import HOLE_MARK, Hole, Sym, Value, display, literal, literal_chars, match_text

DISCRIMINATORS = ("type", "category", "kind", "event", "event_type", "eventType", "event_name",
                  "eventName", "subtype", "action")
_SENDS = (SiteKind.TRIGGER, SiteKind.TRIGGER_BATCH, SiteKind.EMIT)
_PREFIXES = ("private-encrypted-", "presence-", "private-")
_HOLE = f"(?:[^{HOLE_MARK}]+|{HOLE_MARK})"
_RELATED = 3
_PARAM_KINDS = {"id": "id", "pk": "id", "uuid": "uuid", "slug": "slug", "reference": "reference",
                "ref": "reference", "number": "number", "num": "number", "no": "number",
                "code": "code", "token": "token", "email": "email", "name": "name"}


@dataclass(frozen=True, slots=True)
class DriftFinding:
    """One drift item, located on one side, with the other side's locations."""

    rule: ScanRule
    message: str
    file: str
    line: int
    column: int
    fix: str | None
    related: tuple[Related, ...]
    site: Site
    event: str | None = None
    channel: Sym | None = None

    def settled(self, contract: Contract, known_channel: Callable[[Sym], bool],
                flagged: set[tuple[str, int]]) -> bool:
        """Tell whether the contract already says this: a finding on the same line, or a
        one-sided item about a name the contract knows (its coverage rules report those)."""
        anchors = {(self.file, self.line)} | {
            (self.site.file, v.line) for v in (*self.site.channels, *self.site.events)
            if self.event is None or literal(v.sym) in (None, self.event)}
        if anchors & flagged:
            return True
        if self.related and self.rule is not ScanRule.DRIFT_UNHEARD:
            return False
        if self.event is not None:
            return resolve_event(contract, self.event).status is not NameStatus.UNKNOWN
        return self.channel is not None and known_channel(self.channel)


@dataclass(slots=True)
class _Sides:
    """Both sides indexed: channel keys, who sends what where, who listens where."""

    backend: dict[str, list[tuple[Site, Value]]] = field(default_factory=dict)
    frontend: dict[str, list[tuple[Site, Value]]] = field(default_factory=dict)
    sends: dict[str, dict[str, list[Site]]] = field(default_factory=dict)
    by_origin: dict[str, list[str]] = field(default_factory=dict)
    links: dict[str, set[str]] = field(default_factory=dict)
    heard: set[tuple[str, str]] = field(default_factory=set)
    heard_anywhere: set[str] = field(default_factory=set)
    orphans: list[tuple[Site, Value, str, set[str] | None]] = field(default_factory=list)


def _regex(sym: Sym) -> Any:
    """Compile a template so that each hole takes any text or one hole of the other side (RE2)."""
    return linear_regex("".join(re.escape(p) if isinstance(p, str) else _HOLE for p in sym))


def fits(a: Sym, b: Sym) -> bool:
    """Tell whether two channel templates can name the same channel."""
    try:
        return bool(_regex(a).fullmatch(match_text(b)) or _regex(b).fullmatch(match_text(a)))
    except ValueError:  # past RE2's budget: a megabyte-long "name", never a channel's
        return False


def _skeleton(sym: Sym) -> str:
    """Reduce a template to its words: no prefix, no separators, holes kept (`{*}`)."""
    text = display(sym).lower()
    for prefix in _PREFIXES:
        text = text.removeprefix(prefix)
    text = text.removeprefix("hotel-") if text.startswith("hotel-{") else text
    return re.sub(r"[-_.:;,=@]", "", text)


def _holes(sym: Sym) -> list[str]:
    """Return the texts of a template's holes."""
    return [p.text for p in sym if isinstance(p, Hole)]


def _sym_of(template: Template) -> Sym:
    """Turn a contract template into a scanned-style template (parameters become holes)."""
    parts: list[str | Hole] = []
    for index, lit in enumerate(template.literals):
        if lit:
            parts.append(lit)
        if index < len(template.parameters):
            parts.append(Hole(template.parameters[index]))
    return tuple(parts)


def _norm(name: str) -> str:
    """Compare event names without case and separators."""
    return re.sub(r"[-_.:\s]", "", name.lower())


def param_kind(text: str) -> str | None:
    """Say what kind of value fills a parameter (`booking.pk` -> id, `hotelSlug` -> slug)."""
    words = re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", text)
    for word in reversed(words):
        kind = _PARAM_KINDS.get(word.lower())
        if kind is not None:
            return kind
    return None


def _where(site: Site, value: Value | None = None, label: str = "") -> Related:
    """Point at a site's value on the call's line, else at the call (whose first line names a
    send everywhere else) when the value sits on a later line of a multi-line call."""
    if value is None or value.line != site.line:
        return Related(site.file, site.line, site.column, label)
    return Related(site.file, value.line, value.column, label)


def _index(sites: list[Site], contract: Contract) -> _Sides:
    """Index both sides' channels and sends."""
    sides = _Sides()
    for site in sites:
        if site.side is Side.BACKEND and site.kind in _SENDS:
            channels = list(site.channels)
            if site.kind is SiteKind.EMIT:
                for value in site.events:
                    event = resolve_event(contract, literal(value.sym) or "").event
                    for cid in event.channels if event is not None else ():
                        if cid in contract.channels:
                            channels.append(Value(_sym_of(contract.channels[cid].template),
                                                  site.line, site.column))
            for channel in channels:
                if literal_chars(channel.sym) == 0:
                    continue
                key = display(channel.sym)
                sides.backend.setdefault(key, []).append((site, channel))
                for value in site.events:
                    name = literal(value.sym)
                    if name is not None:
                        sides.sends.setdefault(name, {}).setdefault(key, []).append(site)
        elif site.kind is SiteKind.SUBSCRIBE:
            for channel in site.channels:
                if literal_chars(channel.sym) == 0:
                    continue
                key = display(channel.sym)
                sides.frontend.setdefault(key, []).append((site, channel))
                if site.origin:
                    sides.by_origin.setdefault(site.origin, []).append(key)
    return sides


def drift(sites: list[Site], contract: Contract) -> list[DriftFinding]:
    """Compare the sides; nothing when the scan did not cover both a backend and a frontend."""
    sides = _index(sites, contract)
    binds = [s for s in sites if s.kind is SiteKind.BIND]
    if not sides.backend or not (sides.frontend or binds):
        return []
    out = list(_channels(sides))
    aliases = Aliases(contract)
    for site in binds:
        out.extend(_events(sides, site, aliases))
    out.extend(_orphans(sides))
    out.extend(_envelopes(sides, binds, sites))
    out.extend(_parameters(sides))
    out.extend(_unheard(sides))
    return out


def _channels(sides: _Sides) -> Iterator[DriftFinding]:
    """Link each frontend channel to the backend channels it fits, or report the nearest."""
    backend_syms = {key: entries[0][1].sym for key, entries in sides.backend.items()}
    for key, entries in sides.frontend.items():
        site, value = entries[0]
        exact = {b for b, sym in backend_syms.items() if fits(value.sym, sym)}
        if exact:
            sides.links[key] = exact
            continue
        near, why = nearest_channel(value.sym, backend_syms)
        sides.links[key] = {near} if near else set()
        if near is None:
            yield DriftFinding(ScanRule.DRIFT_CHANNEL, f"channel `{key}` is subscribed, but no scanned "
                               "backend code sends on it", site.file, value.line, value.column,
                               None, (), site, channel=value.sym)
            continue
        related = tuple(_where(s, v, f"backend sends on `{near}`")
                        for s, v in sides.backend[near][:_RELATED])
        yield DriftFinding(ScanRule.DRIFT_CHANNEL, f"channel `{key}` is subscribed, but the backend "
                           f"sends on `{near}` ({why})", site.file, value.line, value.column,
                           f"use one spelling on both sides: `{near}`", related, site,
                           channel=value.sym)


def nearest_channel(sym: Sym, backend: dict[str, Sym]) -> tuple[str | None, str]:
    """Find the backend spelling of a channel: same words and parameters, else a close one."""
    holes = len(_holes(sym))
    skeleton = _skeleton(sym)
    for key, other in sorted(backend.items()):
        if len(_holes(other)) == holes and _skeleton(other) == skeleton:
            return key, "same parameters, different separators or prefix"
    shown = display(sym)
    close = difflib.get_close_matches(shown, sorted(backend), n=1, cutoff=0.7)
    return (close[0], "a close spelling") if close else (None, "")


def _linked(sides: _Sides, site: Site) -> set[str] | None:
    """Return the backend channel keys a bind listens on (None when its channel is unknown)."""
    keys = {k for origin in site.receivers for k in sides.by_origin.get(origin, [])}
    if not keys:
        return None
    return {b for k in keys for b in sides.links.get(k, set())}


class Aliases:
    """What each event name is an alias of in the contract (`resolve_event`, asked once a name)."""

    def __init__(self, contract: Contract) -> None:
        """Ask this contract."""
        self.contract = contract
        self.known: dict[str, tuple[str, ...]] = {}

    def replaced_by(self, name: str) -> tuple[str, ...]:
        """Return the canonical names an alias stands for (nothing for any other name)."""
        got = self.known.get(name)
        if got is None:
            got = self.known[name] = resolve_event(self.contract, name).replaced_by
        return got


def nearest_event(name: str, pool: Iterable[str],
                  aliases: Aliases | None = None) -> tuple[str | None, str]:
    """Find the backend spelling of an event: a contract alias, separators, or a close spelling."""
    candidates = sorted(set(pool) - {name})
    if aliases is not None:
        for candidate in candidates:
            if candidate in aliases.replaced_by(name) or name in aliases.replaced_by(candidate):
                return candidate, "a known alias in the contract"
    for candidate in candidates:
        if _norm(candidate) == _norm(name):
            return candidate, "hyphen vs underscore" if "-" in name + candidate and \
                "_" in name + candidate else "different separators or case"
    best = min(candidates, key=lambda c: (_distance(name, c), c), default=None)
    if best is not None and _distance(name, best) <= min(2, len(name) // 6):
        return best, "a close spelling"
    return None, ""


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (names are short; a row at a time)."""
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (char != other)))
        previous = current
    return previous[-1]


def _events(sides: _Sides, site: Site, aliases: Aliases) -> Iterator[DriftFinding]:
    """Check each event a bind listens to against what the backend sends on that channel."""
    linked = _linked(sides, site)
    for value in site.events:
        name = literal(value.sym)
        if name is None or name.startswith(("pusher:", "pusher_internal:")):
            continue
        sent = sides.sends.get(name, {})
        on = set(sent) if linked is None else set(sent) & linked
        if on:
            sides.heard.update((name, b) for b in on)
            if linked is None:
                sides.heard_anywhere.add(name)
            continue
        pool = [e for e, by in sides.sends.items() if linked is None or set(by) & linked]
        near, why = nearest_event(name, pool, aliases)
        where = " or ".join(f"`{k}`" for k in sorted(linked or [])) or "that channel"
        if near is not None:
            keys = set(sides.sends[near]) if linked is None else set(sides.sends[near]) & linked
            sides.heard.update((near, b) for b in keys)
            related = tuple(_where(s, None, f"backend sends `{near}`")
                            for k in sorted(keys) for s in sides.sends[near][k])[:_RELATED]
            yield DriftFinding(ScanRule.DRIFT_EVENT, f"event `{name}` is bound, but the backend sends "
                               f"`{near}` on {where} ({why})", site.file, value.line,
                               value.column, f"use one spelling on both sides: `{near}`",
                               related, site, name)
        elif sent:
            related = tuple(_where(s, None, f"backend sends `{name}` on `{k}`")
                            for k in sorted(sent) for s in sent[k])[:_RELATED]
            yield DriftFinding(ScanRule.DRIFT_EVENT, f"event `{name}` is bound on {where}, but the "
                               f"backend sends it on {', '.join(f'`{k}`' for k in sorted(sent))}",
                               site.file, value.line, value.column,
                               "bind it on the channel the backend sends it on", related, site,
                               name)
        else:
            sides.orphans.append((site, value, name, linked))


def _orphans(sides: _Sides) -> Iterator[DriftFinding]:
    """Report bound events nobody sends, paired with a likely rename: the one event the backend
    sends on the same channel that nobody binds and whose words contain the bound name's or are
    contained in them (`new-staff-message` and `staff-message`, `announcement` and
    `event_announced`)."""
    for site, value, name, linked in sides.orphans:
        unheard = [e for e, by in sides.sends.items() if e not in sides.heard_anywhere and
                   any((e, k) not in sides.heard for k in by if linked is None or k in linked)]
        renamed = likely_rename(name, unheard)
        if renamed is None:
            yield DriftFinding(ScanRule.DRIFT_EVENT, f"event `{name}` is bound, but no scanned "
                               "backend code sends it", site.file, value.line, value.column, None,
                               (), site, name)
            continue
        keys = [k for k in sorted(sides.sends[renamed]) if linked is None or k in linked]
        sides.heard.update((renamed, k) for k in keys)
        related = tuple(_where(s, None, f"backend sends `{renamed}`, which nobody binds")
                        for k in keys for s in sides.sends[renamed][k])[:_RELATED]
        yield DriftFinding(ScanRule.DRIFT_EVENT, f"event `{name}` is bound, but no scanned backend "
                           f"code sends it; the backend sends `{renamed}` there, which nobody "
                           "binds (renamed?)", site.file, value.line, value.column,
                           f"use one name on both sides: `{renamed}`", related, site, name)


def _stems(name: str) -> set[str]:
    """The words of a name, cut to five letters (`announced`, `announcement` -> `annou`)."""
    return {w[:5] for w in re.split(r"[-_.:\s]+|(?<=[a-z])(?=[A-Z])", name.lower()) if len(w) > 2}


def likely_rename(name: str, candidates: Iterable[str]) -> str | None:
    """Pick the one candidate whose words contain the name's or are contained in them
    (`staff-message` / `new-staff-message`); None when there is none or more than one."""
    mine = _stems(name)
    found = [c for c in sorted(set(candidates) - {name})
             if mine and _stems(c) and (mine <= _stems(c) or _stems(c) <= mine)]
    return found[0] if len(found) == 1 else None


def _envelopes(sides: _Sides, binds: list[Site], sites: list[Site]) -> Iterator[DriftFinding]:
    """Compare envelope subtypes the backend sends with those the frontend router handles."""
    handled: dict[tuple[str, str], list[tuple[Site, Route]]] = {}
    for site in binds:
        for value in site.events:
            name = literal(value.sym)
            if name is None:
                continue
            for route in site.routes:
                handled.setdefault((name, route.field), []).append((site, route))
    sent: dict[tuple[str, str], dict[str, list[Site]]] = {}
    for site in sites:
        if site.side is not Side.BACKEND or site.kind not in _SENDS or site.payload is None:
            continue
        for value in site.events:
            name = literal(value.sym)
            if name is None:
                continue
            for key, constant in site.payload.constants:
                if (name, key) in handled or key in DISCRIMINATORS:
                    sent.setdefault((name, key), {}).setdefault(constant, []).append(site)
    for (event, key), routes in sorted(handled.items(), key=lambda i: i[0]):
        values = sent.get((event, key))
        if not values:
            continue
        known = {r.value for _, r in routes}
        routers = tuple(dict.fromkeys(_where(s, None, f"frontend routes `{event}` on `{key}`")
                                      for s, _ in routes))[:_RELATED]
        for constant, senders in sorted(values.items()):
            if constant not in known:
                first = senders[0]
                yield DriftFinding(ScanRule.DRIFT_UNHEARD, f"`{event}` is sent with `{key}` = "
                                   f"`{constant}`, which the frontend router does not handle",
                                   first.file, first.line, first.column,
                                   f"handle `{constant}` where `{event}` is routed", routers, first,
                                   event)
        reported: set[str] = set()
        for site, route in routes:
            if route.value in values or route.value in reported:
                continue
            reported.add(route.value)
            near = [v for v in sorted(values) if _distance(v, route.value) <= 2][:1]
            renamed = None if near else likely_rename(route.value, set(values) - known)
            senders = values[near[0]] if near else values[renamed] if renamed else \
                [s for v in values.values() for s in v]
            hint = f"; the backend sends `{near[0]}`" if near else \
                f"; the backend sends `{renamed}`, which it does not handle (renamed?)" \
                if renamed else ""
            related = tuple(dict.fromkeys(_where(s, None, f"backend sends `{event}`")
                                          for s in senders))[:_RELATED]
            yield DriftFinding(ScanRule.DRIFT_EVENT, f"the frontend routes `{event}` with `{key}` = "
                               f"`{route.value}`, which no scanned backend code sends{hint}",
                               route.file, route.line, route.column,
                               f"use `{near[0]}`" if near else None, related, site, event)


def _parameters(sides: _Sides) -> Iterator[DriftFinding]:
    """Report a channel parameter filled from different kinds of value on the two sides."""
    for key, entries in sorted(sides.frontend.items()):
        site, value = entries[0]
        front = _holes(value.sym)
        for near in sorted(sides.links.get(key, set())):
            backend = [(s, v, _holes(v.sym)) for s, v in sides.backend[near]]
            backend = [b for b in backend if len(b[2]) == len(front)]
            for slot, mine in enumerate(front):
                a = param_kind(mine)
                others = [(s, v, h[slot]) for s, v, h in backend
                          if param_kind(h[slot]) not in (None, a)]
                if a is None or not others:
                    continue
                theirs = others[0][2]
                b = param_kind(theirs)
                related = tuple(dict.fromkeys(_where(s, v, f"backend fills it from `{h}`")
                                              for s, v, h in others))[:_RELATED]
                yield DriftFinding(
                    ScanRule.DRIFT_PARAMETER, f"parameter {slot + 1} of `{key}` is filled from `{mine}` "
                    f"({a}) here but from `{theirs}` ({b}) by the backend, so the names never "
                    "meet", site.file, value.line, value.column,
                    f"fill it with the same {b} on both sides", related, site)


def _unheard(sides: _Sides) -> Iterator[DriftFinding]:
    """Report backend sends no frontend code listens to."""
    for name, by_key in sorted(sides.sends.items()):
        if name in sides.heard_anywhere:
            continue
        for key, senders in sorted(by_key.items()):
            if (name, key) in sides.heard:
                continue
            listeners = [k for k, links in sides.links.items() if key in links]
            related = tuple(_where(s, v, f"frontend subscribes `{k}`")
                            for k in listeners for s, v in sides.frontend[k][:1])[:_RELATED]
            first = senders[0]
            what = "binds it there" if listeners else f"subscribes `{key}`"
            yield DriftFinding(ScanRule.DRIFT_UNHEARD, f"event `{name}` is sent on `{key}`, but no "
                               f"scanned frontend code {what}", first.file, first.line,
                               first.column, None, related, first, name)
